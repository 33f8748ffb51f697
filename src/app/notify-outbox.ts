import { notificationJob, type ActionExecutor, type ActionQueue, type NotificationDeliverer } from '../actions/index.js';
import type { Metrics } from '../core/index.js';
import type { NotificationOutbox, NotificationService } from '../notify/index.js';

/**
 * The notification outbox is the durable action queue: `publish` queues one
 * `notification` job per (message, confirmed subscription) under
 * `$notify/<topic>`, and the executor delivers, retries and dead-letters them
 * like any rule action, per subscription (its target key), on the schedule
 * each job carries.
 *
 * The jobs are taken over `--max-backlog` (`derived`): a function's
 * notifications come from work the queue already admitted, and making a
 * running invocation wait for room could deadlock the executor.
 */
export function notificationOutbox(executor: Pick<ActionExecutor, 'enqueue'>, queue: Pick<ActionQueue, 'get'>): NotificationOutbox {
  return {
    async enqueue(deliveries) {
      await executor.enqueue(deliveries.map(notificationJob), 1, { derived: true });
    },
    async state(deliveryId) {
      const job = await queue.get(deliveryId);
      if (!job) return undefined;
      return {
        state: job.state,
        attempts: job.attempts,
        notBefore: job.notBefore,
        ...(job.lastError !== undefined ? { lastError: job.lastError } : {}),
        ...(job.deadAt !== undefined ? { deadAt: job.deadAt } : {}),
      };
    },
  };
}

/**
 * The executor's port onto the notification service: one attempt of one
 * delivery. Counted in `sluice_notifications_sent_total{protocol, outcome}`,
 * outcome `sent`, `failed` (per failed attempt), `duplicate` or `skipped`.
 */
export function notificationDeliverer(notify: Pick<NotificationService, 'deliverQueued'>, metrics: Metrics): NotificationDeliverer {
  return {
    async deliver(target, notification, jobId, attempt) {
      const outcome = await notify.deliverQueued(target, notification, jobId, attempt);
      metrics.notificationsSent.inc({ protocol: target.protocol, outcome: outcome.status === 'delivered' ? 'sent' : outcome.status });
      return outcome.status === 'failed' ? { ok: false, retryable: outcome.retryable, errorMessage: outcome.error } : { ok: true };
    },
  };
}
