export { ArchiveWriter, type ArchiveObjectSink, type ArchiveSettings, type ArchiveWriterOptions } from './writer.js';
export { objectKey, objectName, partitionOf, type ArchiveFormat } from './partition.js';
export { columnName, toRecord, ORIGIN_COLUMNS, PAYLOAD_BASE64_COLUMN, VALUE_COLUMN, type ArchiveMessage, type ArchiveRecord } from './records.js';
export { ArchiveSchema, typeOfValue, widen, type ColumnType } from './schema.js';
export { encodeNdjson, encodeParquet, encodeRecords } from './encode.js';
export { inProcessEncoder, type BatchEncoder } from './batch-encoder.js';
export { workerEncoder } from './worker-encoder.js';
