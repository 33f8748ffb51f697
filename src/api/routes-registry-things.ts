import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SluiceError } from '../core/index.js';
import { parsePrincipal } from '../registry/index.js';
import type { ApiDeps, ThingConnectionView } from './deps.js';
import { certificateBundleRoutes } from './routes-certificate-bundle.js';

const thingParams = z.object({ name: z.string().min(1).max(256) });
const principalParams = thingParams.extend({ principal: z.string().min(1).max(512) });

/** CreateThing / UpdateThing in one: the attributes given replace the old ones. */
const putThingBody = z
  .object({
    attributes: z.record(z.string(), z.string()).optional(),
    thingTypeName: z.string().min(1).max(128).optional(),
  })
  .strict();

/**
 * ListThings' filters (AWS's): all that are given must hold. A value needs
 * its attribute name, and a prefix match a value; `attributeName` alone
 * lists the things that have the attribute.
 */
const listQuery = z
  .object({
    thingTypeName: z.string().min(1).max(128).optional(),
    attributeName: z.string().min(1).max(128).optional(),
    attributeValue: z.string().max(800).optional(),
    usePrefixAttributeValue: z.enum(['true', 'false'], { message: "use 'true' or 'false'" }).optional(),
  })
  .strict()
  .refine((q) => q.attributeValue === undefined || q.attributeName !== undefined, {
    message: 'needs attributeName (the attribute whose value to match)',
    path: ['attributeValue'],
  })
  .refine((q) => q.usePrefixAttributeValue !== 'true' || q.attributeValue !== undefined, {
    message: 'needs attributeValue (the prefix to match)',
    path: ['usePrefixAttributeValue'],
  });

/** Each thing with its MQTT `connection` (when the server tracks connections). */
async function withConnections<T extends { thingName: string }>(deps: Pick<ApiDeps, 'thingConnections'>, things: T[]): Promise<Array<T & { connection?: ThingConnectionView }>> {
  if (!deps.thingConnections) return things;
  const connections = await deps.thingConnections(things.map((thing) => thing.thingName));
  return things.map((thing) => {
    const connection = connections.get(thing.thingName);
    return connection ? { ...thing, connection } : thing;
  });
}

/** AttachThingPrincipal: a certificate id or ARN, or `token/<tokenId>`. */
const attachBody = z.object({ principal: z.string().min(1).max(512), exclusive: z.boolean().optional() }).strict();

/**
 * Things (AWS IoT's CreateThing, DescribeThing, ListThings, DeleteThing) and
 * what is attached to them (AttachThingPrincipal, DetachThingPrincipal,
 * ListThingPrincipalsV2).
 */
export async function thingRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { registry } = deps;

  app.get('/api/v1/things', async (request) => {
    const query = listQuery.parse(request.query ?? {});
    const things = await registry.listThings({
      ...(query.thingTypeName !== undefined ? { thingTypeName: query.thingTypeName } : {}),
      ...(query.attributeName !== undefined ? { attributeName: query.attributeName } : {}),
      ...(query.attributeValue !== undefined ? { attributeValue: query.attributeValue } : {}),
      ...(query.usePrefixAttributeValue !== undefined ? { usePrefixAttributeValue: query.usePrefixAttributeValue === 'true' } : {}),
    });
    return { things: await withConnections(deps, things) };
  });

  app.get('/api/v1/things/:name', async (request) => {
    const { name } = thingParams.parse(request.params);
    const thing = await registry.describeThing(name);
    if (!thing) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no thing '${name}'`);
    const [described] = await withConnections(deps, [thing]);
    return described;
  });

  await certificateBundleRoutes(app, deps);

  app.put('/api/v1/things/:name', async (request, reply) => {
    const { name } = thingParams.parse(request.params);
    const body = putThingBody.parse(request.body ?? {});
    const existed = (await registry.getThing(name)) !== undefined;
    const thing = await registry.putThing(name, body.attributes ?? {}, body.thingTypeName !== undefined ? { thingTypeName: body.thingTypeName } : {});
    reply.status(existed ? 200 : 201);
    return thing;
  });

  app.delete('/api/v1/things/:name', async (request) => {
    const { name } = thingParams.parse(request.params);
    if (!(await registry.deleteThing(name))) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no thing '${name}'`);
    return { thingName: name, deleted: true };
  });

  app.get('/api/v1/things/:name/principals', async (request) => {
    const { name } = thingParams.parse(request.params);
    return { principals: await registry.listThingPrincipalsV2(name) };
  });

  app.post('/api/v1/things/:name/principals', async (request) => {
    const { name } = thingParams.parse(request.params);
    const body = attachBody.parse(request.body ?? {});
    await registry.attachThingPrincipal(name, body.principal, { exclusive: body.exclusive ?? false });
    return {
      thingName: name,
      principal: parsePrincipal(body.principal).principal,
      thingPrincipalType: body.exclusive ? 'EXCLUSIVE_THING' : 'NON_EXCLUSIVE_THING',
    };
  });

  app.delete('/api/v1/things/:name/principals/:principal', async (request) => {
    const { name, principal } = principalParams.parse(request.params);
    const normalized = parsePrincipal(principal).principal;
    if (!(await registry.detachThingPrincipal(name, normalized))) {
      throw new SluiceError('SLUICE_ERR_NOT_FOUND', `principal ${normalized} is not attached to thing '${name}'`);
    }
    return { thingName: name, principal: normalized, detached: true };
  });
}
