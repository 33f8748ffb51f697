import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './deps.js';

/**
 * `GET /api/v1/overview`: connected clients, totals since start, and the last
 * five minutes as one sample a second (oldest first), sampled by the server
 * whether or not anyone is looking, so a console opened late still sees them.
 */
export async function overviewRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'overview'>): Promise<void> {
  app.get('/api/v1/overview', async () => deps.overview());
}
