/**
 * (c) The broker end to end: one real MQTT client publishing QoS 1 messages
 * with a window of PUBACKs outstanding, against Sluice and, when installed,
 * Mosquitto as the reference. Both brokers run in their own process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { result, type Measurement } from './report.js';

export interface LoadOptions {
  messages: number;
  /** PUBACKs outstanding at once */
  window: number;
  /** Upper bound on the measurement, ms. */
  budgetMs: number;
}

/** A broker process the benchmark started; `stop` waits for it to exit. */
export interface RunningBroker {
  url: string;
  /** The broker's process id, for /proc measurements. */
  pid?: number;
  stop(): Promise<void>;
}

const PAYLOAD = Buffer.from('{"name":"soilSensor3","humidity":29,"timeStampEpoch":1598536072677,"timeStampIso":"2020-08-27T13:47:52.677721"}');

/** Publishes QoS 1 messages from one client, `window` at a time, and reports PUBACKed messages per second. */
export async function publishLoad(name: string, url: string, options: LoadOptions): Promise<Measurement> {
  const client = await mqtt.connectAsync(url, { clientId: `bench-${process.pid}`, reconnectPeriod: 0, clean: true });
  try {
    const run = async (messages: number, budgetMs: number): Promise<{ acked: number; seconds: number }> => {
      let sent = 0;
      let acked = 0;
      const start = performance.now();
      const deadline = start + budgetMs;
      const lane = async (): Promise<void> => {
        while (sent < messages && performance.now() < deadline) {
          sent++;
          await client.publishAsync(`device/soilSensor${sent % 3}/devicePayload`, PAYLOAD, { qos: 1 });
          acked++;
        }
      };
      await Promise.all(Array.from({ length: options.window }, lane));
      return { acked, seconds: (performance.now() - start) / 1000 };
    };
    const warmup = await run(Math.min(2_000, options.messages), options.budgetMs); // warm-up: JIT, socket buffers
    const { acked, seconds } = await run(options.messages, options.budgetMs);
    return { ...result(name, 'msg/s', acked, seconds), warmupOperations: warmup.acked };
  } finally {
    await client.endAsync();
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** Starts bench/sluice-broker.ts in a child Node process and waits for its port. */
export async function startSluice(): Promise<RunningBroker> {
  const entry = fileURLToPath(new URL('./sluice-broker.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const lines = createInterface({ input: child.stdout! });
    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(`sluice broker process exited (code ${String(code)}) before listening`);
    });
    const listening = (async () => {
      for await (const line of lines) return (JSON.parse(line) as { port: number }).port;
      throw new Error('sluice broker process closed stdout before listening');
    })();
    const port = await Promise.race([listening, exited]);
    exited.catch(() => undefined);
    lines.close();
    child.stdout?.resume();
    return { url: `mqtt://127.0.0.1:${port}`, ...(child.pid !== undefined ? { pid: child.pid } : {}), stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

/** The directories `which` would search, plus the sbin ones Debian installs daemons in. */
export async function findExecutable(name: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'].filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts Mosquitto on a free loopback port with a temporary config, and waits
 * for its "running" log line (it logs to stderr by default).
 */
export async function startMosquitto(binary: string): Promise<RunningBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-mosquitto-'));
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  // max_queued_messages 0: no cap on a slow subscriber's queue (the default, 1,000, drops QoS 1 messages past it; Sluice drops none).
  await writeFile(config, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_queued_messages 0', 'log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice', 'log_type information', ''].join('\n'));
  const child = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stop = async (): Promise<void> => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const lines = createInterface({ input: child.stderr! });
    const log: string[] = [];
    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(`mosquitto exited (code ${String(code)}) before listening: ${log.join(' | ')}`);
    });
    const running = (async () => {
      for await (const line of lines) {
        log.push(line);
        if (/running/i.test(line)) return;
      }
      throw new Error(`mosquitto closed stderr before listening: ${log.join(' | ')}`);
    })();
    await Promise.race([running, exited]);
    exited.catch(() => undefined);
    lines.close();
    child.stderr?.resume();
    return { url: `mqtt://127.0.0.1:${port}`, ...(child.pid !== undefined ? { pid: child.pid } : {}), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
