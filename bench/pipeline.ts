/**
 * (d) The whole reference scenario, not just the broker: `sluice up` with
 * stacks/soil-moisture.yaml as a child process, one client publishing QoS 1
 * readings below the threshold, so every message is matched by both rules,
 * stored as an object (temp file, fsync, rename) and sent to the function.
 * Reports the PUBACK rate (rules evaluated and actions enqueued before each
 * ack) and the rate at which messages were fully processed (every action done).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { publishLoad, type LoadOptions } from './broker.js';
import { result, type Measurement } from './report.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function benchReferencePipeline(load: LoadOptions, actionQueue: 'sqlite' | 'memory' = 'sqlite'): Promise<Measurement[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bench-pipeline-'));
  const child = spawn(
    process.execPath,
    ['bin/sluice.js', 'up', '--data', dataDir, '--stack', 'stacks/soil-moisture.yaml', '--insecure', '--http-port', '0', '--mqtt-port', '0', '--mqtts-port', '0', '--wss-port', '0', '--log-level', 'error', '--action-queue', actionQueue, '--param', `simulatorCertDir=${join(dataDir, 'certs')}`],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    while (!stdout.includes('Sluice is up.')) {
      if (child.exitCode !== null) throw new Error(`sluice up exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const endpoints = JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8')) as { mqtt: string; http: string };
    const start = performance.now();
    const label = actionQueue === 'sqlite' ? 'durable queue' : 'memory queue, not durable';
    const acks = await publishLoad(`pipeline (${label}): QoS 1 PUBACKs`, endpoints.mqtt, load);
    await drained(endpoints.http);
    const seconds = (performance.now() - start) / 1000;
    // publishLoad warms up with up to 2,000 messages first; they are processed in this window too.
    const processed = acks.operations + Math.min(2_000, load.messages);
    return [acks, result(`pipeline (${label}): messages fully processed`, 'msg/s', processed, seconds)];
  } finally {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function drained(http: string): Promise<void> {
  for (;;) {
    const health = (await (await fetch(`${http}/healthz`)).json()) as { actionsPending: number };
    if (health.actionsPending === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
