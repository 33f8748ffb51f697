/**
 * Retry schedules of queued deliveries: a default per protocol, and SNS's
 * `DeliveryPolicy` to change it per subscription. The schedule is copied into
 * each delivery when its message is published, so changing a subscription's
 * policy affects later messages, not those already waiting.
 */
import { z } from 'zod';
import { SluiceError, formatFieldPath } from '../core/index.js';
import type { DeliveryRetry } from './outbox.js';

/** SNS's backoff functions; the curves are in `actions/retry-policy.ts` (`scheduledDelayMs`). */
export const BACKOFF_FUNCTIONS = ['linear', 'arithmetic', 'geometric', 'exponential'] as const;
export type BackoffFunction = (typeof BACKOFF_FUNCTIONS)[number];

/** SNS's `healthyRetryPolicy`, the part of a delivery policy Sluice applies. Delays in seconds. */
export interface HealthyRetryPolicy {
  /** Retries after the first attempt, 0 to 100. */
  numRetries?: number;
  /** Delay before the first retry, 1 to 3600 s. */
  minDelayTarget?: number;
  /** Delay before the last retry, `minDelayTarget` to 3600 s. */
  maxDelayTarget?: number;
  backoffFunction?: BackoffFunction;
  /** Accepted for SNS compatibility only as 0 (their default): Sluice has no immediate, minimum or maximum phases. */
  numNoDelayRetries?: 0;
  numMinDelayRetries?: 0;
  numMaxDelayRetries?: 0;
}

/** SNS's subscription `DeliveryPolicy` (JSON), as far as Sluice implements it. */
export interface DeliveryPolicy {
  healthyRetryPolicy?: HealthyRetryPolicy;
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** SNS's default delivery policy for HTTP/S: 3 retries, 20 s apart. */
export const SNS_DEFAULT_HEALTHY_RETRY_POLICY: Readonly<Required<Pick<HealthyRetryPolicy, 'numRetries' | 'minDelayTarget' | 'maxDelayTarget' | 'backoffFunction'>>> = {
  numRetries: 3,
  minDelayTarget: 20,
  maxDelayTarget: 20,
  backoffFunction: 'linear',
};

/**
 * However long a schedule is, a delivery is given up (dead-lettered) once it
 * has waited this long. SNS's own longest (email: about 6 h; a 100-retry
 * policy at 3600 s could ask for 100 h) fits in it only for email, on purpose:
 * a day-old alert is rarely worth sending.
 */
export const MAX_DELIVERY_AGE_MS = 24 * HOUR;

/**
 * The schedule per protocol when the subscription sets no delivery policy.
 *
 * - email, email-json (SNS: "customer-managed endpoints", 50 attempts over
 *   about 6 hours, 10 s growing to 10 min): 50 attempts, exponential backoff
 *   with full jitter from 10 s, capped at 15 min — about 5 to 6 hours of
 *   retries on average, so a mail server down for a night loses nothing
 *   only if someone replays the dead letters (see docs/reliability.md).
 * - http, https: SNS's default delivery policy — 3 retries (4 attempts),
 *   20 s apart, no backoff.
 * - anything else (function, mqtt: endpoints Sluice runs itself; SNS retries
 *   its own AWS endpoints for days): 100 attempts, full-jitter backoff from 1 s
 *   capped at 20 s.
 */
export const DEFAULT_DELIVERY_RETRY: Readonly<Record<'email' | 'http' | 'other', DeliveryRetry>> = {
  email: { maxAttempts: 50, maxAgeMs: MAX_DELIVERY_AGE_MS, baseDelayMs: 10 * SECOND, maxDelayMs: 15 * MINUTE },
  http: fromHealthyRetryPolicy(SNS_DEFAULT_HEALTHY_RETRY_POLICY),
  other: { maxAttempts: 100, maxAgeMs: MAX_DELIVERY_AGE_MS, baseDelayMs: SECOND, maxDelayMs: 20 * SECOND },
};

/** The schedule of one delivery: the subscription's delivery policy if it has one, else its protocol's default. */
export function deliveryRetryFor(protocol: string, policy?: DeliveryPolicy): DeliveryRetry {
  if (policy?.healthyRetryPolicy !== undefined) return fromHealthyRetryPolicy(policy.healthyRetryPolicy);
  if (protocol === 'email' || protocol === 'email-json') return { ...DEFAULT_DELIVERY_RETRY.email };
  if (protocol === 'http' || protocol === 'https') return { ...DEFAULT_DELIVERY_RETRY.http };
  return { ...DEFAULT_DELIVERY_RETRY.other };
}

/** Unset fields take SNS's defaults (3 retries, 20 s, linear). */
function fromHealthyRetryPolicy(policy: HealthyRetryPolicy): DeliveryRetry {
  const defaults = SNS_DEFAULT_HEALTHY_RETRY_POLICY;
  const min = policy.minDelayTarget ?? defaults.minDelayTarget;
  // A minimum above the default maximum (20 s) with no maximum given means a fixed delay.
  const max = Math.max(min, policy.maxDelayTarget ?? defaults.maxDelayTarget);
  return {
    maxAttempts: (policy.numRetries ?? defaults.numRetries) + 1,
    maxAgeMs: MAX_DELIVERY_AGE_MS,
    baseDelayMs: min * SECOND,
    maxDelayMs: max * SECOND,
    backoff: policy.backoffFunction ?? defaults.backoffFunction,
  };
}

const seconds = (what: string) =>
  z.number({ error: `${what} must be a whole number of seconds` }).int(`${what} must be a whole number of seconds`).min(1, `${what} must be 1 to 3600 seconds`).max(3600, `${what} must be 1 to 3600 seconds`);

const unsupportedPhase = (name: string) =>
  z.literal(0, { error: `${name} is not supported (Sluice has no separate retry phases): leave it out or set it to 0` }).optional();

const SUPPORTED_FIELDS = 'numRetries, minDelayTarget, maxDelayTarget, backoffFunction';

const healthyRetryPolicySchema = z
  .object({
    numRetries: z.number({ error: 'numRetries must be a whole number from 0 to 100' }).int('numRetries must be a whole number from 0 to 100').min(0, 'numRetries must be a whole number from 0 to 100').max(100, 'numRetries must be a whole number from 0 to 100').optional(),
    minDelayTarget: seconds('minDelayTarget').optional(),
    maxDelayTarget: seconds('maxDelayTarget').optional(),
    backoffFunction: z.enum(BACKOFF_FUNCTIONS, { error: `backoffFunction must be one of ${BACKOFF_FUNCTIONS.join(', ')}` }).optional(),
    numNoDelayRetries: unsupportedPhase('numNoDelayRetries'),
    numMinDelayRetries: unsupportedPhase('numMinDelayRetries'),
    numMaxDelayRetries: unsupportedPhase('numMaxDelayRetries'),
  }, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}: expected ${SUPPORTED_FIELDS}`
      : issue.code === 'invalid_type' ? `must be an object with ${SUPPORTED_FIELDS}`
      : undefined,
  })
  .strict()
  .superRefine((policy, ctx) => {
    const min = policy.minDelayTarget ?? SNS_DEFAULT_HEALTHY_RETRY_POLICY.minDelayTarget;
    const max = policy.maxDelayTarget ?? Math.max(min, SNS_DEFAULT_HEALTHY_RETRY_POLICY.maxDelayTarget);
    if (max < min) ctx.addIssue({ code: 'custom', path: ['maxDelayTarget'], message: `maxDelayTarget (${max} s) must not be less than minDelayTarget (${min} s)` });
  });

const UNSUPPORTED_POLICIES: Record<string, string> = {
  throttlePolicy: 'throttlePolicy is not supported: deliveries to one subscription are bounded by the executor\'s per-target concurrency instead',
  requestPolicy: 'requestPolicy is not supported',
  sicklyRetryPolicy: 'sicklyRetryPolicy is not supported',
};

const deliveryPolicySchema = z
  .object({ healthyRetryPolicy: healthyRetryPolicySchema.optional() })
  .catchall(z.unknown())
  .superRefine((policy, ctx) => {
    for (const key of Object.keys(policy)) {
      if (key === 'healthyRetryPolicy') continue;
      ctx.addIssue({ code: 'custom', path: [key], message: UNSUPPORTED_POLICIES[key] ?? `unknown field ${JSON.stringify(key)}: expected healthyRetryPolicy` });
    }
  });

/**
 * Checks a delivery policy as SNS takes it (an object, or its JSON text, as
 * SNS's `DeliveryPolicy` attribute is) and returns it as an object. Throws
 * SLUICE_ERR_SUBSCRIPTION_INVALID naming the field, e.g.
 * `deliveryPolicy.healthyRetryPolicy.numRetries: numRetries must be a whole number from 0 to 100`.
 */
export function parseDeliveryPolicy(input: unknown): DeliveryPolicy {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown;
    } catch {
      throw invalidPolicy('deliveryPolicy', 'must be a JSON object such as {"healthyRetryPolicy":{"numRetries":3}}');
    }
  }
  const parsed = deliveryPolicySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = formatFieldPath(['deliveryPolicy', ...(issue?.path ?? [])]);
    const message = issue?.code === 'invalid_type' && issue.path.length === 0 ? 'must be an object with a healthyRetryPolicy' : (issue?.message ?? 'invalid');
    throw invalidPolicy(field, message);
  }
  const policy = parsed.data.healthyRetryPolicy;
  if (policy === undefined) return {};
  // Only the fields given, in a fixed order: what is stored is what was asked for.
  const healthy: HealthyRetryPolicy = {};
  if (policy.numRetries !== undefined) healthy.numRetries = policy.numRetries;
  if (policy.minDelayTarget !== undefined) healthy.minDelayTarget = policy.minDelayTarget;
  if (policy.maxDelayTarget !== undefined) healthy.maxDelayTarget = policy.maxDelayTarget;
  if (policy.backoffFunction !== undefined) healthy.backoffFunction = policy.backoffFunction;
  return { healthyRetryPolicy: healthy };
}

function invalidPolicy(field: string, message: string): SluiceError {
  return new SluiceError('SLUICE_ERR_SUBSCRIPTION_INVALID', `${field}: ${message}`, { place: { field } });
}
