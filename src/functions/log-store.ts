import { EventEmitter } from 'node:events';

/**
 * Lambda's levels: the platform's START/END/REPORT lines, and the level of
 * each line the function logged (`console.log` and `console.info` are INFO).
 */
export const FUNCTION_LOG_LEVELS = ['START', 'END', 'REPORT', 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type FunctionLogLevel = (typeof FUNCTION_LOG_LEVELS)[number];

/** One line of a function's log, as the API returns it. */
export interface FunctionLogLine {
  /** Position in this function's log since the server started, from 1; evicted lines keep theirs. */
  seq: number;
  /** ISO 8601, milliseconds, UTC. */
  timestamp: string;
  /** Null for lines logged outside an invocation (at import time, or from a stray timer), as Lambda prints `undefined`. */
  requestId: string | null;
  level: FunctionLogLevel;
  /** For START/END/REPORT the whole platform line; otherwise what the function logged. */
  message: string;
}

export interface LogQuery {
  /** Epoch milliseconds: only lines at or after this time. */
  since?: number;
  requestId?: string;
  /** The newest this many matching lines (still in log order). Default 1,000. */
  limit?: number;
}

export interface LogRetention {
  /** Lines kept per function. Default 10,000. */
  maxLines?: number;
  /** Characters of log kept per function, each line counted as its message plus LINE_OVERHEAD. Default 5 MiB. */
  maxBytes?: number;
}

export const DEFAULT_MAX_LINES = 10_000;
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
/** What a line costs beyond its message: the timestamp, request id and level of its Lambda-format text. */
export const LINE_OVERHEAD = 64;
/** Lambda cuts log events at 256 KB; so does this store. */
export const MAX_LINE_LENGTH = 256 * 1024;
export const DEFAULT_QUERY_LIMIT = 1_000;

interface Entry {
  seq: number;
  time: number;
  requestId: string | null;
  level: FunctionLogLevel;
  message: string;
}

/** A ring buffer: appending never moves the other lines, so it costs the same with 10 or 10,000 kept. */
class Ring {
  readonly #slots: Array<Entry | undefined>;
  #head = 0;
  #size = 0;
  #bytes = 0;
  nextSeq = 1;

  constructor(capacity: number) {
    this.#slots = new Array<Entry | undefined>(capacity);
  }

  push(entry: Entry, maxBytes: number): void {
    const capacity = this.#slots.length;
    if (this.#size === capacity) this.#dropOldest();
    this.#slots[(this.#head + this.#size) % capacity] = entry;
    this.#size++;
    this.#bytes += cost(entry);
    while (this.#bytes > maxBytes && this.#size > 1) this.#dropOldest();
  }

  #dropOldest(): void {
    const oldest = this.#slots[this.#head];
    this.#slots[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#slots.length;
    this.#size--;
    if (oldest) this.#bytes -= cost(oldest);
  }

  get size(): number {
    return this.#size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Newest first. */
  *newestFirst(): Generator<Entry> {
    for (let i = this.#size - 1; i >= 0; i--) {
      const entry = this.#slots[(this.#head + i) % this.#slots.length];
      if (entry) yield entry;
    }
  }
}

function cost(entry: Entry): number {
  return entry.message.length + LINE_OVERHEAD;
}

function toLine(entry: Entry): FunctionLogLine {
  return { seq: entry.seq, timestamp: new Date(entry.time).toISOString(), requestId: entry.requestId, level: entry.level, message: entry.message };
}

/**
 * The recent log of every function, in memory: per function a ring buffer of
 * the last `maxLines` lines or `maxBytes` of text, whichever is reached first
 * (the oldest lines go). Nothing is written to disk; a restart starts empty.
 * Logs outlive a function's removal (as a CloudWatch log group does) until the
 * server stops. Followers hear every line as it is appended.
 */
export class FunctionLogStore {
  readonly #logs = new Map<string, Ring>();
  readonly #events = new EventEmitter();
  /** A symbol, so no function name can collide with it. */
  readonly #close = Symbol('close');
  readonly #maxLines: number;
  readonly #maxBytes: number;
  #closed = false;

  constructor(retention: LogRetention = {}) {
    this.#maxLines = retention.maxLines ?? DEFAULT_MAX_LINES;
    this.#maxBytes = retention.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!(this.#maxLines >= 1) || !(this.#maxBytes >= 1)) throw new RangeError('log retention must keep at least one line and one byte');
    this.#events.setMaxListeners(0);
  }

  get retention(): Required<LogRetention> {
    return { maxLines: this.#maxLines, maxBytes: this.#maxBytes };
  }

  append(functionName: string, requestId: string | undefined, level: FunctionLogLevel, message: string, time = Date.now()): void {
    let ring = this.#logs.get(functionName);
    if (!ring) {
      ring = new Ring(this.#maxLines);
      this.#logs.set(functionName, ring);
    }
    const text = message.length > MAX_LINE_LENGTH ? `${message.slice(0, MAX_LINE_LENGTH)} ... (truncated at ${MAX_LINE_LENGTH} characters)` : message;
    const entry: Entry = { seq: ring.nextSeq++, time, requestId: requestId ?? null, level, message: text };
    ring.push(entry, this.#maxBytes);
    if (this.#events.listenerCount(functionName) > 0) this.#events.emit(functionName, toLine(entry));
  }

  /** Whether the function has logged anything since the server started. */
  has(functionName: string): boolean {
    return this.#logs.has(functionName);
  }

  /** Lines and characters kept now, to check the retention bound. */
  usage(functionName: string): { lines: number; bytes: number } {
    const ring = this.#logs.get(functionName);
    return { lines: ring?.size ?? 0, bytes: ring?.bytes ?? 0 };
  }

  /** The newest `limit` lines matching the query, oldest first. */
  query(functionName: string, query: LogQuery = {}): FunctionLogLine[] {
    const ring = this.#logs.get(functionName);
    if (!ring) return [];
    const limit = query.limit ?? DEFAULT_QUERY_LIMIT;
    const found: Entry[] = [];
    // Every kept line is looked at: lines of concurrent invocations arrive a little out of time order.
    for (const entry of ring.newestFirst()) {
      if (found.length >= limit) break;
      if (query.since !== undefined && entry.time < query.since) continue;
      if (query.requestId !== undefined && entry.requestId !== query.requestId) continue;
      found.push(entry);
    }
    return found.reverse().map(toLine);
  }

  /**
   * Calls `listener` with every line the function logs from now on, until the
   * returned function is called or the store closes (then `onClose` runs once).
   */
  follow(functionName: string, listener: (line: FunctionLogLine) => void, onClose?: () => void): () => void {
    const closed = () => onClose?.();
    if (this.#closed) {
      queueMicrotask(closed);
      return () => {};
    }
    this.#events.on(functionName, listener);
    this.#events.once(this.#close, closed);
    return () => {
      this.#events.off(functionName, listener);
      this.#events.off(this.#close, closed);
    };
  }

  /** Followers of the function now (a client that went away must not stay one). */
  followers(functionName: string): number {
    return this.#events.listenerCount(functionName);
  }

  /** Ends every follower (the server is stopping); the lines stay readable. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#events.emit(this.#close);
    this.#events.removeAllListeners();
  }
}

/** A line as Lambda prints it: platform lines as they are, the function's as `time\trequestId\tLEVEL\tmessage`. */
export function formatLogLine(line: Pick<FunctionLogLine, 'timestamp' | 'requestId' | 'level' | 'message'>): string {
  if (line.level === 'START' || line.level === 'END' || line.level === 'REPORT') return line.message;
  return `${line.timestamp}\t${line.requestId ?? 'undefined'}\t${line.level}\t${line.message}`;
}
