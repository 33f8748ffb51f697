import type { ActionTarget } from './model.js';

/** How often and how patiently one action kind is retried. Times in ms. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Give up once the job is this old, however many attempts are left. */
  maxAgeMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

const HOUR = 3_600_000;

/**
 * Defaults per action kind. Functions get two retries, as asynchronous Lambda
 * invokes do; storage and HTTP targets are retried longer, since their
 * failures are usually outages that end.
 */
const DEFAULTS: Record<string, RetryPolicy> = {
  s3: { maxAttempts: 8, maxAgeMs: 24 * HOUR, baseDelayMs: 200, maxDelayMs: 60_000 },
  function: { maxAttempts: 3, maxAgeMs: 6 * HOUR, baseDelayMs: 1_000, maxDelayMs: 60_000 },
  http: { maxAttempts: 8, maxAgeMs: 24 * HOUR, baseDelayMs: 1_000, maxDelayMs: 5 * 60_000 },
  republish: { maxAttempts: 3, maxAgeMs: HOUR, baseDelayMs: 100, maxDelayMs: 10_000 },
};

const FALLBACK: RetryPolicy = { maxAttempts: 3, maxAgeMs: HOUR, baseDelayMs: 500, maxDelayMs: 60_000 };

/** The kind's defaults, narrowed by the rule's own limits where it sets them. */
export function retryPolicyFor(target: ActionTarget, ruleLimits?: { maxAttempts?: number; maxAgeMs?: number }): RetryPolicy {
  const base = DEFAULTS[target.kind] ?? FALLBACK;
  return {
    ...base,
    ...(ruleLimits?.maxAttempts !== undefined ? { maxAttempts: ruleLimits.maxAttempts } : {}),
    ...(ruleLimits?.maxAgeMs !== undefined ? { maxAgeMs: ruleLimits.maxAgeMs } : {}),
  };
}

/**
 * Exponential backoff with full jitter (a random delay up to the exponential
 * bound), so many jobs failing together do not retry together.
 * `attempt` is the number of attempts made so far (1 after the first failure).
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const bound = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(bound * random());
}
