import { ARCHIVE_MAX_BATCH_MESSAGES, type ArchiveAppender } from '../actions/index.js';
import type { Logger } from '../core/index.js';
import { ArchiveWriter, workerEncoder, type ArchiveObjectSink } from '../storage/index.js';

/**
 * The `archive` action's writer, on the object store (whichever driver the
 * bucket uses). Its batches hold at most as many messages as the executor
 * leases for one archive, so a full batch closes by count instead of waiting
 * out its delay. A failed write fails its messages' jobs, which the executor
 * retries and logs like any action's. Batches are encoded on a worker thread.
 */
export function createArchive(objects: ArchiveObjectSink, logger: Logger): { port: ArchiveAppender; close: () => Promise<void> } {
  const writer = new ArchiveWriter({
    sink: objects,
    maxBatchRecords: ARCHIVE_MAX_BATCH_MESSAGES,
    // Parsing and Parquet encoding off the thread that runs the broker.
    encoder: workerEncoder(),
    onObject: ({ bucket, key, records, bytes }) => logger.debug({ bucket, key, records, bytes }, 'archive object written'),
  });
  return {
    port: {
      append: (target, input, jobId) =>
        writer.append(target, { id: jobId, topic: input.topic, clientId: input.clientId, timestamp: input.timestamp, payload: input.payload, value: input.value }),
    },
    close: () => writer.close(),
  };
}
