import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SluiceError } from '../core/index.js';
import type { ApiDeps } from './deps.js';
import { registryRoutes } from './routes-registry.js';
import { topicRoutes } from './routes-topics.js';

const invokeBody = z.unknown();
const INVOCATION_TYPES = ['RequestResponse', 'Event', 'DryRun'] as const;
const invokeQuery = z.object({ invocationType: z.enum(INVOCATION_TYPES).optional() }).strict();
const invokeHeader = z.enum(INVOCATION_TYPES).optional();

/** Read access to what stacks deployed, synchronous function invokes, the device registry, and notification topics and subscriptions (buckets: routes-buckets.ts). */
export async function resourceRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get('/api/v1/rules', async () => ({ rules: deps.rules.list() }));
  await registryRoutes(app, deps);
  await topicRoutes(app, deps);

  app.get('/api/v1/functions', async () => ({ functions: deps.functions.list() }));
  app.get('/api/v1/functions/:name', async (request) => {
    const { name } = z.object({ name: z.string() }).parse(request.params);
    const configuration = deps.functions.describe(name);
    if (!configuration) throw new SluiceError('SLUICE_ERR_FUNCTION_NOT_FOUND', `no function named '${name}' is deployed`);
    return configuration;
  });
  // Lambda's Invoke: the invocation type from its X-Amz-Invocation-Type header, or ?invocationType=.
  app.post('/api/v1/functions/:name/invoke', async (request, reply) => {
    const { name } = z.object({ name: z.string() }).parse(request.params);
    const query = invokeQuery.parse(request.query);
    const header = request.headers['x-amz-invocation-type'];
    const parsedHeader = invokeHeader.safeParse(header);
    if (!parsedHeader.success) {
      throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `X-Amz-Invocation-Type: '${String(header)}' is not one of ${INVOCATION_TYPES.join(', ')}`, {
        place: { field: 'X-Amz-Invocation-Type' },
      });
    }
    const invocationType = query.invocationType ?? parsedHeader.data ?? 'RequestResponse';
    const event = invokeBody.parse(request.body ?? null);
    if (invocationType === 'DryRun') {
      if (!deps.functions.has(name)) throw new SluiceError('SLUICE_ERR_FUNCTION_NOT_FOUND', `no function named '${name}' is deployed`);
      return reply.code(204).send();
    }
    if (invocationType === 'Event') {
      const { requestId } = await deps.invokeEvent(name, event);
      return reply.code(202).header('x-amz-request-id', requestId).send({ requestId, status: 'queued' });
    }
    return deps.functions.invoke(name, event, { invocationType: 'RequestResponse' });
  });
}
