import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { clearImmediate, setImmediate } from 'node:timers';
import Database from 'better-sqlite3';
import { systemClock, walSync } from '../../core/index.js';
import type { ActionJob } from '../model.js';
import { decodeJob, encodeJob } from './codec.js';
import { deadLetterBounds, leasableTarget, queueClosedError, toDeadLetter, toLimit, type ActionQueueOptions, type DeadLetterBounds } from './common.js';
import { SqliteBatchLog, type LogChange, type LogRow } from './sqlite-batch-log.js';
import { SqliteBatchSegments, type SegmentEntry } from './sqlite-batch-segments.js';
import { isBatchingTarget, targetKey, type ActionQueue, type DeadLetter, type DeadLetterFilter, type JobSnapshot, type QueuedJob } from './port.js';
import { migrateQueue } from './schema.js';

export interface SqliteActionQueueOptions extends ActionQueueOptions {
  /** How long (ms) a write waits for another connection's lock before failing; default 5000. */
  busyTimeoutMs?: number;
  /** Test hook: told after each group-commit transaction how many enqueue calls and jobs it wrote. */
  onCommit?: (batch: { calls: number; jobs: number }) => void;
}

interface InsertRow {
  /** Set inside the transaction: the queue's shared sequence (rowid), enqueue order across both tables. */
  seq: number;
  /** A batching target's job, kept in the batch log rather than `jobs`. */
  batching: boolean;
  id: string;
  rule: string;
  target: string;
  body: string;
  at: number;
}
interface PendingCompletion {
  id: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}
interface PendingEnqueue {
  rows: InsertRow[];
  /** Batching-target jobs leased to the caller at enqueue (`enqueueLeased`), written as segments. */
  leased?: SegmentEntry[];
  /** Set inside the transaction: the ids of `leased` written (the others were already queued). */
  accepted?: Set<string>;
  at: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}
interface JobRow {
  seq: number;
  id: string;
  rule: string;
  body: string;
  attempts: number;
  enqueued_at: number;
  not_before: number;
  last_error: string | null;
  dead_at: number | null;
  failures: string | null;
}

/**
 * The embedded durable queue: one SQLite file owned by one process. Enqueues
 * arriving in the same event-loop turn share one transaction (group commit),
 * so the per-commit fsync is paid once per batch rather than once per message.
 */
export function openSqliteActionQueue(file: string, options: SqliteActionQueueOptions = {}): ActionQueue {
  const clock = options.clock ?? systemClock;
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // Resolving `enqueue` lets the broker send PUBACK, after which the device
  // may drop the message [MQTT-4.3.2-4], so an enqueue resolves only once its
  // commit is on disk. SQLite's FULL would fsync the WAL inside the commit,
  // on the main thread (better-sqlite3 is synchronous), stalling the broker
  // and every action for the length of each fsync. Instead every write runs
  // with NORMAL (the WAL is written, not synced), and an enqueue batch, once
  // committed, fsyncs the WAL file through libuv's thread pool (core's `walSync`)
  // before it resolves: the same guarantee as FULL, with the event loop free
  // meanwhile. fsync covers the whole file, so it also makes every earlier
  // NORMAL write (lease, complete, retry) durable; losing one of those to a
  // power cut only makes a job run again, which at-least-once allows.
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
  migrateQueue(db);
  // Leases do not survive a restart: whoever held them is gone, so the jobs run
  // again (at-least-once).
  db.prepare("UPDATE jobs SET state = 'ready' WHERE state = 'leased'").run();

  const COLUMNS = 'rowid AS seq, id, rule, body, attempts, enqueued_at, not_before, last_error, dead_at, failures';
  const insert = db.prepare<InsertRow>(
    `INSERT OR IGNORE INTO jobs (rowid, id, rule, target, body, attempts, enqueued_at, not_before, state)
     VALUES (@seq, @id, @rule, @target, @body, 0, @at, @at, 'ready')`,
  );
  // INDEXED BY: the planner prefers jobs_lease for the not_before range, then
  // sorts the whole backlog; walking jobs_order stops after `limit` rows (see schema.ts).
  const READY = "FROM jobs INDEXED BY jobs_order WHERE state = 'ready' AND not_before <= ?";
  const ORDER_READY = 'ORDER BY enqueued_at, rowid LIMIT ?';
  const selectReady = db.prepare<[number, number], JobRow>(`SELECT ${COLUMNS} ${READY} ${ORDER_READY}`);
  // The busy targets travel as one JSON array, so one prepared statement serves any set.
  const selectReadySkipping = db.prepare<[number, string, number], JobRow>(
    `SELECT ${COLUMNS} ${READY} AND target NOT IN (SELECT value FROM json_each(?)) ${ORDER_READY}`,
  );
  const selectReadyForTarget = db.prepare<[string, number, number], JobRow>(
    `SELECT ${COLUMNS} FROM jobs INDEXED BY jobs_target WHERE state = 'ready' AND target = ? AND not_before <= ? ORDER BY enqueued_at, rowid LIMIT ?`,
  );
  const countByTarget = db.prepare<[], { target: string; n: number }>(
    "SELECT target, COUNT(*) AS n FROM jobs WHERE state IN ('ready', 'leased') GROUP BY target",
  );
  const markLeased = db.prepare<[string]>("UPDATE jobs SET state = 'leased' WHERE id = ?");
  const deleteActive = db.prepare<[string], { rule: string }>("DELETE FROM jobs WHERE id = ? AND state != 'dead' RETURNING rule");
  const retryJob = db.prepare<[number, string, string]>(
    "UPDATE jobs SET state = 'ready', attempts = attempts + 1, not_before = ?, last_error = ? WHERE id = ? AND state != 'dead'",
  );
  const retryUncounted = db.prepare<[number, string, string]>(
    "UPDATE jobs SET state = 'ready', not_before = ?, last_error = ? WHERE id = ? AND state != 'dead'",
  );
  // The attempt that ended in the dead letter counts, as retry counts its own.
  const deadJob = db.prepare<[number, string, string], { rule: string }>(
    "UPDATE jobs SET state = 'dead', attempts = attempts + 1, dead_at = ?, failures = ? WHERE id = ? AND state != 'dead' RETURNING rule",
  );
  const deadJobUncounted = db.prepare<[number, string, string], { rule: string }>(
    "UPDATE jobs SET state = 'dead', dead_at = ?, failures = ? WHERE id = ? AND state != 'dead' RETURNING rule",
  );
  const getDead = db.prepare<[string], JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE id = ? AND state = 'dead'`);
  const getAny = db.prepare<[string], JobRow & { state: JobSnapshot['state'] }>(`SELECT ${COLUMNS}, state FROM jobs WHERE id = ?`);
  const replayJob = db.prepare<[number, string]>(
    "UPDATE jobs SET state = 'ready', attempts = 0, not_before = ?, last_error = NULL, dead_at = NULL, failures = NULL WHERE id = ?",
  );
  const deleteJob = db.prepare<[string]>('DELETE FROM jobs WHERE id = ?');
  const nextReady = db.prepare<[], { at: number | null }>("SELECT MIN(not_before) AS at FROM jobs WHERE state = 'ready'");
  const depthByRule = db.prepare<[], { rule: string; n: number }>(
    "SELECT rule, COUNT(*) AS n FROM jobs WHERE state IN ('ready', 'leased') GROUP BY rule",
  );
  // One state at a time: MIN over an equality prefix of jobs_order is one index seek, where IN (...) scanned.
  const oldestIn = db.prepare<[string], { at: number | null }>('SELECT MIN(enqueued_at) AS at FROM jobs WHERE state = ?');
  const deadCount = db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE state = 'dead'");

  // Queue depth per rule and the dead-letter count, kept in memory from the
  // rows each write changes (this process owns the file), counted once at open.
  // stats() used to count them with a scan of the backlog on every call, and
  // /healthz and /metrics call it often: at a 20,000-job backlog that was a
  // fifth of the CPU.
  const activeByRule = new Map<string, number>();
  let deadTotal = deadCount.get()?.n ?? 0;
  // Jobs leased at enqueue were leased by a process that is gone: back to the log as ready.
  SqliteBatchSegments.recoverAtOpen(db);
  const log = new SqliteBatchLog(db);
  const segments = new SqliteBatchSegments(db, log);
  for (const { rule, n } of depthByRule.all()) activeByRule.set(rule, n);
  for (const [rule, n] of log.rowsByRuleAtOpen) activeByRule.set(rule, (activeByRule.get(rule) ?? 0) + n);
  // One sequence numbers the rows of both tables (jobs' rowid, the log's seq): a
  // dead letter moved from the log keeps its number, and leases keep enqueue order.
  let nextSeq = Math.max(db.prepare<[], { last: number | null }>('SELECT MAX(rowid) AS last FROM jobs').get()?.last ?? 0, log.lastSeqAtOpen) + 1;
  const countActive = (rule: string, delta: number): void => {
    const n = (activeByRule.get(rule) ?? 0) + delta;
    if (n > 0) activeByRule.set(rule, n);
    else activeByRule.delete(rule);
  };
  /** Changes counted inside a transaction, applied once it commits (a rolled-back one changed nothing). */
  type Counted = Array<[rule: string, active: number, dead: number]>;
  const applyCounts = (counted: Counted): void => {
    for (const [rule, active, dead] of counted) {
      if (active !== 0) countActive(rule, active);
      deadTotal += dead;
    }
  };

  // Dead-letter filters have 32 shapes; each shape's statement is prepared once,
  // with equality on `rule` kept sargable so the partial (rule, dead_at) index serves it.
  const deadStatements = new Map<string, Database.Statement<Record<string, string | number>, JobRow>>();
  const selectDead = (bounds: DeadLetterBounds): JobRow[] => {
    const where = ["state = 'dead'"];
    const params: Record<string, string | number> = { limit: Number.isFinite(bounds.limit) ? bounds.limit : -1 };
    const add = (clause: string, name: string, value: string | number | undefined): void => {
      if (value === undefined) return;
      where.push(clause);
      params[name] = value;
    };
    add('id = @jobId', 'jobId', bounds.jobId);
    add('rule = @rule', 'rule', bounds.ruleName);
    add('target = @target', 'target', bounds.target);
    add('dead_at <= @deadAtMax', 'deadAtMax', bounds.deadAtMax);
    add('dead_at >= @deadAtMin', 'deadAtMin', bounds.deadAtMin);
    const sql = `SELECT ${COLUMNS} FROM jobs WHERE ${where.join(' AND ')} ORDER BY dead_at, rowid LIMIT @limit`;
    let statement = deadStatements.get(sql);
    if (!statement) deadStatements.set(sql, (statement = db.prepare(sql)));
    return statement.all(params);
  };
  const deadLetterOf = (row: JobRow): DeadLetter =>
    toDeadLetter({ body: row.body, attempts: row.attempts, enqueuedAt: row.enqueued_at, deadAt: row.dead_at, failures: row.failures });

  // Writers take the lock at BEGIN (immediate): a deferred transaction that
  // upgrades from read to write can fail at once with SQLITE_BUSY_SNAPSHOT.
  /** What a write transaction changed, applied in memory once it commits. */
  interface Changed {
    counted: Counted;
    logChanges: LogChange[];
  }
  const applyChanged = ({ counted, logChanges }: Changed): void => {
    applyCounts(counted);
    for (const change of logChanges) change();
  };
  const insertBatch = db.transaction((batch: PendingEnqueue[]): Changed => {
    const changed: Changed = { counted: [], logChanges: [] };
    for (const call of batch) {
      for (const row of call.rows) {
        row.seq = nextSeq++;
        if (row.batching) {
          if (segments.owns(row.id)) continue;
          const change = log.insert(row);
          if (change) {
            changed.logChanges.push(change);
            changed.counted.push([row.rule, 1, 0]);
          }
          // INSERT OR IGNORE: a job id already queued is not a second job.
        } else if (insert.run(row).changes > 0) changed.counted.push([row.rule, 1, 0]);
      }
    }
    // All the jobs leased at enqueue in this commit, in one segment per (target, rule), stamped with the earliest call's time.
    const leasing = batch.filter((call) => call.leased !== undefined);
    if (leasing.length > 0) {
      const entries = leasing.flatMap((call) => call.leased ?? []);
      const { accepted, apply } = segments.append(entries, leasing[0]?.at ?? clock.now(), (n) => {
        const first = nextSeq;
        nextSeq += n;
        return first;
      });
      changed.logChanges.push(apply);
      // Each id belongs to the first call that brought it.
      for (const call of leasing) {
        call.accepted = new Set();
        for (const entry of call.leased ?? []) {
          if (!accepted.delete(entry.id)) continue;
          call.accepted.add(entry.id);
          changed.counted.push([entry.rule, 1, 0]);
        }
      }
    }
    return changed;
  });
  const deleteBatch = db.transaction((batch: PendingCompletion[]): Changed => {
    const changed: Changed = { counted: [], logChanges: [] };
    segments.begin();
    for (const call of batch) {
      const fromSegment = segments.complete(call.id);
      if (fromSegment !== undefined) {
        changed.counted.push([fromSegment, -1, 0]);
        continue;
      }
      // The log's leased jobs are known in memory; anything else is looked for in jobs first.
      const deleted = log.owns(call.id) ? undefined : deleteActive.get(call.id);
      const fromLog = deleted ? undefined : log.complete(call.id);
      const rule = deleted?.rule ?? fromLog?.rule;
      if (rule !== undefined) changed.counted.push([rule, -1, 0]);
      if (fromLog) changed.logChanges.push(fromLog.apply);
    }
    changed.logChanges.push(segments.finish());
    return changed;
  });
  /** What a lease reads of a row, from either table. */
  type LeasedRow = Pick<JobRow, 'seq' | 'id' | 'body' | 'attempts' | 'enqueued_at' | 'not_before' | 'last_error'>;
  const leaseTx = db.transaction((limit: number, now: number, skip: ReadonlySet<string> | undefined, target: string | undefined): LeasedRow[] => {
    const sqlLimit = Number.isFinite(limit) ? limit : -1;
    const rows =
      target !== undefined
        ? selectReadyForTarget.all(target, now, sqlLimit)
        : skip && skip.size > 0
          ? selectReadySkipping.all(now, JSON.stringify([...skip]), sqlLimit)
          : selectReady.all(now, sqlLimit);
    // A batching target's jobs are in the log, apart from dead letters replayed into jobs.
    const fromLog =
      target !== undefined
        ? isBatchingTarget(target)
          ? log.leaseTarget(target, limit - rows.length, now)
          : []
        : log.dueRows(now, limit, skip);
    if (fromLog.length === 0) {
      for (const row of rows) markLeased.run(row.id);
      return rows;
    }
    const inJobs = new Set<LeasedRow>(rows);
    const merged: Array<JobRow | LogRow> = [...rows, ...fromLog].sort(byAge).slice(0, Number.isFinite(limit) ? limit : undefined);
    for (const row of merged) {
      if (inJobs.has(row)) markLeased.run(row.id);
      // leaseTarget marked its own rows; rows of an untargeted lease are marked once kept.
      else if (target === undefined && 'target' in row) log.markLeased(row);
    }
    return merged;
  });
  // A job leased at enqueue leaves its segment: to the log to wait for its retry, or to jobs as a dead letter.
  const retryFromSegment = db.transaction((jobId: string, notBefore: number, error: string, countAttempt: boolean): LogChange[] => {
    segments.begin();
    const moved = segments.retry(jobId, notBefore, error, countAttempt);
    return moved ? [moved, segments.finish()] : [segments.finish()];
  });
  const deadLetterFromSegment = db.transaction((jobId: string, failures: string, now: number, countAttempt: boolean): { rule: string | undefined; apply: LogChange } => {
    segments.begin();
    const rule = segments.deadLetter(jobId, failures, now, countAttempt);
    return { rule, apply: segments.finish() };
  });
  const deadLetterFromLog = db.transaction((jobId: string, failures: string, now: number, countAttempt: boolean) =>
    log.deadLetter(jobId, failures, now, countAttempt),
  );
  const replayTx = db.transaction((bounds: DeadLetterBounds, now: number): { ids: string[]; counted: Counted } => {
    const rows = selectDead(bounds);
    for (const row of rows) replayJob.run(now, row.id);
    return { ids: rows.map((row) => row.id), counted: rows.map((row) => [row.rule, 1, -1]) };
  });
  const purgeTx = db.transaction((bounds: DeadLetterBounds): number => {
    const ids = selectDead(bounds).map((row) => row.id);
    for (const id of ids) deleteJob.run(id);
    return ids.length;
  });

  const wal = walSync(file);

  let pending: PendingEnqueue[] = [];
  let flushScheduled: ReturnType<typeof setImmediate> | undefined;
  let completions: PendingCompletion[] = [];
  let completionsScheduled: ReturnType<typeof setImmediate> | undefined;
  let closed = false;

  /** Writes every enqueue call waiting so far in one transaction, then settles them all together. */
  const flush = (): void => {
    flushScheduled = undefined;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    try {
      applyChanged(insertBatch.immediate(batch));
    } catch (error) {
      for (const call of batch) call.reject(error);
      return;
    }
    // Committed; durable once the WAL is synced. Messages arriving meanwhile form the next batch.
    // A failed sync rejects the batch: the PUBACK is not sent, and the device publishes again.
    wal.settle(batch, () => options.onCommit?.({ calls: batch.length, jobs: batch.reduce((n, call) => n + call.rows.length + (call.leased?.length ?? 0), 0) }));
  };
  /**
   * Deletes every job completed so far in one transaction. A commit per
   * completed job (autocommit) was the pipeline's largest single cost under
   * load; batching them is as safe, since completes run with NORMAL sync anyway.
   */
  const flushCompletions = (): void => {
    completionsScheduled = undefined;
    const batch = completions;
    completions = [];
    if (batch.length === 0) return;
    try {
      applyChanged(deleteBatch.immediate(batch));
    } catch (error) {
      for (const call of batch) call.reject(error);
      return;
    }
    for (const call of batch) call.resolve();
  };
  /** Adds a call to the next group commit; resolves once it is durable, with the ids of its `leased` jobs written. */
  const joinCommit = (call: Omit<PendingEnqueue, 'resolve' | 'reject'>): Promise<Set<string> | undefined> =>
    new Promise((resolve, reject) => {
      const pendingCall: PendingEnqueue = { ...call, resolve: () => resolve(pendingCall.accepted), reject };
      pending.push(pendingCall);
      // setImmediate runs after the I/O callbacks of this loop turn, so every
      // message that arrived in it joins the batch.
      flushScheduled ??= setImmediate(flush);
    });
  const assertOpen = (): void => {
    if (closed) throw queueClosedError();
  };

  return {
    async enqueue(jobs: ReadonlyArray<ActionJob>) {
      assertOpen();
      if (jobs.length === 0) return;
      const at = clock.now();
      // Encoded now, in the caller's turn: a job that cannot be encoded fails its
      // own call only, and later mutation of the caller's objects cannot leak in.
      const rows = jobs.map((job): InsertRow => {
        const target = targetKey(job);
        return { seq: 0, batching: isBatchingTarget(target), id: job.id, rule: job.ruleName, target, body: encodeJob(job), at };
      });
      await joinCommit({ rows, at });
    },
    async enqueueLeased(jobs: ReadonlyArray<ActionJob>) {
      assertOpen();
      if (jobs.length === 0) return [];
      const at = clock.now();
      const leased = jobs.map((job): SegmentEntry => ({ id: job.id, rule: job.ruleName, target: leasableTarget(job), body: encodeJob(job) }));
      const accepted = (await joinCommit({ rows: [], leased, at })) ?? new Set<string>();
      // Each id once: a call may hold the same id twice, and only the first was written.
      return jobs.filter((job) => accepted.delete(job.id)).map((job): QueuedJob => ({ job, attempts: 0, enqueuedAt: at, notBefore: at }));
    },
    async lease(limit, now, leaseOptions) {
      assertOpen();
      return leaseTx.immediate(toLimit(limit), now, leaseOptions?.skipTargets, leaseOptions?.target).map((row): QueuedJob => {
        const queued: QueuedJob = { job: decodeJob(row.body), attempts: row.attempts, enqueuedAt: row.enqueued_at, notBefore: row.not_before };
        if (row.last_error !== null) queued.lastError = row.last_error;
        return queued;
      });
    },
    async complete(jobId) {
      assertOpen();
      // Resolves once deleted, together with the other jobs completed in this event-loop turn.
      await new Promise<void>((resolve, reject) => {
        completions.push({ id: jobId, resolve, reject });
        completionsScheduled ??= setImmediate(flushCompletions);
      });
    },
    async retry(jobId, notBefore, error, options) {
      assertOpen();
      const countAttempt = options?.countAttempt !== false;
      if (segments.owns(jobId)) {
        for (const change of retryFromSegment.immediate(jobId, notBefore, error, countAttempt)) change();
        return;
      }
      if (log.owns(jobId)) log.retry(jobId, notBefore, error, countAttempt);
      else if ((countAttempt ? retryJob : retryUncounted).run(notBefore, error, jobId).changes === 0) log.retry(jobId, notBefore, error, countAttempt);
    },
    async deadLetter(jobId, failures, now, options) {
      assertOpen();
      const countAttempt = options?.countAttempt !== false;
      const failuresText = JSON.stringify(failures);
      if (segments.owns(jobId)) {
        const { rule, apply } = deadLetterFromSegment.immediate(jobId, failuresText, now, countAttempt);
        apply();
        if (rule !== undefined) applyCounts([[rule, -1, 1]]);
        return;
      }
      if (!log.owns(jobId)) {
        const moved = (countAttempt ? deadJob : deadJobUncounted).get(now, failuresText, jobId);
        if (moved) {
          applyCounts([[moved.rule, -1, 1]]);
          return;
        }
      }
      const fromLog = deadLetterFromLog.immediate(jobId, failuresText, now, countAttempt);
      if (fromLog) {
        applyCounts([[fromLog.rule, -1, 1]]);
        fromLog.apply();
      }
    },
    async listDeadLetters(filter: DeadLetterFilter, now) {
      assertOpen();
      return selectDead(deadLetterBounds(filter, now)).map(deadLetterOf);
    },
    async get(jobId) {
      assertOpen();
      const inSegment = segments.get(jobId);
      if (inSegment) return { job: decodeJob(inSegment.body), state: 'leased', attempts: 0, enqueuedAt: inSegment.enqueuedAt, notBefore: inSegment.enqueuedAt };
      const row = getAny.get(jobId);
      if (!row) {
        const inLog = log.get(jobId);
        if (!inLog) return undefined;
        const { row: logRow, leased } = inLog;
        const snapshot: JobSnapshot = { job: decodeJob(logRow.body), state: leased ? 'leased' : 'ready', attempts: logRow.attempts, enqueuedAt: logRow.enqueued_at, notBefore: logRow.not_before };
        if (logRow.last_error !== null) snapshot.lastError = logRow.last_error;
        return snapshot;
      }
      const snapshot: JobSnapshot = { job: decodeJob(row.body), state: row.state, attempts: row.attempts, enqueuedAt: row.enqueued_at, notBefore: row.not_before };
      if (row.last_error !== null) snapshot.lastError = row.last_error;
      if (row.state === 'dead') {
        const letter = deadLetterOf(row);
        snapshot.deadAt = letter.deadAt;
        snapshot.failures = letter.failures;
      }
      return snapshot;
    },
    async getDeadLetter(jobId) {
      assertOpen();
      const row = getDead.get(jobId);
      return row ? deadLetterOf(row) : undefined;
    },
    async replayDeadLetters(filter, now) {
      assertOpen();
      const { ids, counted } = replayTx.immediate(deadLetterBounds(filter, now), now);
      applyCounts(counted);
      return ids;
    },
    async purgeDeadLetters(filter, now) {
      assertOpen();
      const purged = purgeTx.immediate(deadLetterBounds(filter, now));
      deadTotal -= purged;
      return purged;
    },
    async activeTargets() {
      assertOpen();
      const counts = new Map(countByTarget.all().map((row) => [row.target, row.n]));
      log.activeTargets(counts);
      segments.activeTargets(counts);
      return counts;
    },
    async nextReadyAt() {
      assertOpen();
      const inJobs = nextReady.get()?.at ?? undefined;
      const inLog = log.nextReadyAt();
      return inJobs === undefined ? inLog : inLog === undefined ? inJobs : Math.min(inJobs, inLog);
    },
    async stats(now) {
      assertOpen();
      const byRule: Record<string, number> = {};
      let depth = 0;
      for (const [rule, n] of [...activeByRule].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        byRule[rule] = n;
        depth += n;
      }
      const oldest = [oldestIn.get('ready')?.at, oldestIn.get('leased')?.at, log.oldestEnqueuedAt(), segments.oldestEnqueuedAt()].filter((at): at is number => typeof at === 'number');
      return { depthByRule: byRule, depth, oldestAgeMs: oldest.length === 0 ? 0 : Math.max(0, now - Math.min(...oldest)), deadLetters: deadTotal };
    },
    async close() {
      if (closed) return;
      closed = true;
      // Calls already accepted are promised a commit: write them before closing.
      if (flushScheduled) clearImmediate(flushScheduled);
      flush();
      if (completionsScheduled) clearImmediate(completionsScheduled);
      flushCompletions();
      await wal.close();
      db.close();
    },
  };
}

function byAge(a: { enqueued_at: number; seq: number }, b: { enqueued_at: number; seq: number }): number {
  return a.enqueued_at - b.enqueued_at || a.seq - b.seq;
}
