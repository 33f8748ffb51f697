/**
 * Idle connections: what N connected, silent MQTT clients cost a broker in
 * memory (RSS) and CPU, for Sluice (`sluice up` with the reference stack, as a
 * user runs it) and Mosquitto side by side.
 *
 * The clients are raw TCP sockets that send one CONNECT (clean session,
 * keep-alive 0 so they never ping) and wait for the CONNACK: a full MQTT
 * client object per connection would make the load generator, not the
 * broker, the thing measured. Sockets are spread over several loopback
 * source addresses (127.0.1.2, 127.0.1.3, ...) so the ephemeral port range
 * (about 28,000 ports per address) never runs out.
 *
 * A process can hold at most RLIMIT_NOFILE descriptors. The broker needs one
 * per connection, so a count above the limit (less a margin for the broker's
 * own files) is reported as skipped, with the limit, rather than measured
 * wrongly.
 */
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds } from './proc.js';

export interface IdleConnectionsResult {
  broker: string;
  connections: number;
  /** RSS before any client connected, bytes. */
  baselineRssBytes: number;
  /** RSS with every client connected and idle, bytes. */
  rssBytes: number;
  /** CPU time the broker used while the clients sat idle, as a share of one core. */
  idleCpuShare: number;
  /** Seconds it took to connect them all (at most 500 connecting at once). */
  connectSeconds: number;
}

/** A broker process to measure: its pid (for /proc) and its MQTT port on 127.0.0.1. */
export interface MeasuredBroker {
  name: string;
  pid: number;
  port: number;
  stop(): Promise<void>;
}

/** Descriptors a broker keeps besides its connections (listeners, database, logs, workers): the margin under the limit. */
const OWN_DESCRIPTORS = 1_000;
const CONNECTING_AT_ONCE = 500;
const SOCKETS_PER_SOURCE_ADDRESS = 10_000;
/**
 * Each measurement takes fresh source addresses: the sockets an earlier one
 * closed sit in TIME_WAIT on their ports for a minute, and reusing their
 * addresses ran out of ephemeral ports (EADDRINUSE).
 */
let nextSourceAddress = 0;
const sourceAddress = (n: number): string => `127.0.${1 + Math.floor(n / 250)}.${2 + (n % 250)}`;

/** The soft and hard RLIMIT_NOFILE of this process (children inherit it). */
export async function openFileLimit(): Promise<{ soft: number; hard: number }> {
  const limits = await readFile('/proc/self/limits', 'utf8');
  const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
  const [soft, hard] = (line?.match(/\d+|unlimited/g) ?? []).map((v) => (v === 'unlimited' ? Number.POSITIVE_INFINITY : Number(v)));
  return { soft: soft ?? 1024, hard: hard ?? 1024 };
}

/** Whether `connections` fit under the limit; the reason when they do not. */
export async function connectionsFit(connections: number): Promise<{ ok: true } | { ok: false; reason: string }> {
  const { soft } = await openFileLimit();
  if (connections + OWN_DESCRIPTORS <= soft) return { ok: true };
  return {
    ok: false,
    reason:
      `${connections.toLocaleString('en-US')} connections need more file descriptors than this process may open ` +
      `(RLIMIT_NOFILE ${soft.toLocaleString('en-US')}); raise it (ulimit -n ${connections + 2 * OWN_DESCRIPTORS}) where that is permitted`,
  };
}

/** MQTT 3.1.1 CONNECT: clean session, keep-alive 0, the given client id. */
function connectPacket(clientId: string): Buffer {
  const id = Buffer.from(clientId);
  const variable = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x00]);
  const payload = Buffer.concat([Buffer.from([id.length >> 8, id.length & 0xff]), id]);
  const remaining = variable.length + payload.length;
  // Client ids here are short: the remaining length fits in one or two bytes.
  const length = remaining < 128 ? [remaining] : [(remaining & 0x7f) | 0x80, remaining >> 7];
  return Buffer.concat([Buffer.from([0x10, ...length]), variable, payload]);
}

function openIdleConnection(port: number, clientId: string, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.once('error', fail);
    socket.once('connect', () => socket.write(connectPacket(clientId)));
    socket.once('data', (data: Buffer) => {
      // CONNACK: 0x20 0x02 <flags> <return code>
      if (data[0] !== 0x20 || data[3] !== 0) return fail(new Error(`${clientId}: no CONNACK accepting the connection (got ${data.subarray(0, 4).toString('hex')})`));
      socket.off('error', fail);
      socket.on('error', () => undefined);
      socket.pause();
      resolve(socket);
    });
  });
}

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  return kb * 1024;
}


/**
 * Connects `connections` idle clients to the broker, lets them settle, and
 * measures its RSS and its CPU use over `idleMs`. Closes them all before it returns.
 */
export async function measureIdleConnections(broker: MeasuredBroker, connections: number, idleMs = 5_000): Promise<IdleConnectionsResult> {
  await sleep(1_000);
  const baselineRssBytes = await rssBytes(broker.pid);
  const sockets: Socket[] = [];
  const started = performance.now();
  try {
    const firstAddress = nextSourceAddress;
    nextSourceAddress += Math.ceil(connections / SOCKETS_PER_SOURCE_ADDRESS);
    for (let next = 0; next < connections; ) {
      const batch: Array<Promise<Socket>> = [];
      for (; batch.length < CONNECTING_AT_ONCE && next < connections; next++) {
        const source = sourceAddress(firstAddress + Math.floor(next / SOCKETS_PER_SOURCE_ADDRESS));
        batch.push(openIdleConnection(broker.port, `idle-${next}`, source));
      }
      sockets.push(...(await Promise.all(batch)));
    }
    const connectSeconds = (performance.now() - started) / 1000;
    await sleep(2_000);
    const cpuBefore = await cpuSeconds(broker.pid);
    const idleStart = performance.now();
    await sleep(idleMs);
    const cpu = (await cpuSeconds(broker.pid)) - cpuBefore;
    const idleSeconds = (performance.now() - idleStart) / 1000;
    return {
      broker: broker.name,
      connections,
      baselineRssBytes,
      rssBytes: await rssBytes(broker.pid),
      idleCpuShare: cpu / idleSeconds,
      connectSeconds,
    };
  } finally {
    for (const socket of sockets) socket.destroy();
    await sleep(500);
  }
}
