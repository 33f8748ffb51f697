import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SluiceError, parseDuration } from '../core/index.js';
import { notificationTargetKey } from '../actions/index.js';
import type { ApiDeps } from './deps.js';

const duration = z
  .string()
  .transform((text, ctx) => {
    try {
      return parseDuration(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as 30s, 5m, 1h; got '${text}'` });
      return z.NEVER;
    }
  })
  .optional();

const filterQuery = z
  .object({
    rule: z.string().min(1).optional(),
    /** A notification subscription's id: only its deliveries. */
    subscription: z.string().min(1).optional(),
    olderThan: duration,
    newerThan: duration,
    limit: z.coerce.number().int().min(1).max(10_000).optional(),
  })
  .strict();

const selectionBody = z
  .object({
    id: z.string().min(1).optional(),
    rule: z.string().min(1).optional(),
    subscription: z.string().min(1).optional(),
    olderThan: duration,
    newerThan: duration,
    all: z.boolean().optional(),
  })
  .strict();

type Selection = z.infer<typeof selectionBody>;

/** Replay and purge act on many letters at once, so an empty selection must say `all` on purpose. */
function toSelection(body: Selection) {
  const selection = {
    ...(body.id !== undefined ? { jobId: body.id } : {}),
    ...(body.rule !== undefined ? { ruleName: body.rule } : {}),
    ...(body.subscription !== undefined ? { target: notificationTargetKey(body.subscription) } : {}),
    ...(body.olderThan !== undefined ? { olderThanMs: body.olderThan } : {}),
    ...(body.newerThan !== undefined ? { newerThanMs: body.newerThan } : {}),
  };
  if (Object.keys(selection).length === 0 && body.all !== true) {
    throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', 'select dead letters by id, rule, subscription or age, or pass "all": true to act on every one', {
      place: { field: 'body' },
    });
  }
  return selection;
}

export async function actionRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get('/api/v1/dead-letters', async (request) => {
    const query = filterQuery.parse(request.query);
    const deadLetters = await deps.deadLetters.list({
      ...(query.rule !== undefined ? { ruleName: query.rule } : {}),
      ...(query.subscription !== undefined ? { target: notificationTargetKey(query.subscription) } : {}),
      ...(query.olderThan !== undefined ? { olderThanMs: query.olderThan } : {}),
      ...(query.newerThan !== undefined ? { newerThanMs: query.newerThan } : {}),
      limit: query.limit ?? 100,
    });
    return { deadLetters };
  });
  app.get('/api/v1/dead-letters/:id', async (request) => {
    const { id } = z.object({ id: z.string().min(1) }).parse(request.params);
    const letter = await deps.deadLetters.get(id);
    if (!letter) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no dead letter with id '${id}'`);
    return letter;
  });
  app.post('/api/v1/dead-letters/replay', async (request) => ({
    replayed: await deps.deadLetters.replay(toSelection(selectionBody.parse(request.body ?? {}))),
  }));
  app.post('/api/v1/dead-letters/purge', async (request) => ({
    purged: await deps.deadLetters.purge(toSelection(selectionBody.parse(request.body ?? {}))),
  }));
  app.get('/api/v1/status', async () => deps.actionStatus());
}
