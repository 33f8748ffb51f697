/**
 * What actions need from the other capabilities, as narrow ports; the
 * composition root plugs in the object store, the function runtime and the
 * broker. Actions never import those capabilities themselves.
 */
import type { ActionInput, ArchiveTarget } from './model.js';

export interface ObjectWriter {
  putObject(bucket: string, key: string, body: Buffer, options?: { contentType?: string; metadata?: Record<string, string> }): Promise<void>;
}

/**
 * The archive writer: `append` resolves only once the object holding the
 * message is written (its batch was flushed), and rejects with the store's
 * error when that write failed. Until then the job stays leased in the
 * durable queue, so a crash while the message is buffered loses nothing.
 */
export interface ArchiveAppender {
  /** Resolves with the object that holds the message, when the writer tells (for message traces). */
  append(target: ArchiveTarget, input: ActionInput, jobId: string): Promise<{ bucket: string; key: string } | void>;
}

export interface FunctionInvoker {
  /**
   * Resolves with the invocation's outcome; rejects only if the function does
   * not exist. `attempt` (1 for the first) numbers the job's attempts, for the
   * onSuccess destination's record.
   */
  invokeAsync(
    functionName: string,
    event: unknown,
    requestId: string,
    attempt?: number,
  ): Promise<{ ok: true } | { ok: false; errorMessage: string; /** The function did not run (Lambda's throttle): not an attempt. */ throttled?: boolean }>;
  /**
   * The function's own limits for its asynchronous invocations (Lambda's
   * retryAttempts + 1 and maxEventAge), used for a function action instead of
   * the kind's defaults when the rule sets no `retry` of its own.
   */
  retryLimits?(functionName: string): { maxAttempts: number; maxAgeMs: number } | undefined;
  /**
   * A function action's job failed for good: hand its record to the
   * function's onFailure destination. Resolves true when a destination took
   * it (the job is then handled: no error action, no dead letter).
   */
  failed?(
    functionName: string,
    event: unknown,
    requestId: string,
    info: { condition: 'RetriesExhausted' | 'EventAgeExceeded'; attempts: number; errorMessage: string },
  ): Promise<boolean>;
}

export interface MessagePublisher {
  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
}

/** One notification as its delivery job carries it (the job's `input.value`). */
export interface NotificationPayload {
  messageId: string;
  message: string;
  subject?: string;
  /** SNS message attributes, `{ Name: { Type, Value } }`, for the protocols that pass them on. */
  messageAttributes?: Record<string, { Type: string; Value: string }>;
  /** When it was published, ms since the epoch (SNS's `Timestamp`). */
  timestamp: number;
}

export interface NotificationDeliverer {
  /**
   * Delivers one notification to one subscription (a `notification` job).
   * Resolves `{ ok: true }` when it was delivered, or needs no delivery (done
   * before, or the subscription is gone); `{ ok: false }` says whether trying
   * again can help. Rejections are treated as retryable.
   */
  deliver(
    target: { topic: string; subscriptionId: string; protocol: string },
    notification: NotificationPayload,
    jobId: string,
    attempt: number,
  ): Promise<{ ok: true } | { ok: false; retryable: boolean; errorMessage: string }>;
}

/** The readings store, as the `timeseries` action writes to it. */
export interface ReadingsWriter {
  /**
   * Stores one reading; the same (series, device, time) again merges its
   * fields, so a retried job stores it once. Rejects with
   * SLUICE_ERR_NOT_FOUND when the series is not declared.
   */
  write(series: string, reading: { device: string; time: number; values: Record<string, number> }): Promise<void>;
}

export interface ActionPorts {
  objects: ObjectWriter;
  functions: FunctionInvoker;
  broker: MessagePublisher;
  notifications: NotificationDeliverer;
  /** Optional: without it, `archive` actions fail for good (nothing can write them). */
  archive?: ArchiveAppender;
  /** Optional: without it, `timeseries` actions fail for good (nothing can store them). */
  readings?: ReadingsWriter;
}
