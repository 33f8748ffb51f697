/**
 * The durable outbox, as the notification service sees it. With an outbox,
 * `publish` does not deliver: it asks the outbox to queue one delivery per
 * confirmed subscription and returns once they are on disk; whoever runs the
 * outbox (the action queue, wired by the composition root) later calls
 * `NotificationService.deliverQueued` for each, and retries what fails on the
 * schedule given here, per protocol or per subscription (`outbox-policy.ts`).
 *
 * notify does not import actions: these shapes are its side of the port, and
 * the composition root passes them through (they match the action queue's
 * `NotificationDelivery` and `NotificationPayload`).
 */
import { isSluiceError } from '../core/index.js';
import type { BackoffFunction } from './outbox-policy.js';

/** One notification as a queued delivery carries it. */
export interface QueuedNotification {
  messageId: string;
  message: string;
  subject?: string;
  /** SNS message attributes, `{ Name: { Type, Value } }`, for the protocols that pass them on. */
  messageAttributes?: Record<string, { Type: string; Value: string }>;
  /** When it was published, ms since the epoch (SNS's `Timestamp`). */
  timestamp: number;
}

/** How a delivery is retried; fixed when the message is published. Times in ms. */
export interface DeliveryRetry {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Give up once the delivery has waited this long, whatever attempts are left. */
  maxAgeMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Unset: exponential backoff with full jitter from `baseDelayMs`, capped at `maxDelayMs`. Set: SNS's schedule, no jitter. */
  backoff?: BackoffFunction;
}

export interface QueuedDelivery {
  /** `<messageId>:<subscriptionId>`: stable, so queueing the same delivery again while it waits is a no-op. */
  id: string;
  topicName: string;
  subscriptionId: string;
  protocol: string;
  notification: QueuedNotification;
  retry: DeliveryRetry;
}

/** Where a queued delivery stands in the outbox; undefined once it left (done) or if it never got there. */
export interface OutboxEntryState {
  state: 'ready' | 'leased' | 'dead';
  /** Attempts made so far. */
  attempts: number;
  /** ms since the epoch: not tried again before this. */
  notBefore: number;
  lastError?: string;
  /** ms since the epoch; set once dead-lettered. */
  deadAt?: number;
}

export interface NotificationOutbox {
  /** Durably queues the deliveries; resolves once they are committed. Deliveries already queued (same id) are left as they are. */
  enqueue(deliveries: readonly QueuedDelivery[]): Promise<void>;
  /** For delivery status: where one delivery stands. */
  state(deliveryId: string): Promise<OutboxEntryState | undefined>;
}

/** What `deliverQueued` did. `failed` says whether trying again can help. */
export type QueuedDeliveryOutcome =
  | { status: 'delivered' }
  /** Already delivered (a repeated job: a retried function invocation, a replayed dead letter): not sent again. */
  | { status: 'duplicate' }
  /** The subscription was deleted (or is not confirmed) since the message was published: nothing to send. */
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; retryable: boolean; error: string };

export function deliveryId(messageId: string, subscriptionId: string): string {
  return `${messageId}:${subscriptionId}`;
}

/**
 * A delivery failure whose driver already knows whether it is worth retrying
 * (the HTTP drivers to come throw this with `httpStatusRetryable`).
 */
export class DeliveryError extends Error {
  readonly retryable: boolean;

  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeliveryError';
    this.retryable = options.retryable;
  }
}

/**
 * SNS's rule for HTTP/S endpoints: 2xx is delivered; 5xx and 429 (too many
 * requests) are retried; every other status (other 4xx, 1xx, 3xx) is a
 * permanent failure. Timeouts and connection errors are retried too, but they
 * have no status: that is the driver's `catch`.
 */
export function httpStatusOutcome(status: number): 'delivered' | 'retry' | 'permanent' {
  if (status >= 200 && status < 300) return 'delivered';
  if (status >= 500 || status === 429) return 'retry';
  return 'permanent';
}

/** The nodemailer error behind a mail transport's SLUICE_ERR_MAIL_SEND (its `cause`), if any. */
interface SmtpErrorFields {
  code?: unknown;
  responseCode?: unknown;
}

/**
 * Whether a failed delivery is worth retrying.
 *
 * - A `DeliveryError` says so itself.
 * - Email (SMTP): a permanent rejection of this message or recipient is
 *   final: a 5xx reply (except 503, "bad sequence") to MAIL FROM, RCPT TO or
 *   DATA, which nodemailer reports as `EENVELOPE` / `EMESSAGE` — e.g. 550
 *   "mailbox unavailable", 553 "mailbox name not allowed", 554 "transaction
 *   failed". Everything else is retried: 4xx replies (greylisting, mailbox
 *   full for now, 421 service closing), a server that is down, unreachable
 *   or times out, and failed authentication (a 535 says Sluice's SMTP
 *   credentials are wrong, which the operator can fix while retries last, not
 *   that this message is unwanted).
 * - Anything else (an unknown error) is retried: at-least-once is the safe default.
 */
export function isRetryableDeliveryError(error: unknown): boolean {
  if (error instanceof DeliveryError) return error.retryable;
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth += 1) {
    if (cause instanceof DeliveryError) return cause.retryable;
    const smtp = cause as SmtpErrorFields;
    if (typeof smtp.responseCode === 'number' && (smtp.code === 'EENVELOPE' || smtp.code === 'EMESSAGE')) {
      return !(smtp.responseCode >= 500 && smtp.responseCode < 600 && smtp.responseCode !== 503);
    }
  }
  // A transport refusing at our end for a reason a retry cannot change is a SluiceError with a code that says so.
  if (isSluiceError(error) && error.code === 'SLUICE_ERR_SUBSCRIPTION_INVALID') return false;
  return true;
}
