/**
 * (d) The whole reference scenario, not just the broker: `sluice up` with
 * stacks/soil-moisture.yaml as a child process, one client publishing QoS 1
 * readings below the threshold, so every message is matched by both rules,
 * stored as an object (temp file, fsync, rename) and sent to the function.
 * Reports the PUBACK rate (rules evaluated and actions enqueued before each
 * ack) and the rate at which messages were fully processed (every action done).
 */
import { performance } from 'node:perf_hooks';
import { publishLoad, type LoadOptions } from './broker.js';
import { result, type Measurement } from './report.js';
import { drained, startSluiceUp } from './sluice-up.js';

export async function benchReferencePipeline(load: LoadOptions, actionQueue: 'sqlite' | 'memory' = 'sqlite'): Promise<Measurement[]> {
  const sluice = await startSluiceUp({ actionQueue });
  try {
    const start = performance.now();
    const label = actionQueue === 'sqlite' ? 'durable queue' : 'memory queue, not durable';
    const acks = await publishLoad(`pipeline (${label}): QoS 1 PUBACKs`, sluice.endpoints.mqtt, load);
    await drained(sluice.endpoints.http);
    const seconds = (performance.now() - start) / 1000;
    // publishLoad warms up with up to 2,000 messages first; they are processed in this window too.
    const processed = acks.operations + Math.min(2_000, load.messages);
    return [acks, result(`pipeline (${label}): messages fully processed`, 'msg/s', processed, seconds)];
  } finally {
    await sluice.stop();
  }
}
