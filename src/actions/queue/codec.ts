import { isUtf8 } from 'node:buffer';
import type { ActionJob, ActionTarget, RuleRetryLimits } from '../model.js';

/**
 * How an `ActionJob` is stored: JSON text, Buffers as base64. Every queue
 * driver stores this form (the memory driver too), so a test cannot pass by
 * sharing references with the caller. `v` lets a later Sluice read jobs a
 * previous version queued.
 *
 * Most jobs carry the same message three times (the rule's output bytes,
 * their parsed value, the original payload), and every byte is written to
 * the queue's WAL twice (insert, delete) and once more at checkpoint. So
 * what repeats is stored once: UTF-8 output as text (`payloadText`), a value
 * that is exactly the parsed text left out (`valueIsPayload`), and an
 * original payload equal to the output left out (`originalIsPayload`).
 */
interface EncodedJobV1 {
  v: 1;
  id: string;
  ruleName: string;
  actionIndex: number;
  target: ActionTarget;
  errorTarget?: ActionTarget;
  retry?: RuleRetryLimits;
  input: {
    topic: string;
    clientId: string;
    timestamp: number;
    /** base64 of `input.payload`; absent when `payloadText` holds it. */
    payload?: string;
    /** `input.payload` when it is valid UTF-8 (the usual JSON payload), byte-exact. */
    payloadText?: string;
    /** `value` is JSON.parse(payloadText): `JSON.stringify(value)` was exactly that text. */
    valueIsPayload?: true;
    /** Absent when the job's value is undefined (a binary payload passed through); JSON has no undefined. */
    value?: unknown;
  };
  /** base64 of `originalPayload`; absent when `originalIsPayload`. */
  originalPayload?: string;
  /** `originalPayload` has the same bytes as `input.payload` (SELECT * passes the message on unchanged). */
  originalIsPayload?: true;
}

/**
 * `input.value` must be a JSON value (what the rules SQL produces); a BigInt
 * makes this throw, which the queue reports to that enqueue call alone.
 */
export function encodeJob(job: ActionJob): string {
  // Fields are copied by name so nothing but the model's fields is persisted.
  const encoded: EncodedJobV1 = {
    v: 1,
    id: job.id,
    ruleName: job.ruleName,
    actionIndex: job.actionIndex,
    target: job.target,
    input: {
      topic: job.input.topic,
      clientId: job.input.clientId,
      timestamp: job.input.timestamp,
    },
  };
  const { payload, value } = job.input;
  const text = isUtf8(payload) ? payload.toString('utf8') : undefined;
  if (text === undefined) encoded.input.payload = payload.toString('base64');
  else encoded.input.payloadText = text;
  if (value !== undefined) {
    if (text !== undefined && JSON.stringify(value) === text) encoded.input.valueIsPayload = true;
    else encoded.input.value = value;
  }
  if (job.originalPayload.equals(payload)) encoded.originalIsPayload = true;
  else encoded.originalPayload = job.originalPayload.toString('base64');
  if (job.errorTarget !== undefined) encoded.errorTarget = job.errorTarget;
  if (job.retry !== undefined) encoded.retry = encodeRetry(job.retry);
  return JSON.stringify(encoded);
}

/** By name, as the job's other fields: a rule's limits, or a notification delivery's schedule. */
function encodeRetry(retry: RuleRetryLimits): RuleRetryLimits {
  const encoded: RuleRetryLimits = {};
  if (retry.maxAttempts !== undefined) encoded.maxAttempts = retry.maxAttempts;
  if (retry.maxAgeMs !== undefined) encoded.maxAgeMs = retry.maxAgeMs;
  if (retry.baseDelayMs !== undefined) encoded.baseDelayMs = retry.baseDelayMs;
  if (retry.maxDelayMs !== undefined) encoded.maxDelayMs = retry.maxDelayMs;
  if (retry.backoff !== undefined) encoded.backoff = retry.backoff;
  return encoded;
}

export function decodeJob(text: string): ActionJob {
  const encoded = JSON.parse(text) as Partial<EncodedJobV1> | null;
  // The queue file is ours, so this is a version check and a tripwire for a
  // corrupted row, not input validation.
  if (
    encoded === null ||
    typeof encoded !== 'object' ||
    encoded.v !== 1 ||
    !encoded.input ||
    (typeof encoded.originalPayload !== 'string' && encoded.originalIsPayload !== true) ||
    (typeof encoded.input.payload !== 'string' && typeof encoded.input.payloadText !== 'string')
  ) {
    throw new Error(`stored action job is not in a known encoding (v=${JSON.stringify(encoded?.v)})`);
  }
  const { input } = encoded;
  const payload = input.payloadText !== undefined ? Buffer.from(input.payloadText, 'utf8') : Buffer.from(input.payload ?? '', 'base64');
  const job: ActionJob = {
    id: encoded.id as string,
    ruleName: encoded.ruleName as string,
    actionIndex: encoded.actionIndex as number,
    target: encoded.target as ActionTarget,
    input: {
      topic: input.topic,
      clientId: input.clientId,
      timestamp: input.timestamp,
      payload,
      // The model's `value` key is always present, undefined for binary payloads.
      value: input.valueIsPayload === true ? JSON.parse(input.payloadText ?? '') : 'value' in input ? input.value : undefined,
    },
    // A copy, not the same Buffer: the job's two payloads are separate values in the model.
    originalPayload: encoded.originalIsPayload === true ? Buffer.from(payload) : Buffer.from(encoded.originalPayload ?? '', 'base64'),
  };
  if (encoded.errorTarget !== undefined) job.errorTarget = encoded.errorTarget;
  if (encoded.retry !== undefined) job.retry = encoded.retry;
  return job;
}
