import { encodeRecords } from './encode.js';
import { objectKey, objectName, partitionOf, type ArchiveFormat } from './partition.js';
import { toRecord, type ArchiveMessage, type ArchiveRecord } from './records.js';
import { ArchiveSchema } from './schema.js';

/**
 * One flush's messages, column by column: plain strings and typed arrays,
 * which cost little to post to a worker thread (no object per message).
 */
export interface RawBatch {
  ids: string[];
  topics: string[];
  clientIds: string[];
  timestamps: Float64Array;
  /** The SELECT output: its UTF-8 text where `json[i]` is 1 (parsed by the encoder), else its bytes as base64. */
  payloads: string[];
  json: Uint8Array;
}

/** Where a stream's objects go and in which format; `id` names the stream whose schema they share. */
export interface StreamSpec {
  id: string;
  prefix: string;
  format: ArchiveFormat;
}

/** One object of a flush: a partition's messages (`indexes` into the batch), encoded. */
export interface EncodedBatchObject {
  key: string;
  body: Uint8Array;
  contentType: string;
  indexes: Uint32Array;
}

/**
 * Turns a flush's messages into objects, one per Hive partition. Parsing,
 * schema inference and Parquet encoding cost more than everything else on
 * the archive's path, so the server runs them on a worker thread
 * (`worker-encoder.ts`); `inProcessEncoder` does the same work in place.
 */
export interface BatchEncoder {
  encode(stream: StreamSpec, batch: RawBatch): Promise<EncodedBatchObject[]>;
  close(): Promise<void>;
}

/** A message as the writer holds it, turned into one column of a RawBatch. */
export function rawBatchOf(messages: ReadonlyArray<ArchiveMessage>): RawBatch {
  const n = messages.length;
  const batch: RawBatch = { ids: new Array<string>(n), topics: new Array<string>(n), clientIds: new Array<string>(n), timestamps: new Float64Array(n), payloads: new Array<string>(n), json: new Uint8Array(n) };
  messages.forEach((message, i) => {
    batch.ids[i] = message.id;
    batch.topics[i] = message.topic;
    batch.clientIds[i] = message.clientId;
    batch.timestamps[i] = message.timestamp;
    // The rules' output bytes are the JSON of the value whenever there is a value (rules/rule.ts), so the text is enough.
    const json = message.value !== undefined;
    batch.json[i] = json ? 1 : 0;
    batch.payloads[i] = message.payload.toString(json ? 'utf8' : 'base64');
  });
  return batch;
}

/**
 * Encodes a batch against its stream's schema, which it widens first with
 * every record of the batch: an object carries every column its stream has
 * seen so far, whatever the partition. Pure but for `schemas`.
 */
export function encodeBatch(schemas: Map<string, ArchiveSchema>, stream: StreamSpec, batch: RawBatch): EncodedBatchObject[] {
  let schema = schemas.get(stream.id);
  if (!schema) schemas.set(stream.id, (schema = new ArchiveSchema()));
  const partitions = new Map<string, { records: ArchiveRecord[]; indexes: number[] }>();
  for (let i = 0; i < batch.ids.length; i += 1) {
    const payload = batch.payloads[i] ?? '';
    const json = batch.json[i] === 1;
    const record = toRecord({
      id: batch.ids[i] ?? '',
      topic: batch.topics[i] ?? '',
      clientId: batch.clientIds[i] ?? '',
      timestamp: batch.timestamps[i] ?? 0,
      payload: json ? Buffer.alloc(0) : Buffer.from(payload, 'base64'),
      value: json ? (JSON.parse(payload) as unknown) : undefined,
    });
    schema.observe(record);
    const partition = partitionOf(record.timestamp);
    const part = partitions.get(partition);
    if (part) {
      part.records.push(record);
      part.indexes.push(i);
    } else partitions.set(partition, { records: [record], indexes: [i] });
  }
  return [...partitions].map(([partition, { records, indexes }]) => {
    const earliest = records.reduce((min, r) => Math.min(min, r.timestamp), Number.POSITIVE_INFINITY);
    const key = objectKey(stream.prefix, partition, objectName(records.map((r) => r.id), earliest, stream.format));
    const { body, contentType } = encodeRecords(stream.format, records, schema);
    return { key, body: ownBuffer(body), contentType, indexes: Uint32Array.from(indexes) };
  });
}

/**
 * The bytes in an ArrayBuffer of their own, so the worker can hand it over
 * (transfer) without taking a pooled buffer that other Buffers share.
 */
function ownBuffer(body: Buffer): Uint8Array {
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength) return body;
  return new Uint8Array(body);
}

/** The encoder on the calling thread: for tests, and wherever a worker thread is not wanted. */
export function inProcessEncoder(): BatchEncoder {
  const schemas = new Map<string, ArchiveSchema>();
  return {
    encode: async (stream, batch) => encodeBatch(schemas, stream, batch),
    close: async () => undefined,
  };
}
