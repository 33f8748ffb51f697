import { inProcessEncoder, rawBatchOf, type BatchEncoder } from './batch-encoder.js';
import type { ArchiveFormat } from './partition.js';
import { recordSize, type ArchiveMessage } from './records.js';

/** Where and how one archive action writes; the same settings make one stream of batches. */
export interface ArchiveSettings {
  bucket: string;
  /** Key prefix without leading or trailing `/`; '' for none. */
  prefix: string;
  format: ArchiveFormat;
  /** ms: a batch is written at the latest this long after its first message arrived. */
  maxBatchDelayMs: number;
  /** bytes (payload and origin, before encoding): a batch this large is written at once. */
  maxBatchBytes: number;
}

/** The one thing the writer needs of an object store (the port's `putObject`), so it works on every driver. */
export interface ArchiveObjectSink {
  putObject(bucket: string, key: string, body: Buffer, options?: { contentType?: string; metadata?: Record<string, string> }): Promise<void>;
}

export interface ArchiveWriterOptions {
  sink: ArchiveObjectSink;
  /**
   * Messages a batch holds at most, whatever their size. The executor keeps
   * one leased job per buffered message, so this must not exceed what it
   * leases at once for one archive, or a batch could only ever close by time.
   */
  maxBatchRecords: number;
  /** Parses and encodes each flush; default: on the calling thread. The server passes `workerEncoder()`. */
  encoder?: BatchEncoder;
  /** Told about every object written (tests, logs). */
  onObject?: (info: { bucket: string; key: string; records: number; bytes: number }) => void;
}

/** The object a message was written in. */
export interface ArchivedObject {
  bucket: string;
  key: string;
}

interface Pending {
  message: ArchiveMessage;
  resolve: (written: ArchivedObject) => void;
  reject: (error: unknown) => void;
}

interface Stream {
  /** Names the stream to the encoder, which keeps its schema. */
  id: string;
  settings: ArchiveSettings;
  pending: Pending[];
  bytes: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Buffers archive messages per (bucket, prefix, format) and writes them as
 * one object per Hive partition when the batch is old enough, large enough
 * or long enough. `append` resolves only once the object holding the message
 * is written, so the caller (the action executor) keeps the message's job
 * in the durable queue until then: a crash while buffering loses nothing,
 * the jobs simply run again after the restart.
 */
export class ArchiveWriter {
  readonly #o: ArchiveWriterOptions;
  readonly #encoder: BatchEncoder;
  readonly #streams = new Map<string, Stream>();
  readonly #flushing = new Set<Promise<void>>();
  #closed = false;

  constructor(options: ArchiveWriterOptions) {
    this.#o = options;
    this.#encoder = options.encoder ?? inProcessEncoder();
  }

  /** Resolves with the written object holding the message; rejects with the store's error if that write failed. */
  append(settings: ArchiveSettings, message: ArchiveMessage): Promise<ArchivedObject> {
    const stream = this.#stream(settings);
    return new Promise<ArchivedObject>((resolve, reject) => {
      stream.pending.push({ message, resolve, reject });
      stream.bytes += recordSize(message);
      const full = stream.bytes >= stream.settings.maxBatchBytes || stream.pending.length >= this.#o.maxBatchRecords;
      if (full || this.#closed) this.#flush(stream);
      else stream.timer ??= setTimeout(() => this.#flush(stream), stream.settings.maxBatchDelayMs);
    });
  }

  /** Writes every buffered batch now, and waits for writes under way. */
  async flush(): Promise<void> {
    for (const stream of this.#streams.values()) this.#flush(stream);
    while (this.#flushing.size > 0) await Promise.all([...this.#flushing]);
  }

  /** Shutdown: flushes what is buffered, then stops the encoder; messages that still arrive are written at once, one batch each. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    await this.#encoder.close();
  }

  #stream(settings: ArchiveSettings): Stream {
    const id = `${settings.bucket}\0${settings.prefix}\0${settings.format}`;
    let stream = this.#streams.get(id);
    if (!stream) {
      stream = { id, settings, pending: [], bytes: 0, timer: undefined };
      this.#streams.set(id, stream);
    }
    // A redeployed rule may change the bounds; the latest job's settings apply from now on.
    stream.settings = settings;
    return stream;
  }

  #flush(stream: Stream): void {
    clearTimeout(stream.timer);
    stream.timer = undefined;
    if (stream.pending.length === 0) return;
    const batch = stream.pending;
    stream.pending = [];
    stream.bytes = 0;
    const writing: Promise<void> = this.#write(stream, batch).finally(() => this.#flushing.delete(writing));
    this.#flushing.add(writing);
  }

  /**
   * One object per partition; each partition's messages settle with its own
   * write, so one failed write fails only its messages (and a failed encoding
   * all of the batch's).
   */
  async #write(stream: Stream, batch: Pending[]): Promise<void> {
    const { bucket, prefix, format } = stream.settings;
    let objects;
    try {
      objects = await this.#encoder.encode({ id: stream.id, prefix, format }, rawBatchOf(batch.map((item) => item.message)));
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    await Promise.all(
      objects.map(async ({ key, body, contentType, indexes }) => {
        const items = Array.from(indexes, (i) => batch[i] as Pending);
        try {
          const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
          await this.#o.sink.putObject(bucket, key, bytes, { contentType, metadata: { records: String(items.length) } });
          this.#o.onObject?.({ bucket, key, records: items.length, bytes: bytes.length });
          const written = { bucket, key };
          for (const item of items) item.resolve(written);
        } catch (error) {
          for (const item of items) item.reject(error);
        }
      }),
    );
  }
}
