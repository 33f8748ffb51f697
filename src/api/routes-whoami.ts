import type { FastifyInstance } from 'fastify';

/**
 * `GET /api/v1/whoami`: what the caller may do, so the console can hide the
 * controls a read-only token cannot use. The auth hook has already checked
 * any token sent (with `--insecure` too); a tokenless request got this far
 * only from loopback with `--insecure`, where it may do everything: admin.
 */
export async function whoamiRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/v1/whoami', async (request) => ({ role: request.apiToken?.scope === 'read-only' ? 'read-only' : 'admin' }));
}
