import { SluiceError, type Clock } from '../../core/index.js';
import { decodeJob } from './codec.js';
import type { ActionJob } from '../model.js';
import { isBatchingTarget, targetKey, type DeadLetter, type DeadLetterFilter } from './port.js';

/** `enqueueLeased`'s check, the same in every driver: the job's target key, which must be a batching target's. */
export function leasableTarget(job: ActionJob): string {
  const target = targetKey(job);
  if (!isBatchingTarget(target)) throw new Error(`enqueueLeased takes archive jobs only; job ${job.id} is for ${target}`);
  return target;
}

/** Options every driver accepts. */
export interface ActionQueueOptions {
  /** Stamps `enqueuedAt` (and the first `notBefore`) on enqueue, which takes no `now`; defaults to the system clock. */
  clock?: Clock;
}

/**
 * A dead-letter filter resolved against `now`: absolute `deadAt` bounds, both
 * inclusive, so `olderThanMs: 0` means "all" and the drivers agree at the edges.
 */
export interface DeadLetterBounds {
  jobId?: string;
  ruleName?: string;
  target?: string;
  /** deadAt <= this (from `olderThanMs`) */
  deadAtMax?: number;
  /** deadAt >= this (from `newerThanMs`) */
  deadAtMin?: number;
  /** Infinity when the filter has no limit. */
  limit: number;
}

export function deadLetterBounds(filter: DeadLetterFilter & { jobId?: string }, now: number): DeadLetterBounds {
  const bounds: DeadLetterBounds = { limit: toLimit(filter.limit) };
  if (filter.jobId !== undefined) bounds.jobId = filter.jobId;
  if (filter.ruleName !== undefined) bounds.ruleName = filter.ruleName;
  if (filter.target !== undefined) bounds.target = filter.target;
  if (filter.olderThanMs !== undefined) bounds.deadAtMax = now - filter.olderThanMs;
  if (filter.newerThanMs !== undefined) bounds.deadAtMin = now - filter.newerThanMs;
  return bounds;
}

export function matchesDeadLetter(bounds: DeadLetterBounds, row: { id: string; rule: string; target: string; deadAt: number }): boolean {
  return (
    (bounds.jobId === undefined || row.id === bounds.jobId) &&
    (bounds.ruleName === undefined || row.rule === bounds.ruleName) &&
    (bounds.target === undefined || row.target === bounds.target) &&
    (bounds.deadAtMax === undefined || row.deadAt <= bounds.deadAtMax) &&
    (bounds.deadAtMin === undefined || row.deadAt >= bounds.deadAtMin)
  );
}

/** undefined → no limit; a negative or NaN limit leases nothing rather than everything (SQLite reads LIMIT -1 as "all"). */
export function toLimit(limit: number | undefined): number {
  if (limit === undefined) return Infinity;
  return limit > 0 ? Math.floor(limit) : 0;
}

export function queueClosedError(): SluiceError {
  return new SluiceError('SLUICE_ERR_INTERNAL', 'the action queue is closed');
}

/** A stored dead letter, whichever driver kept it: the encoded job and its failures as JSON text. */
export function toDeadLetter(stored: { body: string; attempts: number; enqueuedAt: number; deadAt?: number | null; failures?: string | null }): DeadLetter {
  return {
    job: decodeJob(stored.body),
    attempts: stored.attempts,
    enqueuedAt: stored.enqueuedAt,
    deadAt: stored.deadAt ?? 0,
    failures: JSON.parse(stored.failures ?? '[]') as DeadLetter['failures'],
  };
}
