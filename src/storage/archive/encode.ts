import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer';
import type { ArchiveFormat } from './partition.js';
import type { ArchiveRecord } from './records.js';
import type { ArchiveSchema, ColumnType } from './schema.js';

/** One object's bytes and how readers should take them. */
export interface EncodedObject {
  body: Buffer;
  contentType: string;
}

export function encodeRecords(format: ArchiveFormat, records: readonly ArchiveRecord[], schema: ArchiveSchema): EncodedObject {
  switch (format) {
    case 'ndjson':
      return { body: encodeNdjson(records), contentType: 'application/x-ndjson' };
    case 'parquet':
      return { body: encodeParquet(records, schema), contentType: 'application/vnd.apache.parquet' };
  }
}

/**
 * One JSON object per line, gzip-compressed. JSON describes itself, so the
 * payload's fields are kept as they came (nested objects stay nested); the
 * timestamp is ISO 8601 in UTC, which DuckDB's `read_json` reads as a TIMESTAMP.
 */
export function encodeNdjson(records: readonly ArchiveRecord[]): Buffer {
  const lines = records.map((record) => {
    // A null-prototype object: a payload field named `__proto__` stays a field.
    const line = Object.create(null) as Record<string, unknown>;
    line._id = record.id;
    line._topic = record.topic;
    line._client_id = record.clientId;
    line._timestamp = new Date(record.timestamp).toISOString();
    for (const [name, value] of record.fields) line[name] = value;
    return JSON.stringify(line);
  });
  return gzipSync(`${lines.join('\n')}\n`);
}

/** Parquet's basic types as hyparquet-writer names them; an all-null column is written as nullable STRING. */
const PARQUET_TYPES = {
  null: 'STRING',
  boolean: 'BOOLEAN',
  int64: 'INT64',
  double: 'DOUBLE',
  string: 'STRING',
  json: 'JSON',
  timestamp: 'TIMESTAMP',
} as const satisfies Record<ColumnType, ColumnSource['type']>;

/** Every column of the schema, nullable, in one row group per object (objects are at most a batch). */
export function encodeParquet(records: readonly ArchiveRecord[], schema: ArchiveSchema): Buffer {
  const columnData: ColumnSource[] = schema.columns().map(({ name, type }) => ({
    name,
    type: PARQUET_TYPES[type],
    nullable: true,
    data: records.map((record) => cell(record, name, type)),
  }));
  return Buffer.from(parquetWriteBuffer({ columnData, rowGroupSize: Math.max(records.length, 1) }));
}

function cell(record: ArchiveRecord, name: string, type: ColumnType): unknown {
  switch (name) {
    case '_id':
      return record.id;
    case '_topic':
      return record.topic;
    case '_client_id':
      return record.clientId;
    case '_timestamp':
      return new Date(record.timestamp);
  }
  const value = record.fields.get(name);
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'null':
      return null;
    case 'boolean':
      return value;
    case 'int64':
      return BigInt(value as number);
    case 'double':
      return value;
    case 'string':
      // A column widened to string keeps every value readable: text as is, anything else as its JSON.
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'json':
      return JSON.stringify(value);
    case 'timestamp':
      return new Date(value as number);
  }
}
