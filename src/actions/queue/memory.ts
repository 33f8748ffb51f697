import { systemClock } from '../../core/index.js';
import type { ActionJob } from '../model.js';
import { decodeJob, encodeJob } from './codec.js';
import { deadLetterBounds, leasableTarget, matchesDeadLetter, queueClosedError, toDeadLetter, toLimit, type ActionQueueOptions } from './common.js';
import { targetKey, type ActionQueue, type DeadLetterFilter, type JobSnapshot, type QueuedJob } from './port.js';

/** One job as the SQLite driver's row holds it; `body` is the codec's text, never the caller's object. */
interface Row {
  id: string;
  rule: string;
  target: string;
  body: string;
  attempts: number;
  enqueuedAt: number;
  notBefore: number;
  state: 'ready' | 'leased' | 'dead';
  lastError?: string;
  deadAt?: number;
  /** JSON of DeadLetter['failures'], stored as text for the same reason as `body`. */
  failures?: string;
}

/**
 * The in-memory driver, for tests and `--no-persist` runs: the same contract
 * as SQLite, nothing survives the process. A Map keeps insertion order, which
 * plays the part of SQLite's rowid as the tie-break among equal `enqueuedAt`.
 */
export function createMemoryActionQueue(options: ActionQueueOptions = {}): ActionQueue {
  const clock = options.clock ?? systemClock;
  const rows = new Map<string, Row>();
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw queueClosedError();
  };
  const active = (id: string): Row | undefined => {
    const row = rows.get(id);
    return row && row.state !== 'dead' ? row : undefined;
  };
  // Rows kept sorted by (enqueuedAt, insertion), overall and per target, so a
  // lease walks from the oldest and stops at its limit, as the SQLite driver
  // walks an index, instead of sorting the whole backlog each time.
  let sequence = 0;
  const order = new WeakMap<Row, number>();
  const before = (a: Row, b: Row): boolean =>
    a.enqueuedAt < b.enqueuedAt || (a.enqueuedAt === b.enqueuedAt && (order.get(a) ?? 0) < (order.get(b) ?? 0));
  const sortedInsert = (list: Row[], row: Row): void => {
    let low = 0;
    let high = list.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (before(list[mid] as Row, row)) low = mid + 1;
      else high = mid;
    }
    list.splice(low, 0, row);
  };
  const all: Row[] = [];
  const byTarget = new Map<string, Row[]>();
  const insertRow = (row: Row): void => {
    order.set(row, sequence++);
    rows.set(row.id, row);
    sortedInsert(all, row);
    let ofTarget = byTarget.get(row.target);
    if (!ofTarget) byTarget.set(row.target, (ofTarget = []));
    sortedInsert(ofTarget, row);
  };
  const deleteRow = (id: string): void => {
    const row = rows.get(id);
    if (!row) return;
    rows.delete(id);
    all.splice(all.indexOf(row), 1);
    const ofTarget = byTarget.get(row.target);
    if (ofTarget) {
      ofTarget.splice(ofTarget.indexOf(row), 1);
      if (ofTarget.length === 0) byTarget.delete(row.target);
    }
  };
  const deadMatching = (filter: DeadLetterFilter & { jobId?: string }, now: number): Row[] => {
    const bounds = deadLetterBounds(filter, now);
    // Array.prototype.sort is stable, so equal deadAt keep insertion order.
    return [...rows.values()]
      .filter((row) => row.state === 'dead' && matchesDeadLetter(bounds, { id: row.id, rule: row.rule, target: row.target, deadAt: row.deadAt ?? 0 }))
      .sort((a, b) => (a.deadAt ?? 0) - (b.deadAt ?? 0))
      .slice(0, bounds.limit);
  };

  return {
    async enqueue(jobs: ReadonlyArray<ActionJob>) {
      assertOpen();
      const now = clock.now();
      // Encode all first, so a job that cannot be encoded leaves the whole call unapplied, as a rolled-back transaction would.
      const encoded = jobs.map((job) => ({ job, body: encodeJob(job) }));
      for (const { job, body } of encoded) {
        if (rows.has(job.id)) continue;
        insertRow({ id: job.id, rule: job.ruleName, target: targetKey(job), body, attempts: 0, enqueuedAt: now, notBefore: now, state: 'ready' });
      }
    },
    async enqueueLeased(jobs: ReadonlyArray<ActionJob>) {
      assertOpen();
      const now = clock.now();
      const encoded = jobs.map((job) => ({ job, target: leasableTarget(job), body: encodeJob(job) }));
      const leased: QueuedJob[] = [];
      for (const { job, target, body } of encoded) {
        if (rows.has(job.id)) continue;
        insertRow({ id: job.id, rule: job.ruleName, target, body, attempts: 0, enqueuedAt: now, notBefore: now, state: 'leased' });
        leased.push({ job, attempts: 0, enqueuedAt: now, notBefore: now });
      }
      return leased;
    },
    async lease(limit, now, leaseOptions) {
      assertOpen();
      const skip = leaseOptions?.skipTargets;
      const only = leaseOptions?.target;
      const max = toLimit(limit);
      const ready: Row[] = [];
      const source = only === undefined ? all : (byTarget.get(only) ?? []);
      for (const row of source) {
        if (ready.length >= max) break;
        if (row.state === 'ready' && row.notBefore <= now && !skip?.has(row.target)) ready.push(row);
      }
      return ready.map((row): QueuedJob => {
        row.state = 'leased';
        const queued: QueuedJob = { job: decodeJob(row.body), attempts: row.attempts, enqueuedAt: row.enqueuedAt, notBefore: row.notBefore };
        if (row.lastError !== undefined) queued.lastError = row.lastError;
        return queued;
      });
    },
    async complete(jobId) {
      assertOpen();
      if (active(jobId)) deleteRow(jobId);
    },
    async retry(jobId, notBefore, error, options) {
      assertOpen();
      const row = active(jobId);
      if (!row) return;
      row.state = 'ready';
      if (options?.countAttempt !== false) row.attempts += 1;
      row.notBefore = notBefore;
      row.lastError = error;
    },
    async deadLetter(jobId, failures, now, options) {
      assertOpen();
      const row = active(jobId);
      if (!row) return;
      row.state = 'dead';
      // The attempt that ended in the dead letter counts, as retry counts its own.
      if (options?.countAttempt !== false) row.attempts += 1;
      row.deadAt = now;
      row.failures = JSON.stringify(failures);
    },
    async listDeadLetters(filter, now) {
      assertOpen();
      return deadMatching(filter, now).map(toDeadLetter);
    },
    async get(jobId) {
      assertOpen();
      const row = rows.get(jobId);
      if (!row) return undefined;
      const snapshot: JobSnapshot = { job: decodeJob(row.body), state: row.state, attempts: row.attempts, enqueuedAt: row.enqueuedAt, notBefore: row.notBefore };
      if (row.lastError !== undefined) snapshot.lastError = row.lastError;
      if (row.state === 'dead') {
        const letter = toDeadLetter(row);
        snapshot.deadAt = letter.deadAt;
        snapshot.failures = letter.failures;
      }
      return snapshot;
    },
    async getDeadLetter(jobId) {
      assertOpen();
      const row = rows.get(jobId);
      return row?.state === 'dead' ? toDeadLetter(row) : undefined;
    },
    async replayDeadLetters(filter, now) {
      assertOpen();
      return deadMatching(filter, now).map((row) => {
        row.state = 'ready';
        row.attempts = 0;
        row.notBefore = now;
        delete row.lastError;
        delete row.deadAt;
        delete row.failures;
        return row.id;
      });
    },
    async purgeDeadLetters(filter, now) {
      assertOpen();
      const dead = deadMatching(filter, now);
      for (const row of dead) deleteRow(row.id);
      return dead.length;
    },
    async activeTargets() {
      assertOpen();
      const counts = new Map<string, number>();
      for (const row of rows.values()) if (row.state !== 'dead') counts.set(row.target, (counts.get(row.target) ?? 0) + 1);
      return counts;
    },
    async nextReadyAt() {
      assertOpen();
      let earliest: number | undefined;
      for (const row of rows.values()) {
        if (row.state === 'ready' && (earliest === undefined || row.notBefore < earliest)) earliest = row.notBefore;
      }
      return earliest;
    },
    async stats(now) {
      assertOpen();
      const depthByRule: Record<string, number> = {};
      let depth = 0;
      let deadLetters = 0;
      let oldest = Infinity;
      for (const row of rows.values()) {
        if (row.state === 'dead') {
          deadLetters += 1;
          continue;
        }
        depth += 1;
        depthByRule[row.rule] = (depthByRule[row.rule] ?? 0) + 1;
        oldest = Math.min(oldest, row.enqueuedAt);
      }
      return { depthByRule, depth, oldestAgeMs: depth === 0 ? 0 : Math.max(0, now - oldest), deadLetters };
    },
    async close() {
      closed = true;
    },
  };
}
