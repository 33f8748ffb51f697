/**
 * `sluice up` as a user runs it (the reference stack, --insecure), in a child
 * process on free ports with a temporary data dir: what the pipeline,
 * connection and alert benchmarks measure.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface SluiceUp {
  pid: number;
  dataDir: string;
  endpoints: { mqtt: string; http: string };
  /** The MQTT port on 127.0.0.1. */
  mqttPort: number;
  stop(): Promise<void>;
}

export interface SluiceUpOptions {
  stack?: string;
  actionQueue?: 'sqlite' | 'memory';
  /** More `sluice up` arguments, e.g. `['--param', 'alertEmail=a@b.c']`. */
  args?: string[];
  /** Node options before the script, e.g. `['--cpu-prof']`. */
  nodeArgs?: string[];
}

export async function startSluiceUp(options: SluiceUpOptions = {}): Promise<SluiceUp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      'bin/sluice.js', 'up', '--data', dataDir, '--stack', options.stack ?? 'stacks/soil-moisture.yaml', '--insecure',
      '--http-port', '0', '--mqtt-port', '0', '--mqtts-port', '0', '--wss-port', '0', '--log-level', 'error',
      '--action-queue', options.actionQueue ?? 'sqlite', '--param', `simulatorCertDir=${join(dataDir, 'certs')}`, ...(options.args ?? []),
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const deadline = Date.now() + 120_000;
    while (!stdout.includes('Sluice is up.')) {
      if (child.exitCode !== null) throw new Error(`sluice up exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('sluice up did not start within 120 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    const endpoints = JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8')) as { mqtt: string; http: string };
    if (child.pid === undefined) throw new Error('sluice up has no pid');
    return { pid: child.pid, dataDir, endpoints, mqttPort: Number(new URL(endpoints.mqtt).port), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Waits until no action is queued or running. */
export async function drained(http: string): Promise<void> {
  for (;;) {
    const health = (await (await fetch(`${http}/healthz`)).json()) as { actionsPending: number };
    if (health.actionsPending === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
