/**
 * The archive encoder's worker thread (`worker-encoder.ts` starts it):
 * batches in, objects out, in the order they came. It keeps each stream's
 * schema, so a stream's objects widen together as they would in process.
 */
import { parentPort } from 'node:worker_threads';
import { encodeBatch, type RawBatch, type StreamSpec } from './batch-encoder.js';
import type { ArchiveSchema } from './schema.js';

export interface EncodeRequest {
  seq: number;
  stream: StreamSpec;
  batch: RawBatch;
}

export type EncodeReply = { seq: number; objects: ReturnType<typeof encodeBatch> } | { seq: number; error: string };

const port = parentPort;
if (port) {
  const schemas = new Map<string, ArchiveSchema>();
  port.on('message', ({ seq, stream, batch }: EncodeRequest) => {
    let reply: EncodeReply;
    try {
      reply = { seq, objects: encodeBatch(schemas, stream, batch) };
    } catch (error) {
      reply = { seq, error: error instanceof Error ? error.message : String(error) };
    }
    // The bodies move to the main thread rather than being copied.
    port.postMessage(reply, 'objects' in reply ? reply.objects.flatMap((o) => [o.body.buffer as ArrayBuffer, o.indexes.buffer as ArrayBuffer]) : []);
  });
}
