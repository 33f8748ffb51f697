import type { Database, Statement } from 'better-sqlite3';
import type { LogChange, SqliteBatchLog } from './sqlite-batch-log.js';

/**
 * The SQLite queue's store for batching-target jobs leased at enqueue
 * (`ActionQueue.enqueueLeased`): the archive's fast path.
 *
 * An archive job waits in memory for its batch object anyway, so the
 * executor takes it at enqueue instead of leasing it back from the file.
 * What must be on disk before the PUBACK is only enough to run it again
 * after a crash. So one group commit writes one row per (target, rule)
 * here, a segment holding all its jobs as the codec's text, one per line,
 * instead of one row per job: a few B-tree operations per commit instead of
 * several per message, and one delete per segment when its jobs are done.
 *
 * A segment reserves a range of the queue's shared sequence: its i-th job
 * is `seq + i`, the number the job keeps if it moves to `batch_log` (a
 * retry) or to `jobs` (a dead letter). Jobs done while others of the
 * segment are not are listed in `done`, in the same transaction as the
 * completion, so a crash never runs a job whose batch object was written.
 *
 * At open every segment is turned into `batch_log` rows (its jobs not done,
 * with their seqs): after a restart nothing is leased, and the log is where
 * ready archive jobs are leased from.
 */
export const BATCH_SEGMENTS_SCHEMA = `CREATE TABLE batch_segments (
     seq INTEGER PRIMARY KEY,
     target TEXT NOT NULL,
     rule TEXT NOT NULL,
     enqueued_at INTEGER NOT NULL,
     jobs TEXT NOT NULL,
     done TEXT
   );`;

/** One job as `enqueueLeased` hands it over: already encoded by the codec. */
export interface SegmentEntry {
  id: string;
  rule: string;
  target: string;
  body: string;
}

interface Segment {
  seq: number;
  target: string;
  rule: string;
  enqueuedAt: number;
  /** Jobs in the segment. */
  size: number;
  /** Indexes of the jobs done (completed, retried into the log, or dead-lettered). */
  done: Set<number>;
  /** The jobs' text, read from the file when first needed (retry, dead letter, get). */
  lines?: string[];
}

interface Located {
  segment: Segment;
  index: number;
}

/** Jobs moved out of segments within one transaction, written and applied together at its end. */
type Touched = Map<Segment, Set<number>>;

export class SqliteBatchSegments {
  readonly #log: SqliteBatchLog;
  readonly #insert: Statement<[number, string, string, number, string]>;
  readonly #lines: Statement<[number], { jobs: string }>;
  readonly #delete: Statement<[number]>;
  readonly #setDone: Statement<[string, number]>;
  readonly #toLog: Statement<[number, string, string, string, string, number, number, number, string]>;
  readonly #toDead: Statement<[number, string, string, string, string, number, number, number, number, string]>;
  readonly #segments = new Map<number, Segment>();
  readonly #jobs = new Map<string, Located>();
  readonly #openByTarget = new Map<string, number>();
  #touched: Touched | undefined;

  constructor(db: Database, log: SqliteBatchLog) {
    this.#log = log;
    this.#insert = db.prepare('INSERT INTO batch_segments (seq, target, rule, enqueued_at, jobs) VALUES (?, ?, ?, ?, ?)');
    this.#lines = db.prepare('SELECT jobs FROM batch_segments WHERE seq = ?');
    this.#delete = db.prepare('DELETE FROM batch_segments WHERE seq = ?');
    this.#setDone = db.prepare('UPDATE batch_segments SET done = ? WHERE seq = ?');
    this.#toLog = db.prepare(
      `INSERT INTO batch_log (seq, id, rule, target, body, attempts, enqueued_at, not_before, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#toDead = db.prepare(
      `INSERT INTO jobs (rowid, id, rule, target, body, attempts, enqueued_at, not_before, state, dead_at, failures)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'dead', ?, ?)`,
    );
  }

  /**
   * At open, before the batch log is read: every segment's jobs not done
   * become ready `batch_log` rows, with their own seqs, and the segments go.
   * Leases do not survive a restart, and the log is where they are leased.
   */
  static recoverAtOpen(db: Database): void {
    const rows = db.prepare<[], { seq: number; target: string; rule: string; enqueued_at: number; jobs: string; done: string | null }>(
      'SELECT seq, target, rule, enqueued_at, jobs, done FROM batch_segments ORDER BY seq',
    );
    const insert = db.prepare<[number, string, string, string, string, number, number]>(
      'INSERT OR IGNORE INTO batch_log (seq, id, rule, target, body, enqueued_at, not_before) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    db.transaction(() => {
      for (const segment of rows.all()) {
        const done = parseDone(segment.done);
        segment.jobs.split('\n').forEach((line, index) => {
          if (done.has(index)) return;
          insert.run(segment.seq + index, jobIdOf(line, segment.seq), segment.rule, segment.target, line, segment.enqueued_at, segment.enqueued_at);
        });
      }
      db.exec('DELETE FROM batch_segments');
    }).immediate();
  }

  /** Is this job leased from a segment? */
  owns(jobId: string): boolean {
    return this.#jobs.has(jobId);
  }

  /**
   * Inside the enqueue transaction: one segment per (target, rule). An id
   * already queued anywhere (a segment, the log, `jobs`, or earlier in
   * `entries`) is not a second job and is left out. `reserve(n)` hands out
   * the first of n consecutive seqs. Returns the ids written, and what to
   * apply in memory once the transaction commits.
   */
  append(entries: ReadonlyArray<SegmentEntry>, at: number, reserve: (n: number) => number): { accepted: Set<string>; apply: LogChange } {
    const accepted = new Set<string>();
    const groups = new Map<string, SegmentEntry[]>();
    for (const entry of entries) {
      if (accepted.has(entry.id) || this.#jobs.has(entry.id) || this.#log.holds(entry.id)) continue;
      accepted.add(entry.id);
      const key = `${entry.target}\0${entry.rule}`;
      const group = groups.get(key);
      if (group) group.push(entry);
      else groups.set(key, [entry]);
    }
    const segments: Array<{ segment: Segment; group: SegmentEntry[] }> = [];
    for (const group of groups.values()) {
      const first = group[0] as SegmentEntry;
      const seq = reserve(group.length);
      this.#insert.run(seq, first.target, first.rule, at, group.map((entry) => entry.body).join('\n'));
      segments.push({ segment: { seq, target: first.target, rule: first.rule, enqueuedAt: at, size: group.length, done: new Set() }, group });
    }
    return {
      accepted,
      apply: () => {
        for (const { segment, group } of segments) {
          this.#segments.set(segment.seq, segment);
          group.forEach((entry, index) => this.#jobs.set(entry.id, { segment, index }));
          this.#countOpen(segment.target, group.length);
        }
      },
    };
  }

  /** Starts collecting the jobs a transaction moves out of segments; `finish` writes them. */
  begin(): void {
    this.#touched = new Map();
  }

  /** Inside a transaction opened with `begin`: the job is done. Returns its rule, or undefined if it is not a segment's. */
  complete(jobId: string): string | undefined {
    const located = this.#take(jobId);
    return located?.segment.rule;
  }

  /** Inside a transaction opened with `begin`: moves the job to `batch_log`, waiting until `notBefore`. */
  retry(jobId: string, notBefore: number, error: string, countAttempt: boolean): LogChange | undefined {
    const located = this.#take(jobId);
    if (!located) return undefined;
    const { segment, index } = located;
    const seq = segment.seq + index;
    this.#toLog.run(seq, jobId, segment.rule, segment.target, this.#line(located), countAttempt ? 1 : 0, segment.enqueuedAt, notBefore, error);
    return () => this.#log.adoptWaiting({ seq, target: segment.target, notBefore });
  }

  /** Inside a transaction opened with `begin`: moves the job to `jobs` as a dead letter. Returns its rule. */
  deadLetter(jobId: string, failures: string, now: number, countAttempt: boolean): string | undefined {
    const located = this.#take(jobId);
    if (!located) return undefined;
    const { segment, index } = located;
    this.#toDead.run(segment.seq + index, jobId, segment.rule, segment.target, this.#line(located), countAttempt ? 1 : 0, segment.enqueuedAt, segment.enqueuedAt, now, failures);
    return segment.rule;
  }

  /** Ends a transaction opened with `begin`: deletes the segments now done, records `done` on the others. */
  finish(): LogChange {
    const touched = this.#touched ?? new Map<Segment, Set<number>>();
    this.#touched = undefined;
    for (const [segment, indexes] of touched) {
      if (segment.done.size + indexes.size >= segment.size) this.#delete.run(segment.seq);
      else this.#setDone.run([...segment.done, ...indexes].join(','), segment.seq);
    }
    return () => {
      for (const [segment, indexes] of touched) {
        for (const index of indexes) segment.done.add(index);
        this.#countOpen(segment.target, -indexes.size);
        if (segment.done.size >= segment.size) this.#segments.delete(segment.seq);
      }
    };
  }

  /** A leased job's stored text and when it was enqueued, for `get`. */
  get(jobId: string): { body: string; enqueuedAt: number } | undefined {
    const located = this.#jobs.get(jobId);
    return located ? { body: this.#line(located), enqueuedAt: located.segment.enqueuedAt } : undefined;
  }

  /** Jobs not done, per target key. From memory. */
  activeTargets(into: Map<string, number>): void {
    for (const [target, n] of this.#openByTarget) into.set(target, (into.get(target) ?? 0) + n);
  }

  /** When the oldest segment with jobs not done was written (segments are kept in seq order). */
  oldestEnqueuedAt(): number | undefined {
    for (const segment of this.#segments.values()) return segment.enqueuedAt;
    return undefined;
  }

  #take(jobId: string): Located | undefined {
    const located = this.#jobs.get(jobId);
    const touched = this.#touched;
    if (!located || !touched) return undefined;
    let indexes = touched.get(located.segment);
    if (!indexes) touched.set(located.segment, (indexes = new Set()));
    if (indexes.has(located.index)) return undefined;
    indexes.add(located.index);
    // Forgotten at once: a rolled-back transaction leaves the job leased by nobody, and it runs again after a restart.
    this.#jobs.delete(jobId);
    return located;
  }

  #line(located: Located): string {
    const { segment } = located;
    segment.lines ??= (this.#lines.get(segment.seq)?.jobs ?? '').split('\n');
    return segment.lines[located.index] ?? '';
  }

  #countOpen(target: string, delta: number): void {
    const n = (this.#openByTarget.get(target) ?? 0) + delta;
    if (n > 0) this.#openByTarget.set(target, n);
    else this.#openByTarget.delete(target);
  }

}

function parseDone(done: string | null): Set<number> {
  return new Set(done ? done.split(',').map(Number) : []);
}

/** The codec's text starts `{"v":1,"id":…`; parsed whole, since an id may hold any character. */
function jobIdOf(line: string, seq: number): string {
  const parsed = JSON.parse(line) as { id?: unknown };
  if (typeof parsed.id !== 'string') throw new Error(`action queue segment ${seq} holds a job without an id`);
  return parsed.id;
}
