/**
 * Fuzzes the MQTT broker over raw TCP: at least 10,000 malformed or hostile
 * inputs (random bytes, truncated and oversized packets, bad Remaining Length
 * encodings, invalid topics, protocol violations, junk payloads) from up to 20
 * sockets at a time, while an honest client keeps publishing.
 *
 * Reproducible: every session draws from its own mulberry32 stream seeded from
 * the run's seed and the session's index, so the inputs do not depend on how
 * the sessions interleave. The seed is printed; replay one with
 * `SLUICE_FUZZ_SEED=<seed> node --import tsx --test test/fuzz.e2e.test.ts`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as connectTcp, type Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { silentLogger } from '../src/core/index.js';
import { ALLOW_ALL, Broker, type BrokerHooks, type ConnectDecision, type InboundMessage } from '../src/broker/index.js';
import {
  DISCONNECT,
  PINGREQ,
  connectPacket,
  encodeLength,
  frame,
  mqttString,
  publishPacket,
  subscribePacket,
} from '../src/broker/mqtt-wire.test-support.js';
import { prng } from './support/prng.js';

const MIN_INPUTS = 10_000;
const CONCURRENCY = 20;
/** How long a session waits for an answer (CONNACK, PINGRESP, close) before it gives up, in ms. */
const REPLY_TIMEOUT_MS = 150;
/** Coarse leak check without --expose-gc: heapUsed may grow by at most this, in bytes. */
const HEAP_GROWTH_BOUND = 100 * 1024 * 1024;

type Rng = () => number;

const mulberry32 = prng;

const int = (rng: Rng, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));
const pick = <T>(rng: Rng, items: readonly T[]): T => {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
};
const randomBytes = (rng: Rng, length: number): Buffer => Buffer.from(Array.from({ length }, () => int(rng, 0, 255)));

const INVALID_UTF8 = [
  Buffer.from([0xff]),
  Buffer.from([0xc0, 0x80]), // overlong NUL
  Buffer.from([0xed, 0xa0, 0x80]), // lone surrogate U+D800 [MQTT-1.5.3-1]
  Buffer.from([0xe2, 0x82]), // truncated 3-byte sequence
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
];

const BAD_TOPICS: readonly (string | Buffer)[] = [
  '', // [MQTT-4.7.3-1]
  '#',
  'fuzz/+/x',
  'fuzz/#',
  'fuzz/\u0000/nul', // [MQTT-1.5.3-2]
  '$SYS/broker/uptime',
  'l/'.repeat(7) + 'x', // 8 levels
  'l/'.repeat(120) + 'x', // over aedes's own 100
  'x'.repeat(257),
  'x'.repeat(70_000).slice(0, 65_535),
  ...INVALID_UTF8.map((bytes) => Buffer.concat([Buffer.from('fuzz/'), bytes])),
];

const BAD_FILTERS: readonly (string | Buffer)[] = ['', 'a/#/b', 'a+/b', '#/a', 'x'.repeat(300), 'l/'.repeat(9), ...INVALID_UTF8];

function junkPayload(rng: Rng): Buffer {
  const choice = int(rng, 0, 9);
  switch (choice) {
    case 0:
      return Buffer.alloc(0);
    case 1:
      return Buffer.from(JSON.stringify({ humidity: int(rng, -100, 100), name: `soilSensor${int(rng, 0, 9)}` }));
    case 2:
      return Buffer.from('{"humidity": 29,'); // truncated JSON
    case 3:
      return Buffer.from('['.repeat(int(rng, 100, 5_000))); // deep and unterminated
    case 4:
      return Buffer.from(`{"n": ${'9'.repeat(int(rng, 10, 400))}e999}`);
    case 5:
      return Buffer.from("{'single': quotes, trailing: [1,2,],}");
    case 6:
      return Buffer.concat([Buffer.from('{"s":"'), pick(rng, INVALID_UTF8), Buffer.from('"}')]);
    case 7:
      return Buffer.from('\ufeff{"bom": true}');
    default:
      return randomBytes(rng, int(rng, 1, 2_048));
  }
}

/** One input sent after CONNECT: `final` inputs end the session (we half-close after them). */
interface Input {
  kind: string;
  bytes: Buffer;
  final?: boolean;
}

function connectedInput(rng: Rng, session: number, n: number): Input {
  const validTopic = `fuzz/${session}/${n}`;
  const qos = pick(rng, [0, 1, 2] as const);
  const id = int(rng, 1, 65_535);
  switch (int(rng, 0, 19)) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
      return { kind: 'publish junk payload', bytes: publishPacket(validTopic, junkPayload(rng), qos, id) };
    case 6:
      return { kind: 'publish bad topic', bytes: publishPacket(pick(rng, BAD_TOPICS), junkPayload(rng), qos === 2 ? 1 : qos, id) };
    case 7:
      return { kind: 'publish QoS 3', bytes: frame(0x36, Buffer.concat([mqttString(validTopic), Buffer.from([0, 1])])) };
    case 8:
      return { kind: 'subscribe', bytes: subscribePacket([pick(rng, ['fuzz/#', `fuzz/${session}/+`, 'honest/#', '#'])], id) };
    case 9:
      return { kind: 'subscribe bad filter', bytes: subscribePacket([pick(rng, BAD_FILTERS)], id) };
    case 10:
      return { kind: 'subscribe bad flags', bytes: frame(0x80, Buffer.concat([Buffer.from([0, 1]), mqttString('a'), Buffer.from([1])])) };
    case 11:
      return { kind: 'subscribe no filters', bytes: frame(0x82, Buffer.from([0, 1])) };
    case 12:
      return { kind: 'stray ack', bytes: frame(pick(rng, [0x40, 0x50, 0x62, 0x70]), Buffer.from([id >> 8, id & 0xff])) };
    case 13:
      return { kind: 'server-only or reserved packet', bytes: frame(pick(rng, [0x00, 0x20, 0x90, 0xb0, 0xd0, 0xf0]), randomBytes(rng, int(rng, 0, 8))) };
    case 14:
      return { kind: 'second CONNECT', bytes: connectPacket(`again-${session}`) }; // [MQTT-3.1.0-2]
    case 15:
      return { kind: 'oversized declared length', bytes: Buffer.concat([Buffer.from([0x30]), encodeLength(int(rng, 131_333, 268_435_455)), randomBytes(rng, 16)]) };
    case 16:
      return { kind: 'bad remaining length', bytes: Buffer.concat([Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff]), randomBytes(rng, int(rng, 1, 8))]) };
    case 17: {
      const whole = publishPacket(validTopic, junkPayload(rng), qos, id);
      return { kind: 'truncated packet', bytes: whole.subarray(0, int(rng, 1, Math.max(1, whole.length - 1))), final: true };
    }
    case 18:
      return { kind: 'random bytes after CONNECT', bytes: randomBytes(rng, int(rng, 1, 512)), final: true };
    default:
      return { kind: 'pingreq with a body', bytes: frame(0xc0, randomBytes(rng, int(rng, 1, 4))) };
  }
}

/** How a session opens: usually a valid CONNECT, sometimes something else. */
function opening(rng: Rng, session: number): Input & { connects: boolean } {
  const clientId = `fuzz-${session}`;
  switch (int(rng, 0, 9)) {
    case 0:
      return { kind: 'random bytes first', bytes: randomBytes(rng, int(rng, 1, 512)), final: true, connects: false };
    case 1:
      return { kind: 'PUBLISH before CONNECT', bytes: publishPacket('fuzz/early', junkPayload(rng)), connects: false }; // [MQTT-3.1.0-1]
    case 2: {
      const body = connectPacket(clientId).subarray(2);
      const variants = [
        Buffer.concat([mqttString('MQTX'), body.subarray(6)]), // bad protocol name
        Buffer.concat([body.subarray(0, 6), Buffer.from([pick(rng, [0, 2, 5, 255])]), body.subarray(7)]), // bad level
        Buffer.concat([body.subarray(0, 7), Buffer.from([pick(rng, [0x01, 0x04, 0x40, 0xff])]), body.subarray(8)]), // bad flags
        Buffer.concat([body.subarray(0, 10), mqttString(Buffer.concat([Buffer.from('id'), pick(rng, INVALID_UTF8)]))]),
        Buffer.concat([body.subarray(0, 10), mqttString('x'.repeat(129))]), // over the client id limit
      ];
      return { kind: 'malformed CONNECT', bytes: frame(0x10, pick(rng, variants)), connects: false };
    }
    default:
      return { kind: 'CONNECT', bytes: connectPacket(clientId, pick(rng, [0, 5, 60])), connects: true };
  }
}

/** Splits what the broker sends into packet types, to wait for CONNACK and PINGRESP. */
class ReplyReader {
  #pending = Buffer.alloc(0);
  #waiters: Array<{ type: number; wake: (ok: boolean) => void }> = [];

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    socket.once('close', () => this.#wakeAll(false));
  }

  /** True when a packet of `type` arrives, false on close or timeout. */
  next(type: number): Promise<boolean> {
    return new Promise((wake) => {
      const timer = setTimeout(() => done(false), REPLY_TIMEOUT_MS);
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w.wake !== done);
        wake(ok);
      };
      this.#waiters.push({ type, wake: done });
    });
  }

  #read(chunk: Buffer): void {
    this.#pending = Buffer.concat([this.#pending, chunk]);
    for (;;) {
      let length = 0;
      let multiplier = 1;
      let offset = 1;
      let complete = false;
      while (offset < this.#pending.length && offset <= 4) {
        const byte = this.#pending.readUInt8(offset++);
        length += (byte & 0x7f) * multiplier;
        multiplier *= 0x80;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || this.#pending.length < offset + length) return;
      const type = this.#pending.readUInt8(0) >> 4;
      this.#pending = this.#pending.subarray(offset + length);
      for (const waiter of this.#waiters.filter((w) => w.type === type)) waiter.wake(true);
    }
  }

  #wakeAll(ok: boolean): void {
    for (const waiter of [...this.#waiters]) waiter.wake(ok);
  }
}

interface Stats {
  sessions: number;
  inputs: number;
  byKind: Map<string, number>;
  closedByBroker: number;
  gaveUp: number;
}

function count(stats: Stats, kind: string): void {
  stats.inputs++;
  stats.byKind.set(kind, (stats.byKind.get(kind) ?? 0) + 1);
}

async function runSession(port: number, seed: number, session: number, stats: Stats): Promise<void> {
  const rng = mulberry32((seed ^ Math.imul(session + 1, 0x9e3779b1)) >>> 0);
  const socket = connectTcp(port, '127.0.0.1');
  socket.on('error', () => undefined); // EPIPE/ECONNRESET once the broker has hung up are expected
  const reader = new ReplyReader(socket);
  let open = true;
  let brokerClosed = false;
  socket.once('end', () => {
    brokerClosed = true;
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.once('close', () => {
    open = false;
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    stats.sessions++;
    const first = opening(rng, session);
    socket.write(first.bytes);
    count(stats, first.kind);
    if (first.final) {
      socket.end();
    } else if (!first.connects || !(await reader.next(2))) {
      // refused or garbage: give the broker a moment to hang up
      if (open) await Promise.race([closed, reader.next(-1)]);
    } else {
      const budget = int(rng, 1, 120);
      for (let n = 0; n < budget && open; ) {
        // A burst of inputs, then a PINGREQ: its PINGRESP says the burst was read.
        const burst = Math.min(budget - n, int(rng, 1, 12));
        const inputs = Array.from({ length: burst }, (_, i) => connectedInput(rng, session, n + i));
        const finalAt = inputs.findIndex((input) => input.final);
        const sent = finalAt === -1 ? inputs : inputs.slice(0, finalAt + 1);
        socket.write(Buffer.concat(sent.map((input) => input.bytes)));
        for (const input of sent) count(stats, input.kind);
        n += sent.length;
        if (finalAt !== -1) {
          socket.end();
          break;
        }
        socket.write(PINGREQ);
        if (!(await reader.next(13))) break;
      }
      if (open) socket.end(DISCONNECT);
    }
    if (open) await Promise.race([closed, reader.next(-1)]);
  } finally {
    if (open) {
      stats.gaveUp++;
      socket.destroy();
    }
    await closed;
    if (brokerClosed) stats.closedByBroker++;
  }
}

class CountingHooks implements BrokerHooks {
  messages = 0;
  notJson = 0;

  async onMessage(message: InboundMessage): Promise<void> {
    // Lifecycle events ($aws/events/...) reach the rules too; this counts what the fuzzer sent.
    if (message.topic.startsWith('$aws/events/')) return;
    this.messages++;
    try {
      JSON.parse(message.payload.toString('utf8'));
    } catch {
      this.notJson++;
    }
  }

  authenticate(): ConnectDecision {
    return { ok: true, permissions: ALLOW_ALL };
  }
}

/** QoS 1 publish to its own subscription; resolves once the message comes back. */
async function roundTrip(client: MqttClient, topic: string, payload: string): Promise<void> {
  const received = new Promise<void>((resolve) => {
    const onMessage = (receivedTopic: string, body: Buffer): void => {
      if (receivedTopic !== topic || body.toString() !== payload) return;
      client.off('message', onMessage);
      resolve();
    };
    client.on('message', onMessage);
  });
  await client.publishAsync(topic, payload, { qos: 1 });
  await received;
}

/** Only under `node --expose-gc` (the test runner does not pass it): then the heap check is exact, not coarse. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** aedes counts a client out asynchronously after its socket closes; no event says "all done". */
async function waitForConnectedClients(broker: Broker, expected: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (broker.connectedClients !== expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(broker.connectedClients, expected, 'connected clients after the fuzz sockets closed');
}

test('the broker survives 10,000+ malformed inputs and keeps serving honest clients', { timeout: 120_000 }, async (t) => {
  const seed = process.env.SLUICE_FUZZ_SEED ? Number(process.env.SLUICE_FUZZ_SEED) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
  t.diagnostic(`fuzz seed ${seed} (replay: SLUICE_FUZZ_SEED=${seed})`);
  console.log(`fuzz seed ${seed} (replay: SLUICE_FUZZ_SEED=${seed})`);

  const hooks = new CountingHooks();
  const broker = await Broker.create({ logger: silentLogger(), hooks });
  const { port } = await broker.listenTcp('127.0.0.1', 0);
  const url = `mqtt://127.0.0.1:${port}`;
  const honest = await mqtt.connectAsync(url, { clientId: 'honest-throughout', reconnectPeriod: 0 });
  let late: MqttClient | undefined;
  t.after(async () => {
    await honest.endAsync(true);
    await late?.endAsync(true);
    await broker.close();
  });
  let honestClosed = false;
  honest.on('close', () => {
    honestClosed = true;
  });
  await honest.subscribeAsync('honest/#', { qos: 1 });
  await roundTrip(honest, 'honest/before', 'before');
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = Date.now();

  // The honest client keeps publishing QoS 1 while the fuzz runs.
  let fuzzing = true;
  let honestRoundTrips = 0;
  const honestLoop = (async () => {
    while (fuzzing) {
      await roundTrip(honest, 'honest/during', `during ${honestRoundTrips}`);
      honestRoundTrips++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();

  const stats: Stats = { sessions: 0, inputs: 0, byKind: new Map(), closedByBroker: 0, gaveUp: 0 };
  let nextSession = 0;
  const worker = async (): Promise<void> => {
    while (stats.inputs < MIN_INPUTS) await runSession(port, seed, nextSession++, stats);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  fuzzing = false;
  await honestLoop;
  const elapsed = Date.now() - started;

  const kinds = [...stats.byKind].sort((a, b) => b[1] - a[1]).map(([kind, n]) => `${kind}: ${n}`);
  const summary =
    `${stats.inputs} inputs in ${stats.sessions} sessions (${elapsed} ms); broker hung up on ${stats.closedByBroker}, ` +
    `fuzzer gave up on ${stats.gaveUp}; onMessage ${hooks.messages} (${hooks.notJson} not JSON); honest round trips ${honestRoundTrips}`;
  t.diagnostic(summary);
  t.diagnostic(kinds.join(', '));

  assert.ok(stats.inputs >= MIN_INPUTS);
  assert.equal(honestClosed, false, 'the honest client stayed connected');
  assert.ok(honestRoundTrips > 0, 'the honest client published during the fuzz');
  await roundTrip(honest, 'honest/after', 'after');
  await waitForConnectedClients(broker, 1);

  late = await mqtt.connectAsync(url, { clientId: 'honest-late', reconnectPeriod: 0 });
  await late.subscribeAsync('honest/late', { qos: 1 });
  await roundTrip(late, 'honest/late', 'late');
  assert.equal(broker.connectedClients, 2);

  collectGarbage();
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  const how = typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'after gc()' : 'coarse: no gc() without --expose-gc';
  t.diagnostic(`heapUsed grew by ${(heapGrowth / 1024 / 1024).toFixed(1)} MB (${how}; bound 100 MB)`);
  assert.ok(heapGrowth < HEAP_GROWTH_BOUND, `heapUsed grew by ${heapGrowth} bytes`);
});
