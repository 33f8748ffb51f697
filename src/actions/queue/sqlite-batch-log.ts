import type { Database, Statement } from 'better-sqlite3';

/**
 * The SQLite queue's store for the jobs of batching targets (archives): an
 * append-only table with no index but its rowid and the job id.
 *
 * An archive job costs its message one row here instead of one in `jobs`,
 * where every state change (insert, lease, delete) rewrote three or four
 * indexes. Here an insert appends at the end of the rowid tree, a lease
 * writes nothing (leases do not survive a restart anyway, so they live in
 * memory, as the `jobs` table's turn to 'ready' at open already implies),
 * and a complete deletes by rowid. At the broker's full rate that was the
 * difference between the queue being most of the CPU and a small part of it.
 *
 * What a row needs to be leased again is in memory per target: a cursor
 * (rows after it were never handed out since the file was opened) and the
 * rows waiting for a retry time (a min-heap on `notBefore`). Every row that
 * is neither leased nor done is after its target's cursor or in that heap,
 * so no ready job is ever lost from view; the file is the truth at open.
 *
 * Dead letters move to the `jobs` table (state 'dead'), so listing, replay
 * and purge are one code path whatever the target.
 *
 * The methods that write run inside the caller's transaction and return
 * what to apply in memory once it commits (`apply…`): a rolled-back write
 * changes nothing, in the file or here.
 */
export interface LogRow {
  seq: number;
  id: string;
  rule: string;
  target: string;
  body: string;
  attempts: number;
  enqueued_at: number;
  not_before: number;
  last_error: string | null;
}

export interface LogInsert {
  seq: number;
  id: string;
  rule: string;
  target: string;
  body: string;
  at: number;
}

/** A change to apply in memory after its transaction commits. */
export type LogChange = () => void;

interface Located {
  seq: number;
  rule: string;
  target: string;
}

interface Waiting {
  seq: number;
  notBefore: number;
}

interface TargetState {
  /** Rows with a greater seq have not been handed out since open (unless leased by an untargeted lease). */
  cursor: number;
  /** Greatest seq inserted for this target. */
  last: number;
  /** Rows not done (ready, waiting or leased). */
  active: number;
  waiting: MinHeap;
}

export const BATCH_LOG_SCHEMA = `CREATE TABLE batch_log (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     rule TEXT NOT NULL,
     target TEXT NOT NULL,
     body TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     enqueued_at INTEGER NOT NULL,
     not_before INTEGER NOT NULL,
     last_error TEXT
   );`;

const LOG_COLUMNS = 'seq, id, rule, target, body, attempts, enqueued_at, not_before, last_error';
/** Rows read per query while walking a target's rows after its cursor. */
const SCAN_CHUNK = 512;

export class SqliteBatchLog {
  readonly #insert: Statement<[number, string, string, string, string, number, number]>;
  readonly #inJobs: Statement<[string], { one: number }>;
  readonly #after: Statement<[number, string, number], LogRow>;
  readonly #bySeq: Statement<[number], LogRow>;
  readonly #byId: Statement<[string], LogRow>;
  readonly #allDue: Statement<[number], LogRow>;
  readonly #delete: Statement<[number]>;
  readonly #retry: Statement<[number, number, string, number]>;
  readonly #toDead: Statement<[number, number, string, number]>;
  readonly #firstAfter: Statement<[number, string], { seq: number; not_before: number }>;
  readonly #oldest: Statement<[], { enqueued_at: number }>;
  readonly #targets = new Map<string, TargetState>();
  /** Leased rows by job id; their rows stay in the file until complete or dead. */
  readonly #leased = new Map<string, Located>();
  readonly #leasedSeqs = new Set<number>();
  /** The current retry time of each waiting row: a heap entry that disagrees is stale. */
  readonly #waitingAt = new Map<number, number>();
  /** Rows per rule when the file was opened, for the queue's depth counts. */
  readonly rowsByRuleAtOpen = new Map<string, number>();
  /** The greatest seq in the file when it was opened, so the queue's shared sequence continues after it. */
  lastSeqAtOpen = 0;

  constructor(db: Database) {
    this.#insert = db.prepare(
      'INSERT OR IGNORE INTO batch_log (seq, id, rule, target, body, enqueued_at, not_before) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#inJobs = db.prepare('SELECT 1 AS one FROM jobs WHERE id = ?');
    this.#after = db.prepare(`SELECT ${LOG_COLUMNS} FROM batch_log WHERE seq > ? AND target = ? ORDER BY seq LIMIT ?`);
    this.#bySeq = db.prepare(`SELECT ${LOG_COLUMNS} FROM batch_log WHERE seq = ?`);
    this.#byId = db.prepare(`SELECT ${LOG_COLUMNS} FROM batch_log WHERE id = ?`);
    this.#allDue = db.prepare(`SELECT ${LOG_COLUMNS} FROM batch_log WHERE not_before <= ? ORDER BY enqueued_at, seq`);
    this.#delete = db.prepare('DELETE FROM batch_log WHERE seq = ?');
    this.#retry = db.prepare('UPDATE batch_log SET attempts = attempts + ?, not_before = ?, last_error = ? WHERE seq = ?');
    // The row keeps its seq as the jobs row's rowid, so enqueue order holds across the two tables.
    this.#toDead = db.prepare(
      `INSERT INTO jobs (rowid, id, rule, target, body, attempts, enqueued_at, not_before, state, last_error, dead_at, failures)
       SELECT seq, id, rule, target, body, attempts + ?, enqueued_at, not_before, 'dead', last_error, ?, ? FROM batch_log WHERE seq = ?`,
    );
    this.#firstAfter = db.prepare('SELECT seq, not_before FROM batch_log WHERE seq > ? AND target = ? ORDER BY seq');
    this.#oldest = db.prepare('SELECT enqueued_at FROM batch_log ORDER BY seq LIMIT 1');
    // Everything in the file is ready at open: cursors start at 0, and rows not due yet
    // go to their target's heap when the first lease walks past them. One pass over the
    // log counts rows per target (for leasing) and per rule (for the queue's depth), and
    // finds the last seq.
    const rows = db
      .prepare<[], { target: string; rule: string; n: number; last: number }>('SELECT target, rule, COUNT(*) AS n, MAX(seq) AS last FROM batch_log GROUP BY target, rule')
      .all();
    for (const row of rows) {
      const state = this.#target(row.target);
      state.active += row.n;
      state.last = Math.max(state.last, row.last);
      this.rowsByRuleAtOpen.set(row.rule, (this.rowsByRuleAtOpen.get(row.rule) ?? 0) + row.n);
      this.lastSeqAtOpen = Math.max(this.lastSeqAtOpen, row.last);
    }
  }

  /** Whether the id is in `jobs` (ready, leased or dead) or in the log: an id already queued, which a second enqueue must not double. */
  holds(jobId: string): boolean {
    return this.#inJobs.get(jobId) !== undefined || this.#byId.get(jobId) !== undefined;
  }

  /** Inside the enqueue transaction. An id already in the log or in `jobs` (queued, leased or dead) is not a second job. */
  insert(row: LogInsert): LogChange | undefined {
    if (this.#inJobs.get(row.id)) return undefined;
    if (this.#insert.run(row.seq, row.id, row.rule, row.target, row.body, row.at, row.at).changes === 0) return undefined;
    return () => {
      const state = this.#target(row.target);
      state.active += 1;
      state.last = Math.max(state.last, row.seq);
    };
  }

  /**
   * After the transaction that moved a leased segment job into the log (a
   * retry): the row waits for its retry time like any retried row.
   */
  adoptWaiting(row: { seq: number; target: string; notBefore: number }): void {
    const state = this.#target(row.target);
    state.active += 1;
    this.#wait(state, row.seq, row.notBefore);
  }

  /** Up to `limit` due rows of one target, oldest first: rows whose retry time has come, then rows never handed out. */
  leaseTarget(target: string, limit: number, now: number): LogRow[] {
    const state = this.#targets.get(target);
    if (!state || limit <= 0) return [];
    const taken: LogRow[] = [];
    while (taken.length < limit && state.waiting.peek() !== undefined && (state.waiting.peek()?.notBefore ?? Infinity) <= now) {
      const entry = state.waiting.pop() as Waiting;
      if (this.#waitingAt.get(entry.seq) !== entry.notBefore || this.#leasedSeqs.has(entry.seq)) continue; // stale
      this.#waitingAt.delete(entry.seq);
      const row = this.#bySeq.get(entry.seq);
      if (row) taken.push(row);
    }
    const fromHeap = new Set(taken.map((row) => row.seq));
    while (taken.length < limit && state.cursor < state.last) {
      const rows = this.#after.all(state.cursor, target, SCAN_CHUNK);
      if (rows.length === 0) {
        state.cursor = state.last;
        break;
      }
      for (const row of rows) {
        if (taken.length >= limit) break;
        state.cursor = row.seq;
        // A row in the heap (a retried one past the cursor) is the heap's to hand out.
        if (this.#leasedSeqs.has(row.seq) || this.#waitingAt.has(row.seq) || fromHeap.has(row.seq)) continue;
        if (row.not_before > now) this.#wait(state, row.seq, row.not_before);
        else taken.push(row);
      }
    }
    taken.sort(byAge);
    for (const row of taken) this.markLeased(row);
    return taken;
  }

  /**
   * Rows of every target, for a lease without a target (not the executor's
   * path: it leases by target). Reads the whole log; the caller merges these
   * with the `jobs` table's and calls `markLeased` on the rows it keeps.
   */
  dueRows(now: number, limit: number, skip: ReadonlySet<string> | undefined): LogRow[] {
    const rows: LogRow[] = [];
    if (this.#targets.size === 0 || limit <= 0) return rows;
    for (const row of this.#allDue.iterate(now)) {
      if (rows.length >= limit) break;
      if (this.#leasedSeqs.has(row.seq) || skip?.has(row.target)) continue;
      rows.push(row);
    }
    return rows;
  }

  markLeased(row: LogRow): void {
    this.#waitingAt.delete(row.seq);
    this.#markLeased(row);
  }

  owns(jobId: string): boolean {
    return this.#leased.has(jobId);
  }

  /**
   * Where a job is, if in the log: its leased entry, else (a job completed,
   * retried or dead-lettered without a lease: not the executor's way) its row.
   */
  #locate(jobId: string): Located | undefined {
    const leased = this.#leased.get(jobId);
    if (leased) return leased;
    const row = this.#byId.get(jobId);
    return row ? { seq: row.seq, rule: row.rule, target: row.target } : undefined;
  }

  /** Inside the completion transaction. */
  complete(jobId: string): { rule: string; apply: LogChange } | undefined {
    const located = this.#locate(jobId);
    if (!located) return undefined;
    this.#delete.run(located.seq);
    return { rule: located.rule, apply: () => this.#forget(jobId, located) };
  }

  /** Back to waiting until `notBefore`, counting the attempt unless told not to. */
  retry(jobId: string, notBefore: number, error: string, countAttempt: boolean): boolean {
    const located = this.#locate(jobId);
    if (!located) return false;
    this.#retry.run(countAttempt ? 1 : 0, notBefore, error, located.seq);
    this.#leased.delete(jobId);
    this.#leasedSeqs.delete(located.seq);
    this.#wait(this.#target(located.target), located.seq, notBefore);
    return true;
  }

  /** Inside a transaction: moves the row to `jobs` as a dead letter. */
  deadLetter(jobId: string, failures: string, now: number, countAttempt: boolean): { rule: string; apply: LogChange } | undefined {
    const located = this.#locate(jobId);
    if (!located) return undefined;
    this.#toDead.run(countAttempt ? 1 : 0, now, failures, located.seq);
    this.#delete.run(located.seq);
    return { rule: located.rule, apply: () => this.#forget(jobId, located) };
  }

  /** A row and whether it is leased, for `get`. */
  get(jobId: string): { row: LogRow; leased: boolean } | undefined {
    const row = this.#byId.get(jobId);
    return row ? { row, leased: this.#leasedSeqs.has(row.seq) } : undefined;
  }

  /** Rows not done, per target key. From memory: no scan. */
  activeTargets(into: Map<string, number>): void {
    for (const [target, state] of this.#targets) if (state.active > 0) into.set(target, (into.get(target) ?? 0) + state.active);
  }

  /**
   * Earliest retry time among rows not leased; undefined when none. A target
   * with rows after its cursor answers with the first of them: new rows are
   * appended in time order, so that is their earliest (after a restart it
   * may be early, and the lease it prompts moves a row not due yet to the heap).
   */
  nextReadyAt(): number | undefined {
    let next: number | undefined;
    const consider = (at: number): void => {
      next = next === undefined ? at : Math.min(next, at);
    };
    for (const [target, state] of this.#targets) {
      let top = state.waiting.peek();
      while (top && (this.#waitingAt.get(top.seq) !== top.notBefore || this.#leasedSeqs.has(top.seq))) {
        state.waiting.pop();
        top = state.waiting.peek();
      }
      if (top) consider(top.notBefore);
      if (state.cursor < state.last) {
        // Rows after the cursor are leased only by an untargeted lease; the executor's path finds the first at once.
        let found = false;
        for (const row of this.#firstAfter.iterate(state.cursor, target)) {
          if (this.#leasedSeqs.has(row.seq)) continue;
          consider(row.not_before);
          found = true;
          break;
        }
        if (!found && !this.#hasLeasedAfter(state.cursor)) state.cursor = state.last;
      }
    }
    return next;
  }

  /** enqueued_at of the oldest row not done (the first row: rows are appended in time order). */
  oldestEnqueuedAt(): number | undefined {
    return this.#oldest.get()?.enqueued_at;
  }

  #hasLeasedAfter(cursor: number): boolean {
    for (const seq of this.#leasedSeqs) if (seq > cursor) return true;
    return false;
  }

  #target(target: string): TargetState {
    let state = this.#targets.get(target);
    if (!state) this.#targets.set(target, (state = { cursor: 0, last: 0, active: 0, waiting: new MinHeap() }));
    return state;
  }

  #markLeased(row: LogRow): void {
    this.#leased.set(row.id, { seq: row.seq, rule: row.rule, target: row.target });
    this.#leasedSeqs.add(row.seq);
  }

  #wait(state: TargetState, seq: number, notBefore: number): void {
    this.#waitingAt.set(seq, notBefore);
    state.waiting.push({ seq, notBefore });
  }

  #forget(jobId: string, located: Located): void {
    this.#leased.delete(jobId);
    this.#leasedSeqs.delete(located.seq);
    this.#waitingAt.delete(located.seq);
    const state = this.#targets.get(located.target);
    if (state) state.active -= 1;
  }
}

function byAge(a: LogRow, b: LogRow): number {
  return a.enqueued_at - b.enqueued_at || a.seq - b.seq;
}

/** Rows waiting for their retry time, earliest first (ties by seq). */
class MinHeap {
  readonly #items: Waiting[] = [];

  peek(): Waiting | undefined {
    return this.#items[0];
  }

  push(item: Waiting): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i] as Waiting, items[parent] as Waiting)) break;
      [items[i], items[parent]] = [items[parent] as Waiting, items[i] as Waiting];
      i = parent;
    }
  }

  pop(): Waiting | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && before(items[left] as Waiting, items[smallest] as Waiting)) smallest = left;
        if (right < items.length && before(items[right] as Waiting, items[smallest] as Waiting)) smallest = right;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest] as Waiting, items[i] as Waiting];
        i = smallest;
      }
    }
    return top;
  }
}

function before(a: Waiting, b: Waiting): boolean {
  return a.notBefore < b.notBefore || (a.notBefore === b.notBefore && a.seq < b.seq);
}
