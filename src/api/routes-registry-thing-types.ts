import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SluiceError } from '../core/index.js';
import { thingTypePropertiesSchema } from '../registry/index.js';
import type { ApiDeps } from './deps.js';

const typeParams = z.object({ name: z.string().min(1).max(256) });
/** ListThingTypes' one filter: the type of that exact name (an empty list when there is none). */
const listQuery = z.object({ thingTypeName: z.string().min(1).max(128).optional() }).strict();
/** A 400 names the field at fault: `thingTypeProperties.searchableAttributes`. */
const putBody = z.object({ thingTypeProperties: thingTypePropertiesSchema.optional() }).strict();
const createBody = z.object({ thingTypeName: z.string().min(1).max(256), thingTypeProperties: thingTypePropertiesSchema.optional() }).strict();
const deprecateBody = z.object({ undoDeprecate: z.boolean().optional() }).strict();

/**
 * Thing types (AWS IoT's CreateThingType, DescribeThingType, ListThingTypes,
 * DeprecateThingType, DeleteThingType, and UpdateThingType as a PUT that
 * creates the type when it is missing). Shapes are AWS's.
 */
export async function thingTypeRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { registry } = deps;

  app.get('/api/v1/thing-types', async (request) => {
    const { thingTypeName } = listQuery.parse(request.query ?? {});
    const all = await registry.listThingTypes();
    return { thingTypes: thingTypeName === undefined ? all : all.filter((t) => t.thingTypeName === thingTypeName) };
  });

  app.get('/api/v1/thing-types/:name', async (request) => {
    const { name } = typeParams.parse(request.params);
    const type = await registry.describeThingType(name);
    if (!type) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no thing type named '${name}'`, { place: { field: 'thingTypeName' } });
    return type;
  });

  /** CreateThingType: 201; the same properties again answer the type unchanged (200); other properties are a conflict (409). */
  app.post('/api/v1/thing-types', async (request, reply) => {
    const body = createBody.parse(request.body ?? {});
    const existed = (await registry.describeThingType(body.thingTypeName)) !== undefined;
    const type = await registry.createThingType(body.thingTypeName, body.thingTypeProperties ?? {});
    reply.status(existed ? 200 : 201);
    return type;
  });

  /** Creates the type or replaces its properties (UpdateThingType); deprecation is left as it is. */
  app.put('/api/v1/thing-types/:name', async (request) => {
    const { name } = typeParams.parse(request.params);
    const body = putBody.parse(request.body ?? {});
    return registry.putThingType(name, body.thingTypeProperties ?? {});
  });

  app.post('/api/v1/thing-types/:name/deprecate', async (request) => {
    const { name } = typeParams.parse(request.params);
    const body = deprecateBody.parse(request.body ?? {});
    return registry.deprecateThingType(name, body.undoDeprecate !== undefined ? { undoDeprecate: body.undoDeprecate } : {});
  });

  /** Only a deprecated type that no thing has goes (409 with the reason otherwise). */
  app.delete('/api/v1/thing-types/:name', async (request, reply) => {
    const { name } = typeParams.parse(request.params);
    if (!(await registry.deleteThingType(name))) {
      throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no thing type named '${name}'`, { place: { field: 'thingTypeName' } });
    }
    return reply.status(204).send();
  });
}
