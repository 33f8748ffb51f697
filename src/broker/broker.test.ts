/**
 * The broker over real sockets: real `mqtt` clients on TCP and on MQTT over
 * WebSocket, a real HTTP server for the upgrade. Every test closes what it
 * opened; a handle left open would keep this file's process from exiting.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { silentLogger } from '../core/index.js';
import { ALLOW_ALL, Broker, tokenMatches, type BrokerHooks, type ConnectDecision, type ConnectRequest, type InboundMessage } from './broker.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

/** Hooks that record every message and can hold `onMessage` open until the test releases it. */
class RecordingHooks implements BrokerHooks {
  readonly messages: InboundMessage[] = [];
  /** Lifecycle events reach the rules too ($aws/events/...); kept apart so the message counts stay about devices. */
  readonly lifecycle: InboundMessage[] = [];
  readonly credentials: Array<{ clientId: string; username: string | undefined; password: string | undefined }> = [];
  #gate: Deferred<void> | undefined;
  #waiters: Array<{ count: number; wake: () => void }> = [];

  async onMessage(message: InboundMessage): Promise<void> {
    if (message.topic.startsWith('$aws/events/')) {
      this.lifecycle.push(message);
      return;
    }
    this.messages.push(message);
    for (const waiter of this.#waiters.filter((w) => this.messages.length >= w.count)) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.wake();
    }
    if (this.#gate) await this.#gate.promise;
  }

  /** From now on onMessage waits, as a slow rules pipeline would, until `release()`. */
  hold(): void {
    this.#gate ??= deferred();
  }

  release(): void {
    this.#gate?.resolve();
    this.#gate = undefined;
  }

  authenticate(request: ConnectRequest): ConnectDecision {
    this.credentials.push({ clientId: request.clientId, username: request.username, password: request.password?.toString('utf8') });
    return request.username !== 'intruder' ? { ok: true, permissions: ALLOW_ALL } : { ok: false, reason: 'intruder' };
  }

  /** Resolves once onMessage has been called at least `count` times. */
  received(count: number): Promise<void> {
    if (this.messages.length >= count) return Promise.resolve();
    return new Promise((wake) => this.#waiters.push({ count, wake }));
  }
}

interface Fixture {
  broker: Broker;
  hooks: RecordingHooks;
  tcpUrl: string;
  wsUrl: string;
  http: HttpServer;
  connect(url: string, options?: IClientOptions): Promise<MqttClient>;
}

async function startBroker(t: TestContext): Promise<Fixture> {
  const hooks = new RecordingHooks();
  const broker = await Broker.create({ logger: silentLogger(), hooks });
  const tcp = await broker.listenTcp('127.0.0.1', 0);
  const http = createServer((_req, res) => res.writeHead(404).end());
  broker.attachWebSocket(http, '/mqtt');
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const wsPort = (http.address() as AddressInfo).port;
  const clients: MqttClient[] = [];
  let closed = false;

  t.after(async () => {
    hooks.release();
    await Promise.all(clients.map((client) => client.endAsync(true)));
    if (!closed) await broker.close();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  const fixture: Fixture = {
    broker,
    hooks,
    tcpUrl: `mqtt://127.0.0.1:${tcp.port}`,
    wsUrl: `ws://127.0.0.1:${wsPort}/mqtt`,
    http,
    async connect(url, options = {}) {
      // reconnectPeriod 0: a refused or closed connection stays closed, leaving no timer behind.
      const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...options });
      clients.push(client);
      return client;
    },
  };
  const close = broker.close.bind(broker);
  fixture.broker.close = async () => {
    closed = true;
    await close();
  };
  return fixture;
}

function nextMessage(client: MqttClient): Promise<{ topic: string; payload: Buffer; qos: number }> {
  return new Promise((resolve) => {
    client.once('message', (topic, payload, packet) => resolve({ topic, payload, qos: packet.qos }));
  });
}

// [publisher transport, subscriber transport]
const ROUTES: Array<['tcp' | 'ws', 'tcp' | 'ws']> = [
  ['tcp', 'ws'],
  ['ws', 'tcp'],
  ['tcp', 'tcp'],
  ['ws', 'ws'],
];

for (const [from, to] of ROUTES) {
  test(`a ${from} client's QoS 1 publish reaches a ${to} subscriber, and onMessage sees it`, async (t) => {
    const f = await startBroker(t);
    const url = (transport: 'tcp' | 'ws'): string => (transport === 'tcp' ? f.tcpUrl : f.wsUrl);
    const subscriber = await f.connect(url(to), { clientId: `sub-${to}` });
    await subscriber.subscribeAsync('device/+/devicePayload', { qos: 1 });
    const publisher = await f.connect(url(from), { clientId: 'soilSensor3' });

    const payload = Buffer.from('{"name":"soilSensor3","humidity":29}');
    const delivered = nextMessage(subscriber);
    await publisher.publishAsync('device/soilSensor3/devicePayload', payload, { qos: 1 });
    const message = await delivered;
    assert.equal(message.topic, 'device/soilSensor3/devicePayload');
    assert.deepEqual(message.payload, payload);
    assert.equal(message.qos, 1);

    await f.hooks.received(1);
    const [seen] = f.hooks.messages;
    assert.ok(seen);
    assert.equal(seen.topic, 'device/soilSensor3/devicePayload');
    assert.deepEqual(seen.payload, payload);
    assert.equal(seen.qos, 1);
    assert.equal(seen.retain, false);
    assert.equal(seen.clientId, 'soilSensor3');
    assert.equal(typeof seen.receivedAt, 'number');
  });
}

test('onMessage sees the QoS the device published with, and no $SYS traffic', async (t) => {
  const f = await startBroker(t);
  const publisher = await f.connect(f.tcpUrl, { clientId: 'soilSensor1' });
  await publisher.publishAsync('device/soilSensor1/devicePayload', 'qos0', { qos: 0 });
  await publisher.publishAsync('device/soilSensor1/devicePayload', 'qos1', { qos: 1 });
  await f.hooks.received(2);
  assert.deepEqual(
    f.hooks.messages.map((m) => [m.payload.toString('utf8'), m.qos]),
    [
      ['qos0', 0],
      ['qos1', 1],
    ],
  );
  assert.ok(f.hooks.messages.every((m) => !m.topic.startsWith('$SYS/')));
});

// DESIGN.md "The message path": a QoS 1 message is acknowledged only once its
// rule actions are enqueued, i.e. after onMessage resolves.
test('the QoS 1 PUBACK is sent only after onMessage resolves', async (t) => {
  const f = await startBroker(t);
  f.hooks.hold();
  const publisher = await f.connect(f.tcpUrl, { clientId: 'soilSensor2' });
  const other = await f.connect(f.wsUrl, { clientId: 'observer' });
  const events: string[] = [];
  publisher.on('packetreceive', (packet) => {
    if (packet.cmd === 'puback') events.push('puback');
  });

  const acked = publisher.publishAsync('device/soilSensor2/devicePayload', '{"humidity":29}', { qos: 1 }).then(() => {
    events.push('publish resolved');
  });
  await f.hooks.received(1);
  events.push('onMessage called');
  // A full round trip through the broker on another connection: had the
  // broker already written the PUBACK, the publisher would have read it by now.
  // (A subscribe, not a publish: a publish would wait on the same gate.)
  await other.subscribeAsync('unrelated/topic', { qos: 1 });
  await other.unsubscribeAsync('unrelated/topic');
  assert.deepEqual(events, ['onMessage called'], 'no PUBACK while onMessage is pending');

  events.push('onMessage released');
  f.hooks.release();
  await acked;
  assert.deepEqual(events, ['onMessage called', 'onMessage released', 'puback', 'publish resolved']);
});

test('authenticate returning false refuses the connection with "not authorized"', async (t) => {
  const f = await startBroker(t);
  for (const url of [f.tcpUrl, f.wsUrl]) {
    await assert.rejects(f.connect(url, { clientId: 'mallory', username: 'intruder', password: 'guess' }), /not authorized/i, url);
  }
  assert.deepEqual(
    f.hooks.credentials.map((c) => [c.clientId, c.username, c.password]),
    [
      ['mallory', 'intruder', 'guess'],
      ['mallory', 'intruder', 'guess'],
    ],
  );
  assert.equal(f.broker.connectedClients, 0);
  // The broker still serves clients it accepts.
  const device = await f.connect(f.tcpUrl, { clientId: 'soilSensor1', username: 'device', password: 'token' });
  assert.equal(device.connected, true);
});

test('broker.publish from the server reaches a subscriber and passes through onMessage with no clientId', async (t) => {
  const f = await startBroker(t);
  const subscriber = await f.connect(f.wsUrl, { clientId: 'console' });
  await subscriber.subscribeAsync('alerts/#', { qos: 1 });
  const delivered = nextMessage(subscriber);
  await f.broker.publish('alerts/soilSensor3', Buffer.from('Humidity 29 under threshold for device name soilSensor3'), 1);
  const message = await delivered;
  assert.equal(message.topic, 'alerts/soilSensor3');
  assert.equal(message.payload.toString('utf8'), 'Humidity 29 under threshold for device name soilSensor3');
  assert.equal(message.qos, 1);
  await f.hooks.received(1);
  assert.equal(f.hooks.messages[0]?.clientId, '');
});

test('close() disconnects TCP and WebSocket clients and stops listening', async (t) => {
  const f = await startBroker(t);
  const tcpClient = await f.connect(f.tcpUrl, { clientId: 'tcp-client' });
  const wsClient = await f.connect(f.wsUrl, { clientId: 'ws-client' });
  assert.equal(f.broker.connectedClients, 2);
  const tcpClosed = new Promise<void>((resolve) => tcpClient.once('close', () => resolve()));
  const wsClosed = new Promise<void>((resolve) => wsClient.once('close', () => resolve()));

  await f.broker.close();
  await Promise.all([tcpClosed, wsClosed]);
  assert.equal(tcpClient.connected, false);
  assert.equal(wsClient.connected, false);
  await assert.rejects(f.connect(f.tcpUrl, { clientId: 'late', connectTimeout: 5_000 }), /ECONNREFUSED/);
});

// [presented, expected, matches]
const TOKEN_CASES: Array<[Buffer | undefined, string, boolean]> = [
  [Buffer.from('s3cret'), 's3cret', true],
  [Buffer.from('s3creT'), 's3cret', false],
  [Buffer.from('s3cre'), 's3cret', false],
  [Buffer.from('s3crets'), 's3cret', false],
  [undefined, 's3cret', false],
  [Buffer.from(''), 's3cret', false],
];

test('tokenMatches compares whole tokens', () => {
  for (const [presented, expected, matches] of TOKEN_CASES) {
    assert.equal(tokenMatches(presented, expected), matches, `${presented?.toString() ?? 'undefined'} vs ${expected}`);
  }
});
