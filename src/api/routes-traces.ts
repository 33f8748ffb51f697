import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SluiceError, isSluiceError } from '../core/index.js';
import type { MessageStatus } from '../notify/index.js';
import type { NotificationDeliveryView, NotificationTrace, TraceDetail, TraceRing } from '../trace/index.js';

export interface TraceRouteDeps {
  /** Unset: tracing is off (`sluice up --trace-messages 0`). */
  traces?: TraceRing | undefined;
  /** Where a traced notification's deliveries come from. */
  notify: { messageStatus(messageId: string): Promise<MessageStatus> };
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1_000;

const listQuery = z
  .object({
    topic: z
      .string()
      .min(1, 'topic must not be empty')
      .max(1_024, 'topic must be at most 1024 characters')
      .refine((filter) => filter.split('/').every((level, i, all) => (level !== '#' || i === all.length - 1) && (!/[#+]/.test(level) || level.length === 1)), {
        message: "topic must be a topic or an MQTT filter: '+' and '#' stand alone in their level, '#' only last",
      })
      .optional(),
    clientId: z.string().min(1, 'clientId must not be empty').max(1_024, 'clientId must be at most 1024 characters').optional(),
    limit: z.coerce
      .number({ error: 'limit must be a number' })
      .int('limit must be a whole number')
      .min(1, 'limit must be at least 1')
      .max(MAX_LIMIT, `limit must be at most ${MAX_LIMIT}`)
      .default(DEFAULT_LIMIT),
  })
  .strict();

const detailParams = z.object({ messageId: z.string().min(1, 'messageId must not be empty').max(200, 'messageId must be at most 200 characters') });

/**
 * `GET /api/v1/traces` (newest first; `capacity` 0 says tracing is off) and
 * `GET /api/v1/traces/:messageId`: what happened to a recent message, with
 * the deliveries of the notifications its functions published joined from
 * the notification service at read time.
 */
export async function traceRoutes(app: FastifyInstance, deps: TraceRouteDeps): Promise<void> {
  app.get('/api/v1/traces', async (request) => {
    const query = listQuery.parse(request.query);
    const traces = deps.traces?.list({
      limit: query.limit,
      ...(query.topic !== undefined ? { topic: query.topic } : {}),
      ...(query.clientId !== undefined ? { clientId: query.clientId } : {}),
    });
    return { traces: traces ?? [], capacity: deps.traces?.capacity ?? 0 };
  });

  app.get('/api/v1/traces/:messageId', async (request) => {
    const { messageId } = detailParams.parse(request.params);
    if (!deps.traces) {
      throw new SluiceError('SLUICE_ERR_NOT_FOUND', 'message tracing is off: the server was started with --trace-messages 0', { details: { messageId } });
    }
    const trace = deps.traces.get(messageId);
    if (!trace) {
      throw new SluiceError(
        'SLUICE_ERR_NOT_FOUND',
        `no trace of message ${JSON.stringify(messageId)}: unknown, or older than the last ${deps.traces.capacity} messages the server keeps (--trace-messages)`,
        { details: { messageId } },
      );
    }
    return withDeliveries(trace, deps.notify);
  });
}

async function withDeliveries(trace: TraceDetail, notify: TraceRouteDeps['notify']): Promise<TraceDetail> {
  const notifications = await Promise.all(trace.notifications.map(async (n): Promise<NotificationTrace> => ({ ...n, deliveries: await deliveriesOf(n, notify) })));
  return { ...trace, notifications };
}

async function deliveriesOf(notification: NotificationTrace, notify: TraceRouteDeps['notify']): Promise<NotificationDeliveryView[]> {
  // A message the dedupe window held back was never recorded: it has no deliveries.
  if (notification.suppressed === true) return [];
  let status: MessageStatus;
  try {
    status = await notify.messageStatus(notification.messageId);
  } catch (error) {
    // Records are pruned after 7 days; a trace may outlive them.
    if (isSluiceError(error) && error.code === 'SLUICE_ERR_NOT_FOUND') return [];
    throw error;
  }
  return status.deliveries.map((d) => ({
    subscriptionId: d.subscriptionId,
    protocol: d.protocol ?? 'unknown',
    endpoint: d.endpoint ?? '',
    status: d.status,
    at: d.deliveredAt ?? d.deadAt ?? d.publishedAt,
    attempts: d.attempts,
    ...(d.lastError !== undefined ? { error: d.lastError } : {}),
  }));
}
