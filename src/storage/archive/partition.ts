import { createHash } from 'node:crypto';

export type ArchiveFormat = 'ndjson' | 'parquet';

const EXTENSIONS: Record<ArchiveFormat, string> = { ndjson: 'ndjson.gz', parquet: 'parquet' };

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * The Hive-style partition of a message, from its `timestamp()` in UTC:
 * `year=YYYY/month=MM/day=DD/hour=HH`, the layout Athena, Spark and DuckDB
 * (`hive_partitioning`) turn into columns and prune on. UTC, so a partition
 * means the same hour wherever the data is read.
 */
export function partitionOf(timestampMs: number): string {
  const at = new Date(timestampMs);
  return `year=${pad(at.getUTCFullYear(), 4)}/month=${pad(at.getUTCMonth() + 1)}/day=${pad(at.getUTCDate())}/hour=${pad(at.getUTCHours())}`;
}

/**
 * The name of the object holding these messages: the earliest timestamp (so
 * names sort roughly by time) and a hash of the messages' job ids. The ids are
 * stable per message, rule and action, so writing the same set of messages
 * again (a retried flush, or a batch that re-forms the same way after a
 * crash) lands on the same key and replaces the object instead of adding a
 * second copy.
 */
export function objectName(ids: readonly string[], earliestMs: number, format: ArchiveFormat): string {
  const hash = createHash('sha256');
  for (const id of [...ids].sort()) hash.update(id).update('\n');
  return `${earliestMs}-${hash.digest('hex').slice(0, 20)}.${EXTENSIONS[format]}`;
}

/** `prefix/year=.../hour=HH/name`; an empty prefix puts the partitions at the bucket's top. */
export function objectKey(prefix: string, partition: string, name: string): string {
  return prefix === '' ? `${partition}/${name}` : `${prefix}/${partition}/${name}`;
}
