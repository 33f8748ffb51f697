import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiDeps } from './deps.js';
import { registryRoutes } from './routes-registry.js';

const invokeBody = z.unknown();

/** Read access to what stacks deployed, synchronous function invokes, and the device registry. */
export async function resourceRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get('/api/v1/rules', async () => ({ rules: deps.rules.list() }));
  await registryRoutes(app, deps);

  app.get('/api/v1/functions', async () => ({ functions: deps.functions.list() }));
  app.post('/api/v1/functions/:name/invoke', async (request) => {
    const { name } = z.object({ name: z.string() }).parse(request.params);
    return deps.functions.invoke(name, invokeBody.parse(request.body ?? null), { invocationType: 'RequestResponse' });
  });

  app.get('/api/v1/buckets', async () => ({ buckets: await deps.objects.listBuckets() }));
  app.get('/api/v1/buckets/:bucket/objects', async (request) => {
    const { bucket } = z.object({ bucket: z.string() }).parse(request.params);
    const query = z
      .object({ prefix: z.string().optional(), limit: z.coerce.number().int().min(1).max(10_000).optional() })
      .strict()
      .parse(request.query);
    const objects = await deps.objects.listObjects(bucket, {
      ...(query.prefix !== undefined ? { prefix: query.prefix } : {}),
      limit: query.limit ?? 1000,
    });
    return { bucket, objects };
  });
  app.get('/api/v1/buckets/:bucket/objects/*', async (request, reply) => {
    const params = z.object({ bucket: z.string(), '*': z.string() }).parse(request.params);
    const object = await deps.objects.getObject(params.bucket, params['*']);
    reply.header('content-type', 'application/octet-stream');
    return object.body;
  });
}
