/**
 * The readings store port: series declared by stacks, and per (series, device,
 * time) a map of numeric fields. The embedded driver is SQLite (`sqlite.ts`);
 * a PostgreSQL driver for cluster mode implements the same port later, which
 * is why it is asynchronous.
 */

export interface SeriesSpec {
  /** ms; readings older than this are deleted by the retention sweeper. Unset: kept forever. */
  retentionMs?: number;
}

export interface SeriesInfo extends SeriesSpec {
  name: string;
  /** ms since the epoch; unset while the series holds no reading. */
  oldest?: number;
  newest?: number;
}

export interface Reading {
  device: string;
  /** ms since the epoch */
  time: number;
  /** Field name → value; only the fields this reading has. */
  values: Record<string, number>;
}

export interface ReadingsQuery {
  /** Unset: every device of the series. */
  device?: string;
  /** ms since the epoch, inclusive. */
  from?: number;
  /** ms since the epoch, inclusive. */
  to?: number;
  /** At most this many readings. */
  limit: number;
  /** `desc` (default): newest first. */
  order?: 'asc' | 'desc';
}

export interface FieldSummary {
  min: number;
  max: number;
  avg: number;
  count: number;
}

/** One interval of one device: [start, start + intervalMs), start aligned to the epoch (UTC). */
export interface ReadingInterval {
  device: string;
  /** ms since the epoch */
  start: number;
  fields: Record<string, FieldSummary>;
}

export interface DownsampleQuery extends Omit<ReadingsQuery, 'limit'> {
  /** ms; the width of an interval. */
  intervalMs: number;
  /**
   * At most this many intervals per device. Without `from`, the window is the
   * last `limit` intervals up to the newest reading (at or before `to`).
   */
  limit: number;
}

export interface ReadingsStore {
  /** Creates the series or replaces its settings; its readings stay. */
  putSeries(name: string, spec: SeriesSpec): Promise<void>;
  /** Deletes the series and all its readings; false when it did not exist. */
  deleteSeries(name: string): Promise<boolean>;
  getSeries(name: string): Promise<SeriesInfo | undefined>;
  /** Ordered by name. */
  listSeries(): Promise<SeriesInfo[]>;
  /**
   * Stores one reading. The same (series, device, time) again merges its
   * fields (a retry writes the same values: nothing counts twice). Throws
   * SLUICE_ERR_NOT_FOUND when the series is not declared.
   */
  write(series: string, reading: Reading): Promise<void>;
  query(series: string, query: ReadingsQuery): Promise<Reading[]>;
  /** min, max, avg and count per interval, device and field; newest interval first unless `order: 'asc'`. */
  downsample(series: string, query: DownsampleQuery): Promise<ReadingInterval[]>;
  /** Deletes, in every series with a retention, the readings older than `now - retention`; returns how many per series. */
  expire(now: number): Promise<Record<string, number>>;
  close(): Promise<void>;
}
