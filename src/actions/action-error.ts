/**
 * How an action reports failure to the executor: whether trying again can
 * help. HTTP 429/5xx/timeouts and transient I/O errors are retryable; an HTTP
 * 4xx or a missing bucket is not, and goes straight to the error action.
 */
export class ActionError extends Error {
  readonly retryable: boolean;
  /** The target refused the work without doing it (a throttled function): retried without counting an attempt. */
  readonly throttled: boolean;

  constructor(message: string, options: { retryable: boolean; throttled?: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ActionError';
    this.retryable = options.retryable;
    this.throttled = options.throttled ?? false;
  }
}

export function isThrottled(error: unknown): boolean {
  return error instanceof ActionError && error.throttled;
}

/** Errors that do not say otherwise are treated as transient: retrying is the safe default for at-least-once. */
export function isRetryable(error: unknown): boolean {
  return error instanceof ActionError ? error.retryable : true;
}
