import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setImmediate } from 'node:timers';
import Database from 'better-sqlite3';
import { SluiceError, walSync } from '../core/index.js';
import type { DownsampleQuery, Reading, ReadingInterval, ReadingsQuery, ReadingsStore, SeriesInfo, SeriesSpec } from './port.js';
import { migrateReadings } from './schema.js';

/** Rows deleted per statement by the retention sweep, so one sweep never holds the event loop for long. */
const EXPIRE_BATCH = 5_000;
const MAX_TIME = Number.MAX_SAFE_INTEGER;

/**
 * The queries, exported so the tests can check with EXPLAIN QUERY PLAN that
 * each walks an index. Per device: the primary key (series, device, time).
 * Every device: readings_time (series, time), whose entries end in the
 * primary key, so `time, device` in one direction is index order and nothing
 * is sorted.
 */
export function readingsSql(byDevice: boolean, order: 'ASC' | 'DESC'): string {
  return byDevice
    ? `SELECT device, time, fields FROM readings WHERE series = @series AND device = @device AND time BETWEEN @from AND @to
       ORDER BY time ${order} LIMIT @limit`
    : `SELECT device, time, fields FROM readings INDEXED BY readings_time WHERE series = @series AND time BETWEEN @from AND @to
       ORDER BY time ${order}, device ${order} LIMIT @limit`;
}

/**
 * `%` works on integers (better-sqlite3 binds a JS number as REAL, so `/` would not truncate); time >= 0,
 * so start is the interval's epoch-aligned start.
 */
export function summarySql(byDevice: boolean, order: 'ASC' | 'DESC'): string {
  return `SELECT r.device AS device, r.time - r.time % @interval AS start, f.key AS field,
            min(f.value) AS min, max(f.value) AS max, avg(f.value) AS avg, count(f.value) AS count
     FROM readings r, json_each(r.fields) f
     WHERE r.series = @series ${byDevice ? 'AND r.device = @device' : ''} AND r.time BETWEEN @from AND @to
       AND f.type IN ('integer', 'real')
     GROUP BY r.device, start, f.key
     ORDER BY start ${order}, r.device, f.key`;
}

export const EXPIRE_SQL = `DELETE FROM readings WHERE series = @series AND time < @cutoff AND (device, time) IN
  (SELECT device, time FROM readings WHERE series = @series AND time < @cutoff LIMIT @batch)`;

interface PendingWrite {
  series: string;
  reading: Reading;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface SeriesRow {
  name: string;
  retention_ms: number | null;
  oldest: number | null;
  newest: number | null;
}

interface SummaryRow {
  device: string;
  start: number;
  field: string;
  min: number;
  max: number;
  avg: number;
  count: number;
}

/**
 * The embedded readings store: its own SQLite file in WAL mode. Writes that
 * arrive in the same event-loop turn share one transaction (group commit);
 * a write resolves only once it is on disk (the WAL fsynced off the main
 * thread, core's `walSync`), because the action queue forgets the job as soon
 * as it does.
 */
export function openSqliteReadingsStore(file: string): ReadingsStore {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // NORMAL plus walSync after each group commit: FULL's durability without an fsync on the main thread.
  db.pragma('synchronous = NORMAL');
  const wal = walSync(file);
  db.pragma('busy_timeout = 5000');
  migrateReadings(db);

  const SERIES_COLUMNS = `name, retention_ms,
    (SELECT time FROM readings WHERE series = s.name ORDER BY time ASC LIMIT 1) AS oldest,
    (SELECT time FROM readings WHERE series = s.name ORDER BY time DESC LIMIT 1) AS newest`;
  const putSeries = db.prepare<[string, number | null]>(
    'INSERT INTO series (name, retention_ms) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET retention_ms = excluded.retention_ms',
  );
  const deleteSeries = db.prepare<[string]>('DELETE FROM series WHERE name = ?');
  const deleteSeriesReadings = db.prepare<[string]>('DELETE FROM readings WHERE series = ?');
  const getSeries = db.prepare<[string], SeriesRow>(`SELECT ${SERIES_COLUMNS} FROM series s WHERE name = ?`);
  const listSeries = db.prepare<[], SeriesRow>(`SELECT ${SERIES_COLUMNS} FROM series s ORDER BY name`);
  const seriesExists = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM series WHERE name = ?');
  const retained = db.prepare<[], { name: string; retention_ms: number }>('SELECT name, retention_ms FROM series WHERE retention_ms IS NOT NULL ORDER BY name');
  // json_patch merges: a second rule writing other fields of the same reading adds them; the same fields again change nothing.
  const upsert = db.prepare<[string, string, number, string]>(
    `INSERT INTO readings (series, device, time, fields) VALUES (?, ?, ?, ?)
     ON CONFLICT (series, device, time) DO UPDATE SET fields = json_patch(fields, excluded.fields)`,
  );
  const expireBatch = db.prepare<{ series: string; cutoff: number; batch: number }>(EXPIRE_SQL);

  // One statement per shape (device or not, order), prepared once.
  const readingStatements = new Map<string, Database.Statement<Record<string, string | number>, { device: string; time: number; fields: string }>>();
  const readingsStatement = (byDevice: boolean, order: 'ASC' | 'DESC') => {
    const key = `${byDevice}:${order}`;
    let statement = readingStatements.get(key);
    if (!statement) {
      statement = db.prepare(readingsSql(byDevice, order));
      readingStatements.set(key, statement);
    }
    return statement;
  };
  const newestAtOrBefore = {
    device: db.prepare<[string, string, number], { time: number }>(
      'SELECT time FROM readings WHERE series = ? AND device = ? AND time <= ? ORDER BY time DESC LIMIT 1',
    ),
    any: db.prepare<[string, number], { time: number }>('SELECT time FROM readings WHERE series = ? AND time <= ? ORDER BY time DESC LIMIT 1'),
  };
  const summaryStatements = new Map<string, Database.Statement<Record<string, string | number>, SummaryRow>>();
  const summaryStatement = (byDevice: boolean, order: 'ASC' | 'DESC') => {
    const key = `${byDevice}:${order}`;
    let statement = summaryStatements.get(key);
    if (!statement) {
      statement = db.prepare(summarySql(byDevice, order));
      summaryStatements.set(key, statement);
    }
    return statement;
  };

  const requireSeries = (series: string): void => {
    if (!seriesExists.get(series)) {
      throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no such series: ${series} (declare it under series: in a stack)`, { details: { series } });
    }
  };

  let pending: PendingWrite[] = [];
  let flushScheduled = false;
  const commit = db.transaction((writes: PendingWrite[]) => {
    for (const { series, reading } of writes) upsert.run(series, reading.device, reading.time, JSON.stringify(reading.values));
  });
  const flush = (): void => {
    flushScheduled = false;
    const writes = pending;
    pending = [];
    if (writes.length === 0) return;
    try {
      commit(writes);
    } catch (error) {
      for (const write of writes) write.reject(error);
      return;
    }
    wal.settle(writes);
  };

  let closed = false;
  const open = (): void => {
    if (closed) throw new Error('the readings store is closed');
  };

  return {
    async putSeries(name: string, spec: SeriesSpec) {
      open();
      putSeries.run(name, spec.retentionMs ?? null);
    },
    async deleteSeries(name: string) {
      open();
      flush();
      return db.transaction(() => {
        deleteSeriesReadings.run(name);
        return deleteSeries.run(name).changes > 0;
      })();
    },
    async getSeries(name: string) {
      open();
      const row = getSeries.get(name);
      return row ? toSeriesInfo(row) : undefined;
    },
    async listSeries() {
      open();
      return listSeries.all().map(toSeriesInfo);
    },
    write(series: string, reading: Reading) {
      try {
        open();
        requireSeries(series);
        if (!Number.isSafeInteger(reading.time) || reading.time < 0) throw new Error(`reading time must be ms since the epoch, got ${reading.time}`);
      } catch (error) {
        return Promise.reject(error);
      }
      return new Promise<void>((resolve, reject) => {
        pending.push({ series, reading, resolve, reject });
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
      });
    },
    async query(series: string, query: ReadingsQuery) {
      open();
      requireSeries(series);
      const order = query.order === 'asc' ? 'ASC' : 'DESC';
      const rows = readingsStatement(query.device !== undefined, order).all({
        series,
        ...(query.device !== undefined ? { device: query.device } : {}),
        from: query.from ?? 0,
        to: query.to ?? MAX_TIME,
        limit: query.limit,
      });
      return rows.map((row) => ({ device: row.device, time: row.time, values: JSON.parse(row.fields) as Record<string, number> }));
    },
    async downsample(series: string, query: DownsampleQuery) {
      open();
      requireSeries(series);
      const interval = query.intervalMs;
      const to = query.to ?? MAX_TIME;
      let from = query.from;
      if (from === undefined) {
        // The last `limit` intervals up to the newest reading: "the last 24 hours" of a device that stopped sending yesterday still shows something.
        const newest = query.device !== undefined ? newestAtOrBefore.device.get(series, query.device, to) : newestAtOrBefore.any.get(series, to);
        if (!newest) return [];
        from = Math.max(0, Math.floor(newest.time / interval) * interval - (query.limit - 1) * interval);
      }
      const order = query.order === 'asc' ? 'ASC' : 'DESC';
      const rows = summaryStatement(query.device !== undefined, order).all({
        series,
        ...(query.device !== undefined ? { device: query.device } : {}),
        from,
        to,
        interval,
      });
      return groupIntervals(rows, query.limit);
    },
    async expire(now: number) {
      open();
      const deleted: Record<string, number> = {};
      for (const { name, retention_ms: retention } of retained.all()) {
        const cutoff = now - retention;
        let total = 0;
        for (;;) {
          const { changes } = expireBatch.run({ series: name, cutoff, batch: EXPIRE_BATCH });
          total += changes;
          if (changes < EXPIRE_BATCH) break;
          // Let messages through between batches: better-sqlite3 blocks the event loop while it works.
          await new Promise((resolve) => setImmediate(resolve));
        }
        if (total > 0) deleted[name] = total;
      }
      return deleted;
    },
    async close() {
      if (closed) return;
      flush();
      closed = true;
      await wal.close();
      db.close();
    },
  };
}

function toSeriesInfo(row: SeriesRow): SeriesInfo {
  return {
    name: row.name,
    ...(row.retention_ms !== null ? { retentionMs: row.retention_ms } : {}),
    ...(row.oldest !== null ? { oldest: row.oldest } : {}),
    ...(row.newest !== null ? { newest: row.newest } : {}),
  };
}

/** Rows (one per device, interval and field, in interval order) → intervals, at most `limit` per device. */
function groupIntervals(rows: SummaryRow[], limit: number): ReadingInterval[] {
  const intervals: ReadingInterval[] = [];
  const byKey = new Map<string, ReadingInterval>();
  const perDevice = new Map<string, number>();
  for (const row of rows) {
    const key = `${row.start}\u0000${row.device}`;
    let interval = byKey.get(key);
    if (!interval) {
      const seen = perDevice.get(row.device) ?? 0;
      if (seen >= limit) continue;
      perDevice.set(row.device, seen + 1);
      interval = { device: row.device, start: row.start, fields: {} };
      byKey.set(key, interval);
      intervals.push(interval);
    }
    interval.fields[row.field] = { min: row.min, max: row.max, avg: row.avg, count: row.count };
  }
  return intervals;
}
