import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SluiceError } from '../core/index.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * `/api/v1` needs the admin token as a bearer token. With `--insecure` a
 * request from loopback may omit it (the demo), never one from elsewhere.
 */
export function installAuth(app: FastifyInstance, options: { adminToken: string; insecure: boolean }): void {
  const expected = Buffer.from(options.adminToken);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (!request.url.startsWith('/api/')) return;
    if (options.insecure && LOOPBACK.has(request.socket.remoteAddress ?? '')) return;
    const header = request.headers.authorization ?? '';
    const presented = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw new SluiceError('SLUICE_ERR_UNAUTHORIZED', 'send the admin token as "Authorization: Bearer <token>" (it is in <data>/admin-token)');
    }
  });
}
