import type { ActionTarget, BackoffFunction, RuleRetryLimits } from './model.js';

/** How often and how patiently one action kind is retried. Times in ms. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Give up once the job is this old, however many attempts are left. */
  maxAgeMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Unset: exponential backoff with full jitter. Set: SNS's schedule from `baseDelayMs` to `maxDelayMs`, no jitter. */
  backoff?: BackoffFunction;
}

const HOUR = 3_600_000;

/**
 * Defaults per action kind. Functions get two retries, as asynchronous Lambda
 * invokes do; storage and HTTP targets are retried longer, since their
 * failures are usually outages that end. A `notification` job always carries
 * its protocol's schedule (or its subscription's delivery policy) in
 * `job.retry`, made when it was queued; the default here is the email one,
 * for a job that somehow has none.
 */
const DEFAULTS: Record<string, RetryPolicy> = {
  s3: { maxAttempts: 8, maxAgeMs: 24 * HOUR, baseDelayMs: 200, maxDelayMs: 60_000 },
  // The readings store is local storage too: its failures (a locked or full disk) are outages that end.
  timeseries: { maxAttempts: 8, maxAgeMs: 24 * HOUR, baseDelayMs: 200, maxDelayMs: 60_000 },
  // An archive's failures are its object store's: outages that end, as for s3.
  archive: { maxAttempts: 8, maxAgeMs: 24 * HOUR, baseDelayMs: 200, maxDelayMs: 60_000 },
  function: { maxAttempts: 3, maxAgeMs: 6 * HOUR, baseDelayMs: 1_000, maxDelayMs: 60_000 },
  http: { maxAttempts: 8, maxAgeMs: 24 * HOUR, baseDelayMs: 1_000, maxDelayMs: 5 * 60_000 },
  republish: { maxAttempts: 3, maxAgeMs: HOUR, baseDelayMs: 100, maxDelayMs: 10_000 },
  notification: { maxAttempts: 50, maxAgeMs: 24 * HOUR, baseDelayMs: 10_000, maxDelayMs: 15 * 60_000 },
};

const FALLBACK: RetryPolicy = { maxAttempts: 3, maxAgeMs: HOUR, baseDelayMs: 500, maxDelayMs: 60_000 };

/** The kind's defaults, narrowed or widened by the job's own limits (the rule's, or a delivery's schedule) where it sets them. */
export function retryPolicyFor(target: ActionTarget, limits?: RuleRetryLimits): RetryPolicy {
  const base = DEFAULTS[target.kind] ?? FALLBACK;
  return {
    ...base,
    ...(limits?.maxAttempts !== undefined ? { maxAttempts: limits.maxAttempts } : {}),
    ...(limits?.maxAgeMs !== undefined ? { maxAgeMs: limits.maxAgeMs } : {}),
    ...(limits?.baseDelayMs !== undefined ? { baseDelayMs: limits.baseDelayMs } : {}),
    ...(limits?.maxDelayMs !== undefined ? { maxDelayMs: limits.maxDelayMs } : {}),
    ...(limits?.backoff !== undefined ? { backoff: limits.backoff } : {}),
  };
}

/**
 * The delay before the next attempt. `attempt` is the number of attempts
 * made so far (1 after the first failure), so it is also the number of the
 * retry about to be scheduled.
 *
 * Without `policy.backoff`: exponential backoff with full jitter (a random
 * delay up to `min(maxDelayMs, baseDelayMs * 2^(attempt-1))`), so many jobs
 * failing together do not retry together.
 *
 * With it: `scheduledDelayMs`, SNS's deterministic schedule.
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  if (policy.backoff !== undefined) return scheduledDelayMs(attempt, policy);
  const bound = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(bound * random());
}

/**
 * SNS's backoff phase: retry 1 waits `baseDelayMs` (minDelayTarget), the
 * last retry (`maxAttempts - 1`) waits `maxDelayMs` (maxDelayTarget), and
 * those in between follow the backoff function. AWS does not publish its
 * formulas; Sluice's, with p = (retry - 1) / (retries - 1) going from 0 to 1:
 *
 * - `linear`: the delay grows by the same amount each retry: min + (max - min)·p.
 * - `arithmetic`: the growth itself grows by the same amount each retry
 *   (an arithmetic series of increments): min + (max - min)·p².
 * - `geometric`: each delay is the one before times the same ratio: min·(max/min)^p.
 * - `exponential`: each delay is twice the one before, ending at max: max / 2^(retries - retry), at least min.
 *
 * When min equals max (SNS's default: 20 s and 20 s) every function gives the
 * same fixed delay. Whole milliseconds.
 */
export function scheduledDelayMs(retry: number, policy: Pick<RetryPolicy, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'backoff'>): number {
  const min = Math.max(0, policy.baseDelayMs);
  const max = Math.max(min, policy.maxDelayMs);
  const retries = policy.maxAttempts - 1;
  if (retries <= 1 || max === min) return Math.round(min);
  const n = Math.min(Math.max(1, retry), retries);
  const p = (n - 1) / (retries - 1);
  switch (policy.backoff ?? 'linear') {
    case 'linear':
      return Math.round(min + (max - min) * p);
    case 'arithmetic':
      return Math.round(min + (max - min) * p * p);
    case 'geometric':
      // A ratio needs a positive start; from 0 it degenerates to linear.
      return Math.round(min > 0 ? min * (max / min) ** p : max * p);
    case 'exponential':
      return Math.round(Math.max(min, max / 2 ** (retries - n)));
  }
}
