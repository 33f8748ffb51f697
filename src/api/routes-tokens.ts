import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiDeps } from './deps.js';

const createBody = z
  .object({
    name: z.string().min(1).max(64),
    scope: z.enum(['admin', 'read-only', 'device']),
    expiresInDays: z.number().positive().max(3650).optional(),
    thingName: z.string().min(1).max(128).optional(),
    clientId: z.string().min(1).max(128).optional(),
  })
  .strict();

const idParams = z.object({ id: z.string().min(1).max(128) });

/**
 * API tokens: list (never hashes or secrets), create (the plaintext token is in
 * this one answer only), revoke by id or name (never the last admin token).
 */
export async function tokenRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get('/api/v1/tokens', async () => ({ tokens: await deps.tokens.list() }));
  app.post('/api/v1/tokens', async (request, reply) => {
    const body = createBody.parse(request.body ?? {});
    const { token, record } = await deps.tokens.create(body);
    reply.status(201);
    return { ...record, token };
  });
  app.delete('/api/v1/tokens/:id', async (request) => {
    const { id } = idParams.parse(request.params);
    return { revoked: await deps.tokens.revoke(id) };
  });
}
