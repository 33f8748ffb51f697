import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SluiceError, parseDuration } from '../core/index.js';
import type { FunctionLogLine, FunctionRuntime } from '../functions/index.js';

/** A follower that reads slower than its function logs is cut off once this much waits in its socket. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** An empty line now and then keeps proxies from closing a quiet stream, and finds clients that left. */
const HEARTBEAT_MS = 15_000;

/** `10m`, `90s`, `2h` (that long ago) or an ISO 8601 time; epoch milliseconds. */
const since = z
  .string()
  .transform((text, ctx) => {
    if (/^\d+(?:\.\d+)?(?:ms|s|m|h)$/.test(text)) return Date.now() - parseDuration(text);
    const time = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
    if (Number.isFinite(time)) return time;
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 30s, 10m, 2h or an ISO 8601 time; got '${text}'` });
    return z.NEVER;
  })
  .optional();

const logsQuery = z
  .object({
    since,
    requestId: z.string().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).optional(),
    follow: z.enum(['1', 'true', '0', 'false']).optional(),
  })
  .strict();

export interface FunctionLogDeps {
  functions: Pick<FunctionRuntime, 'has' | 'logs'>;
}

/**
 * `GET /api/v1/functions/:name/logs`: the function's recent log lines (JSON),
 * or with `follow=1` a long-lived `application/x-ndjson` stream: the matching
 * backlog, then every new line as it is logged, one JSON object per line
 * (blank lines are heartbeats). The stream ends when the server stops.
 */
export async function functionLogRoutes(app: FastifyInstance, deps: FunctionLogDeps): Promise<void> {
  app.get('/api/v1/functions/:name/logs', async (request, reply) => {
    const { name } = z.object({ name: z.string().min(1) }).parse(request.params);
    const query = logsQuery.parse(request.query);
    const { logs } = deps.functions;
    if (!deps.functions.has(name) && !logs.has(name)) {
      throw new SluiceError('SLUICE_ERR_FUNCTION_NOT_FOUND', `function not found: ${name}`, { details: { functionName: name } });
    }
    const backlog = logs.query(name, {
      ...(query.since !== undefined ? { since: query.since } : {}),
      ...(query.requestId !== undefined ? { requestId: query.requestId } : {}),
      ...(query.limit !== undefined ? { limit: query.limit } : {}),
    });
    if (query.follow !== '1' && query.follow !== 'true') return { function: name, lines: backlog };

    // From here on the response is ours, not Fastify's: nothing below may throw.
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    let stop: () => void = () => {};
    let heartbeat: NodeJS.Timeout | undefined;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      stop();
      clearInterval(heartbeat);
      if (!res.writableEnded) res.end();
    };
    const write = (line: FunctionLogLine): void => {
      if (ended) return;
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        request.log.warn({ function: name }, 'log follower too slow; stream closed');
        res.destroy();
        end();
        return;
      }
      res.write(`${JSON.stringify(line)}\n`);
    };
    for (const line of backlog) write(line);
    // Subscribed in the same tick as the backlog was read: no line falls between them.
    stop = logs.follow(
      name,
      (line) => {
        if (query.requestId === undefined || line.requestId === query.requestId) write(line);
      },
      end,
    );
    heartbeat = setInterval(() => {
      if (!ended) res.write('\n');
    }, HEARTBEAT_MS);
    heartbeat.unref();
    res.on('close', end);
    // Tells Fastify the reply is handled (hijacked), so it sends nothing itself.
    return reply;
  });
}
