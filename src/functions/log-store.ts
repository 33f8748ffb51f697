import { EventEmitter } from 'node:events';
import { appendFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

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
  /**
   * Where the logs are kept across restarts: one `<function>.ndjson` file per
   * function, appended in batches (at most FLUSH_DELAY_MS late, so a crash
   * loses at most that much) and rewritten from the kept lines once it holds
   * twice the retention. Unset: memory only.
   */
  directory?: string;
}

export const DEFAULT_MAX_LINES = 10_000;
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
/** What a line costs beyond its message: the timestamp, request id and level of its Lambda-format text. */
export const LINE_OVERHEAD = 64;
/** Lambda cuts log events at 256 KB; so does this store. */
export const MAX_LINE_LENGTH = 256 * 1024;
export const DEFAULT_QUERY_LIMIT = 1_000;
/** How long appended lines wait to be written together. */
export const FLUSH_DELAY_MS = 100;
/** A function's log file: Lambda's rule for function names makes them safe file names. */
const LOG_FILE = /^([A-Za-z0-9_-]{1,64})\.ndjson$/;

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

  /** Oldest first. */
  *oldestFirst(): Generator<Entry> {
    for (let i = 0; i < this.#size; i++) {
      const entry = this.#slots[(this.#head + i) % this.#slots.length];
      if (entry) yield entry;
    }
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

/** What a log file holds per line. */
interface StoredLine {
  seq: number;
  time: number;
  requestId: string | null;
  level: FunctionLogLevel;
  message: string;
}

/** A function's log file: what waits to be written, and how much the file holds (to know when to rewrite it). */
interface LogFile {
  path: string;
  pending: string[];
  lines: number;
  bytes: number;
  /** Writes of this file, one after the other. */
  tail: Promise<void>;
  /** The file ends in a torn line (a crash mid-write): the next write starts a new line first. */
  torn?: boolean;
}

/**
 * The recent log of every function: per function a ring buffer of the last
 * `maxLines` lines or `maxBytes` of text, whichever is reached first (the
 * oldest lines go). With a `directory`, the lines are also appended to a
 * file per function and read back at start, so logs survive a restart; the
 * file is rewritten from the ring when it holds twice the retention, which
 * bounds it on disk too. Logs outlive a function's removal (as a CloudWatch
 * log group does). Followers hear every line as it is appended.
 */
export class FunctionLogStore {
  readonly #logs = new Map<string, Ring>();
  readonly #events = new EventEmitter();
  /** A symbol, so no function name can collide with it. */
  readonly #close = Symbol('close');
  readonly #maxLines: number;
  readonly #maxBytes: number;
  readonly #directory: string | undefined;
  readonly #files = new Map<string, LogFile>();
  #flushTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(retention: LogRetention = {}) {
    this.#maxLines = retention.maxLines ?? DEFAULT_MAX_LINES;
    this.#maxBytes = retention.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!(this.#maxLines >= 1) || !(this.#maxBytes >= 1)) throw new RangeError('log retention must keep at least one line and one byte');
    this.#events.setMaxListeners(0);
    this.#directory = retention.directory;
    if (this.#directory !== undefined) this.#load(this.#directory);
  }

  get retention(): Required<Omit<LogRetention, 'directory'>> {
    return { maxLines: this.#maxLines, maxBytes: this.#maxBytes };
  }

  /**
   * Reads the kept logs back (once, at start-up, before anything is appended).
   * A line that does not parse (the last one, cut by a crash) is skipped.
   */
  #load(directory: string): void {
    if (!existsSync(directory)) return;
    for (const name of readdirSync(directory)) {
      const functionName = LOG_FILE.exec(name)?.[1];
      if (functionName === undefined) continue;
      const path = join(directory, name);
      const ring = new Ring(this.#maxLines);
      const file: LogFile = { path, pending: [], lines: 0, bytes: 0, tail: Promise.resolve() };
      const content = readFileSync(path, 'utf8');
      if (content !== '' && !content.endsWith('\n')) file.torn = true;
      for (const text of content.split('\n')) {
        if (text === '') continue;
        file.lines++;
        file.bytes += text.length + 1;
        const line = parseStoredLine(text);
        if (!line) continue;
        ring.push(line, this.#maxBytes);
        ring.nextSeq = Math.max(ring.nextSeq, line.seq + 1);
      }
      this.#logs.set(functionName, ring);
      this.#files.set(functionName, file);
    }
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
    if (this.#directory !== undefined && !this.#closed) this.#persist(this.#directory, functionName, entry);
    if (this.#events.listenerCount(functionName) > 0) this.#events.emit(functionName, toLine(entry));
  }

  #persist(directory: string, functionName: string, entry: Entry): void {
    let file = this.#files.get(functionName);
    if (!file) {
      file = { path: join(directory, `${functionName}.ndjson`), pending: [], lines: 0, bytes: 0, tail: Promise.resolve() };
      this.#files.set(functionName, file);
    }
    const stored: StoredLine = { seq: entry.seq, time: entry.time, requestId: entry.requestId, level: entry.level, message: entry.message };
    file.pending.push(JSON.stringify(stored));
    this.#flushTimer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS).unref();
  }

  /** Writes what waits to be written; resolves when it is on disk. Errors are swallowed: a log write must never fail an invocation. */
  async flush(): Promise<void> {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const directory = this.#directory;
    if (directory === undefined) return;
    const writes: Array<Promise<void>> = [];
    for (const [functionName, file] of this.#files) {
      if (file.pending.length > 0) {
        const batch = file.pending;
        file.pending = [];
        file.tail = file.tail.then(() => this.#write(directory, functionName, file, batch)).catch(() => undefined);
      }
      writes.push(file.tail);
    }
    await Promise.all(writes);
  }

  async #write(directory: string, functionName: string, file: LogFile, batch: string[]): Promise<void> {
    await mkdir(directory, { recursive: true });
    const text = `${file.torn ? '\n' : ''}${batch.join('\n')}\n`;
    file.torn = false;
    if (file.lines + batch.length > 2 * this.#maxLines || file.bytes + text.length > 2 * this.#maxBytes + 2 * LINE_OVERHEAD * this.#maxLines) {
      // Rewrite from the ring, which holds the retention (and this batch, appended before it was written).
      const kept = [...(this.#logs.get(functionName)?.oldestFirst() ?? [])].map((e) => JSON.stringify(e satisfies StoredLine));
      const whole = kept.length > 0 ? `${kept.join('\n')}\n` : '';
      const temporary = `${file.path}.${process.pid}.tmp`;
      await writeFile(temporary, whole);
      await rename(temporary, file.path);
      file.lines = kept.length;
      file.bytes = whole.length;
      return;
    }
    await appendFile(file.path, text);
    file.lines += batch.length;
    file.bytes += text.length;
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

  /** Ends every follower (the server is stopping); the lines stay readable. Resolves once the last lines are on disk. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#events.emit(this.#close);
    this.#events.removeAllListeners();
    await this.flush();
  }
}

function parseStoredLine(text: string): Entry | undefined {
  try {
    const value = JSON.parse(text) as Partial<StoredLine> | null;
    if (
      value === null ||
      typeof value.seq !== 'number' ||
      typeof value.time !== 'number' ||
      (value.requestId !== null && typeof value.requestId !== 'string') ||
      !FUNCTION_LOG_LEVELS.includes(value.level as FunctionLogLevel) ||
      typeof value.message !== 'string'
    ) {
      return undefined;
    }
    return { seq: value.seq, time: value.time, requestId: value.requestId ?? null, level: value.level as FunctionLogLevel, message: value.message };
  } catch {
    return undefined;
  }
}

/** A line as Lambda prints it: platform lines as they are, the function's as `time\trequestId\tLEVEL\tmessage`. */
export function formatLogLine(line: Pick<FunctionLogLine, 'timestamp' | 'requestId' | 'level' | 'message'>): string {
  if (line.level === 'START' || line.level === 'END' || line.level === 'REPORT') return line.message;
  return `${line.timestamp}\t${line.requestId ?? 'undefined'}\t${line.level}\t${line.message}`;
}
