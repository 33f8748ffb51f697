import type { FastifyError, FastifyInstance } from 'fastify';
import { ZodError } from 'zod';
import { SluiceError, formatFieldPath } from '../core/index.js';

/** One mapping from errors to HTTP: catalog errors keep their code and status; anything else is a 500 without internals. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof SluiceError) {
      return reply.status(error.status).send({ error: error.toJSON() });
    }
    if (error instanceof ZodError) {
      const issue = error.issues[0];
      const field = issue ? formatFieldPath(issue.path) : '';
      return reply.status(400).send({
        error: { code: 'SLUICE_ERR_REQUEST_INVALID', message: `${field ? `${field}: ` : ''}${issue?.message ?? 'invalid'}`, place: { field } },
      });
    }
    const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status < 500) {
      return reply.status(status).send({ error: { code: 'SLUICE_ERR_REQUEST_INVALID', message: error.message } });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ error: { code: 'SLUICE_ERR_INTERNAL', message: 'internal error; see the server log' } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'SLUICE_ERR_NOT_FOUND', message: `no route ${request.method} ${request.url}` } }),
  );
}
