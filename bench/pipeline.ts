/**
 * (d) The whole reference scenario, not just the broker: `sluice up` with
 * stacks/soil-moisture.yaml as a child process, one client publishing QoS 1
 * readings below the threshold, so every message is matched by every rule:
 * stored as an object (temp file, fsync, rename), kept as a reading, and sent
 * to the function, which publishes an alert. With `archive`, the stack also
 * has docs/data.md's archive rule (Parquet, batched), so every message is
 * durably archived too. Reports the PUBACK rate (rules evaluated and actions
 * enqueued before each ack) and the rate at which messages were fully
 * processed (every action done, the archive's batches written).
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseDocument } from 'yaml';
import { publishLoad, type LoadOptions } from './broker.js';
import { result, type Measurement } from './report.js';
import { drained, REPO_ROOT, startSluiceUp } from './sluice-up.js';

const REFERENCE_STACK = 'stacks/soil-moisture.yaml';

/**
 * The reference stack plus an archive rule, written beside it (its function's
 * path is relative to the file) under a name that says it is the benchmark's.
 * A 1 s batch delay bounds the wait for the last, partial batch.
 */
async function referenceStackWithArchive(): Promise<string> {
  const document = parseDocument(await readFile(join(REPO_ROOT, REFERENCE_STACK), 'utf8'));
  document.setIn(['rules', 'ArchiveReadings'], {
    description: 'Every reading, batched for analytics (docs/data.md)',
    sql: "SELECT * FROM 'device/+/devicePayload'",
    actions: [{ archive: { bucket: 'rule-filter-bucket', prefix: 'raw/parquet', format: 'parquet', maxBatchDelay: '1s' } }],
  });
  const file = join(REPO_ROOT, 'stacks', `.bench-archive-${process.pid}.yaml`);
  await writeFile(file, document.toString());
  return file;
}

export async function benchReferencePipeline(load: LoadOptions, options: { actionQueue?: 'sqlite' | 'memory'; archive?: boolean } = {}): Promise<Measurement[]> {
  const actionQueue = options.actionQueue ?? 'sqlite';
  const stack = options.archive ? await referenceStackWithArchive() : REFERENCE_STACK;
  try {
    const sluice = await startSluiceUp({ actionQueue, stack });
    try {
      const start = performance.now();
      const label = `${actionQueue === 'sqlite' ? 'durable queue' : 'memory queue, not durable'}${options.archive ? ', + archive' : ''}`;
      const acks = await publishLoad(`pipeline (${label}): QoS 1 PUBACKs`, sluice.endpoints.mqtt, load);
      await drained(sluice.endpoints.http);
      const seconds = (performance.now() - start) / 1000;
      // publishLoad warms up first; those messages are processed in this window too.
      const processed = acks.operations + (acks.warmupOperations ?? 0);
      return [acks, result(`pipeline (${label}): messages fully processed`, 'msg/s', processed, seconds)];
    } finally {
      await sluice.stop();
    }
  } finally {
    if (stack !== REFERENCE_STACK) await rm(stack, { force: true });
  }
}
