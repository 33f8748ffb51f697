import { Worker } from 'node:worker_threads';
import type { BatchEncoder, EncodedBatchObject, RawBatch, StreamSpec } from './batch-encoder.js';
import type { EncodeReply, EncodeRequest } from './encode-worker.js';

interface Waiting {
  resolve: (objects: EncodedBatchObject[]) => void;
  reject: (error: Error) => void;
}

/**
 * The archive encoder on a worker thread of its own, started with the first
 * batch: the main thread, which also runs the broker and acknowledges
 * messages, only copies the batch's strings across.
 *
 * The worker is TypeScript like the rest of Sluice, so it starts with tsx's
 * loader (`BOOTSTRAP`). If it dies, the
 * batches it held fail (their jobs are retried, as for a failed write) and
 * the next batch starts a new one. A new worker starts with empty schemas:
 * later objects then carry the columns seen since, which readers that merge
 * schemas by name (DuckDB's `union_by_name`, Spark's `mergeSchema`) take.
 */
/**
 * The worker's first code: tsx's loader, then the encoder module, as
 * `bin/sluice.js` does for the server (a worker does not take `--import`).
 * Both by absolute URL, so the working directory does not matter.
 */
const BOOTSTRAP = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then(({ register }) => { register(); return import(${JSON.stringify(new URL('./encode-worker.ts', import.meta.url).href)}); });`;

export function workerEncoder(): BatchEncoder {
  let worker: Worker | undefined;
  let nextSeq = 0;
  const waiting = new Map<number, Waiting>();

  const failAll = (error: Error): void => {
    for (const pending of waiting.values()) pending.reject(error);
    waiting.clear();
  };
  const start = (): Worker => {
    const started = new Worker(BOOTSTRAP, { eval: true, name: 'sluice-archive-encoder' });
    started.on('message', (reply: EncodeReply) => {
      const pending = waiting.get(reply.seq);
      if (!pending) return;
      waiting.delete(reply.seq);
      if (waiting.size === 0) started.unref();
      if ('error' in reply) pending.reject(new Error(`archive encoding failed: ${reply.error}`));
      else pending.resolve(reply.objects);
    });
    started.on('error', (error) => {
      if (worker === started) worker = undefined;
      failAll(new Error(`archive encoder thread failed: ${error.message}`));
    });
    started.on('exit', (code) => {
      if (worker === started) worker = undefined;
      failAll(new Error(`archive encoder thread exited with code ${code}`));
    });
    return started;
  };

  return {
    encode(stream: StreamSpec, batch: RawBatch) {
      worker ??= start();
      const current = worker;
      const seq = nextSeq++;
      return new Promise<EncodedBatchObject[]>((resolve, reject) => {
        waiting.set(seq, { resolve, reject });
        // Only while it holds batches: an idle encoder must not keep the process alive.
        current.ref();
        const request: EncodeRequest = { seq, stream, batch };
        current.postMessage(request, [batch.timestamps.buffer as ArrayBuffer, batch.json.buffer as ArrayBuffer]);
      });
    },
    async close() {
      const current = worker;
      worker = undefined;
      if (current) await current.terminate();
      failAll(new Error('archive encoder closed'));
    },
  };
}
