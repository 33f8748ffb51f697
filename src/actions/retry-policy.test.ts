import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ActionTarget } from './model.js';
import { backoffDelayMs, retryPolicyFor, scheduledDelayMs, type RetryPolicy } from './retry-policy.js';

const HOUR = 3_600_000;
const POLICY: RetryPolicy = { maxAttempts: 20, maxAgeMs: HOUR, baseDelayMs: 200, maxDelayMs: 60_000 };

// [attempts made so far, the exponential bound min(max, base * 2^(n-1))]
const BOUNDS: Array<[number, number]> = [
  [1, 200],
  [2, 400],
  [3, 800],
  [4, 1_600],
  [5, 3_200],
  [6, 6_400],
  [7, 12_800],
  [8, 25_600],
  [9, 51_200],
  [10, 60_000], // 102,400 capped
  [30, 60_000],
];

for (const [attempt, bound] of BOUNDS) {
  test(`backoff after attempt ${attempt}: up to ${bound} ms (full jitter)`, () => {
    assert.equal(backoffDelayMs(attempt, POLICY, () => 1), bound);
    assert.equal(backoffDelayMs(attempt, POLICY, () => 0), 0);
    assert.equal(backoffDelayMs(attempt, POLICY, () => 0.5), bound / 2);
  });
}

test('backoff before any attempt is the base bound, and the delay is whole milliseconds', () => {
  assert.equal(backoffDelayMs(0, POLICY, () => 1), 200);
  assert.equal(backoffDelayMs(1, { ...POLICY, baseDelayMs: 3 }, () => 0.5), 2);
});

test('backoff with the default random stays within its bound', () => {
  for (let i = 0; i < 100; i++) {
    const delay = backoffDelayMs(3, POLICY);
    assert.ok(Number.isInteger(delay) && delay >= 0 && delay <= 800, String(delay));
  }
});

const TARGETS: Record<string, ActionTarget> = {
  s3: { kind: 's3', bucket: 'b', key: 'k' },
  function: { kind: 'function', functionName: 'f' },
  republish: { kind: 'republish', topic: 't', qos: 0 },
  http: { kind: 'http', url: 'https://example.com/hook', headers: [], timeoutMs: 5_000 },
  notification: { kind: 'notification', topic: 'alerts', subscriptionId: 's1', protocol: 'email' },
};

// The defaults per kind, pinned: changing one changes how long an outage is survived.
const DEFAULTS: Array<[string, RetryPolicy]> = [
  ['s3', { maxAttempts: 8, maxAgeMs: 24 * HOUR, baseDelayMs: 200, maxDelayMs: 60_000 }],
  // Two retries, as AWS retries an asynchronous Lambda invoke.
  ['function', { maxAttempts: 3, maxAgeMs: 6 * HOUR, baseDelayMs: 1_000, maxDelayMs: 60_000 }],
  ['republish', { maxAttempts: 3, maxAgeMs: HOUR, baseDelayMs: 100, maxDelayMs: 10_000 }],
  ['http', { maxAttempts: 8, maxAgeMs: 24 * HOUR, baseDelayMs: 1_000, maxDelayMs: 5 * 60_000 }],
  // Only for a notification job that carries no schedule of its own (they all do): email's.
  ['notification', { maxAttempts: 50, maxAgeMs: 24 * HOUR, baseDelayMs: 10_000, maxDelayMs: 15 * 60_000 }],
];

for (const [kind, policy] of DEFAULTS) {
  test(`retryPolicyFor ${kind}: the kind's defaults when the rule sets no limits`, () => {
    const target = TARGETS[kind];
    assert.ok(target);
    assert.deepEqual(retryPolicyFor(target), policy);
    assert.deepEqual(retryPolicyFor(target, {}), policy);
  });
}

// [rule limits, the fields they change]
const OVERRIDES: Array<[{ maxAttempts?: number; maxAgeMs?: number }, Partial<RetryPolicy>]> = [
  [{ maxAttempts: 1 }, { maxAttempts: 1 }],
  [{ maxAttempts: 10 }, { maxAttempts: 10 }],
  [{ maxAgeMs: 60_000 }, { maxAgeMs: 60_000 }],
  [{ maxAttempts: 2, maxAgeMs: 12 * HOUR }, { maxAttempts: 2, maxAgeMs: 12 * HOUR }],
];

for (const [limits, changed] of OVERRIDES) {
  test(`retryPolicyFor takes the rule's ${JSON.stringify(limits)} over the kind's defaults, and nothing else`, () => {
    const defaults = retryPolicyFor(TARGETS.function as ActionTarget);
    assert.deepEqual(retryPolicyFor(TARGETS.function as ActionTarget, limits), { ...defaults, ...changed });
  });
}

test('retryPolicyFor takes a delivery schedule whole: delays and backoff function too', () => {
  const limits = { maxAttempts: 4, maxAgeMs: HOUR, baseDelayMs: 20_000, maxDelayMs: 20_000, backoff: 'linear' as const };
  assert.deepEqual(retryPolicyFor(TARGETS.notification as ActionTarget, limits), limits);
});

// SNS's backoff phase over 5 retries (maxAttempts 6), retry 1 → 5: [function, min, max, delays in ms]
const SCHEDULES: Array<[RetryPolicy['backoff'], number, number, number[]]> = [
  ['linear', 1_000, 16_000, [1_000, 4_750, 8_500, 12_250, 16_000]],
  ['arithmetic', 1_000, 16_000, [1_000, 1_938, 4_750, 9_438, 16_000]],
  ['geometric', 1_000, 16_000, [1_000, 2_000, 4_000, 8_000, 16_000]],
  // Doubling back from the maximum, never under the minimum.
  ['exponential', 1_000, 12_000, [1_000, 1_500, 3_000, 6_000, 12_000]],
  // SNS's default HTTP policy shape: every function is a fixed delay when min = max.
  ['exponential', 20_000, 20_000, [20_000, 20_000, 20_000, 20_000, 20_000]],
  ['geometric', 0, 8_000, [0, 2_000, 4_000, 6_000, 8_000]],
];

for (const [backoff, min, max, delays] of SCHEDULES) {
  test(`scheduled backoff ${backoff} from ${min} to ${max} ms: ${delays.join(', ')}`, () => {
    const policy: RetryPolicy = { maxAttempts: 6, maxAgeMs: HOUR, baseDelayMs: min, maxDelayMs: max, ...(backoff ? { backoff } : {}) };
    assert.deepEqual([1, 2, 3, 4, 5].map((retry) => scheduledDelayMs(retry, policy)), delays);
    // No jitter: the random source is not consulted.
    assert.deepEqual([1, 2, 3, 4, 5].map((retry) => backoffDelayMs(retry, policy, () => 0)), delays);
  });
}

test('scheduled backoff: SNS default (numRetries 3, 20 s, linear) is 20 s before each of the 3 retries; edges are clamped', () => {
  const policy: RetryPolicy = { maxAttempts: 4, maxAgeMs: HOUR, baseDelayMs: 20_000, maxDelayMs: 20_000, backoff: 'linear' };
  assert.deepEqual([1, 2, 3].map((retry) => backoffDelayMs(retry, policy)), [20_000, 20_000, 20_000]);
  const ramp: RetryPolicy = { ...policy, maxDelayMs: 60_000 };
  assert.equal(scheduledDelayMs(0, ramp), 20_000, 'before the first retry: the minimum');
  assert.equal(scheduledDelayMs(9, ramp), 60_000, 'past the last retry: the maximum');
  assert.equal(scheduledDelayMs(1, { ...ramp, maxAttempts: 2 }), 20_000, 'a single retry waits the minimum');
});
