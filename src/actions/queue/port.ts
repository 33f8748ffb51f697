import type { ActionJob } from '../model.js';

/**
 * The durable action queue port. The embedded driver is SQLite (WAL, group
 * commit); a cluster driver (PostgreSQL or Redis) implements the same
 * contract later. Every driver passes `contract.ts`.
 *
 * A job's life: ready → leased (one executor runs it) → done (deleted), or
 * back to ready with a later `notBefore` (retry), or dead (dead-letter store).
 * Leases do not survive a restart: `open` makes every leased job ready again,
 * which is what makes execution at-least-once across crashes.
 */
export interface QueuedJob {
  job: ActionJob;
  /** Attempts already made (0 for a new job). */
  attempts: number;
  /** ms since the epoch when the job was first enqueued. */
  enqueuedAt: number;
  /** ms since the epoch before which the job must not run. */
  notBefore: number;
  lastError?: string;
}

export interface DeadLetter {
  job: ActionJob;
  attempts: number;
  enqueuedAt: number;
  /** ms since the epoch when it was dead-lettered. */
  deadAt: number;
  /** AWS's failure shape: what failed, where, and why (the last error). */
  failures: Array<{ failedAction: string; failedResource: string; errorMessage: string }>;
}

export interface DeadLetterFilter {
  ruleName?: string;
  /** Only dead letters of this target key (`targetKey`), e.g. `notify:<subscriptionId>` for one subscription's deliveries. */
  target?: string;
  /** Only dead letters older than this many ms. */
  olderThanMs?: number;
  /** Only dead letters newer than this many ms. */
  newerThanMs?: number;
  limit?: number;
}

/** A job as it stands, whatever its state: what `get` returns. */
export interface JobSnapshot extends QueuedJob {
  state: 'ready' | 'leased' | 'dead';
  /** ms since the epoch; set once dead-lettered. */
  deadAt?: number;
  /** Set once dead-lettered. */
  failures?: DeadLetter['failures'];
}

export interface QueueStats {
  /** Jobs ready or leased, per rule. */
  depthByRule: Record<string, number>;
  depth: number;
  /** Age in ms of the oldest job not yet done (0 when empty). */
  oldestAgeMs: number;
  deadLetters: number;
}

export interface ActionQueue {
  /**
   * Durably records jobs; resolves once they are committed (group commit:
   * concurrent calls share one transaction). Re-enqueueing an id that is
   * already queued or dead is a no-op, so a redelivered message does not
   * double its jobs.
   */
  enqueue(jobs: ReadonlyArray<ActionJob>): Promise<void>;
  /**
   * Enqueues jobs of batching targets (`isBatchingTarget`; any other job
   * throws) and leases them to the caller in the same step, sharing the
   * group commit with `enqueue`: the archive's fast path, where a job waits
   * in memory for its batch object anyway, so reading it back from the queue
   * would only cost. Resolves with the jobs now leased to the caller, as
   * `lease` would return them but holding the caller's own objects (nothing
   * is decoded); an id already queued is left out. After a restart they are
   * ready like any job that was leased.
   */
  enqueueLeased(jobs: ReadonlyArray<ActionJob>): Promise<QueuedJob[]>;
  /**
   * Leases up to `limit` ready jobs whose `notBefore` has passed, oldest
   * first: of one `target` only, or skipping jobs whose target key is in
   * `skipTargets`. Leasing by target is what the executor does: it stays
   * cheap however large the backlog, where skipping has to walk past every
   * job of the skipped targets.
   */
  lease(limit: number, now: number, options?: { skipTargets?: ReadonlySet<string>; target?: string }): Promise<QueuedJob[]>;
  /** Jobs not yet done (ready, waiting to retry, or leased), per target key. Scans the queue: for start-up and periodic recounts. */
  activeTargets(): Promise<Map<string, number>>;
  /** The job is done: removed. */
  complete(jobId: string): Promise<void>;
  /**
   * Back to ready, to run at `notBefore`, with one more attempt counted —
   * unless `countAttempt` is false: a throttled function never ran, so, as
   * Lambda's, its retry does not use up one of the event's attempts.
   */
  retry(jobId: string, notBefore: number, error: string, options?: { countAttempt?: boolean }): Promise<void>;
  /** Moves a job to the dead-letter store, counting the attempt that ended it unless `countAttempt` is false (an event that expired unrun). */
  deadLetter(jobId: string, failures: DeadLetter['failures'], now: number, options?: { countAttempt?: boolean }): Promise<void>;
  /** One job by id, whether waiting, leased or dead; undefined once it is done (or was never queued). For status queries. */
  get(jobId: string): Promise<JobSnapshot | undefined>;
  listDeadLetters(filter: DeadLetterFilter, now: number): Promise<DeadLetter[]>;
  getDeadLetter(jobId: string): Promise<DeadLetter | undefined>;
  /** Moves dead letters back to the queue as new attempts (attempts reset); returns their ids. */
  replayDeadLetters(filter: DeadLetterFilter & { jobId?: string }, now: number): Promise<string[]>;
  /** Deletes dead letters; returns how many. */
  purgeDeadLetters(filter: DeadLetterFilter & { jobId?: string }, now: number): Promise<number>;
  /** Earliest `notBefore` among ready jobs, so the executor can sleep until then; undefined when none. */
  nextReadyAt(): Promise<number | undefined>;
  stats(now: number): Promise<QueueStats>;
  close(): Promise<void>;
}

/** Jobs for the same target share a key, so per-target concurrency can be enforced. */
export function targetKey(job: ActionJob): string {
  const target = job.target;
  switch (target.kind) {
    case 's3':
      return `s3:${target.bucket}`;
    case 'function':
      return `function:${target.functionName}`;
    case 'republish':
      return 'republish';
    case 'http':
      // Per origin (scheme, host, port): one slow web service parks only its own jobs.
      return `http:${URL.canParse(target.url) ? new URL(target.url).origin : 'invalid'}`;
    case 'notification':
      // Per subscription: one endpoint that is down (a mailbox, a web hook) parks only its own deliveries.
      return notificationTargetKey(target.subscriptionId);
    case 'archive':
      // Per stream of batches: its jobs are leased many at a time and wait for their batch (`isBatchingTarget`).
      return `${ARCHIVE_TARGET_PREFIX}${target.bucket}/${target.prefix}/${target.format}`;
    case 'timeseries':
      return `timeseries:${target.series}`;
  }
}

const ARCHIVE_TARGET_PREFIX = 'archive:';

/**
 * Targets whose jobs the executor leases by the thousand: an archive job's
 * execution lasts until its batch is written, so these jobs are bounded by
 * `ARCHIVE_MAX_BATCH_MESSAGES` per target and not by the executor's slots.
 */
export function isBatchingTarget(key: string): boolean {
  return key.startsWith(ARCHIVE_TARGET_PREFIX);
}

/** The target key of a subscription's notification deliveries. */
export function notificationTargetKey(subscriptionId: string): string {
  return `notify:${subscriptionId}`;
}
