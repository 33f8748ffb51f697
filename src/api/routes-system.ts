import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './deps.js';

/** `/healthz` and `/metrics`; the console at `/` is routes-console.ts. */
export async function systemRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok', ...(await deps.status()) }));
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
