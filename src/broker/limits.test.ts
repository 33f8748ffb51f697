/**
 * The broker's input limits over real sockets: real `mqtt` clients on TCP (and
 * one on MQTT over WebSocket), each limit at its boundary, plus raw sockets
 * for what a client library will not send. Every test closes what it opened.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect as connectTcp, type AddressInfo, type Socket } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { SluiceError, silentLogger } from '../core/index.js';
import { ALLOW_ALL, Broker, DEFAULT_BROKER_LIMITS, type BrokerHooks, type BrokerLimits, type ConnectDecision, type InboundMessage, type LimitKind } from './broker.js';
import { resolveLimits } from './limits.js';
import { connectPacket, encodeLength } from './mqtt-wire.test-support.js';

class LimitHooks implements BrokerHooks {
  readonly messages: InboundMessage[] = [];
  readonly violations: Array<[LimitKind, string]> = [];

  async onMessage(message: InboundMessage): Promise<void> {
    // Lifecycle events ($aws/events/...) reach the rules too; these tests count device messages.
    if (!message.topic.startsWith('$aws/events/')) this.messages.push(message);
  }

  authenticate(): ConnectDecision {
    return { ok: true, permissions: ALLOW_ALL };
  }

  onLimitViolation(kind: LimitKind, clientId: string): void {
    this.violations.push([kind, clientId]);
  }
}

interface Fixture {
  broker: Broker;
  hooks: LimitHooks;
  url: string;
  port: number;
  connect(options?: IClientOptions): Promise<MqttClient>;
}

async function startBroker(t: TestContext, limits?: Partial<BrokerLimits>): Promise<Fixture> {
  const hooks = new LimitHooks();
  const broker = await Broker.create({ logger: silentLogger(), hooks, ...(limits ? { limits } : {}) });
  const { port } = await broker.listenTcp('127.0.0.1', 0);
  const clients: MqttClient[] = [];
  t.after(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await broker.close();
  });
  const url = `mqtt://127.0.0.1:${port}`;
  return {
    broker,
    hooks,
    url,
    port,
    async connect(options = {}) {
      // reconnectPeriod 0: a refused or closed connection stays closed, leaving no timer behind.
      const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...options });
      clients.push(client);
      return client;
    },
  };
}

function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (client.disconnected) resolve();
    else client.once('close', () => resolve());
  });
}

/** A QoS 1 publish the subscriber receives proves the publisher's connection is still served. */
async function roundTrip(client: MqttClient, topic: string, payload: Buffer | string = 'ping'): Promise<void> {
  await client.subscribeAsync(topic, { qos: 1 });
  const received = new Promise<string>((resolve) => client.once('message', (receivedTopic) => resolve(receivedTopic)));
  await client.publishAsync(topic, payload, { qos: 1 });
  assert.equal(await received, topic);
  await client.unsubscribeAsync(topic);
}

/** `levels` levels, `bytes` bytes in all, ASCII. */
function topicOf(levels: number, bytes: number): string {
  const head = 'l/'.repeat(levels - 1);
  assert.ok(bytes > head.length, 'topic too short for its levels');
  return head + 'x'.repeat(bytes - head.length);
}

test('the defaults are AWS IoT Core quotas', () => {
  assert.deepEqual(DEFAULT_BROKER_LIMITS, { maxPayloadBytes: 131_072, maxTopicBytes: 256, maxTopicLevels: 7, maxClientIdBytes: 128 });
  assert.ok(Object.isFrozen(DEFAULT_BROKER_LIMITS));
});

// [limits, field named in the error]
const INVALID_LIMITS: Array<[Partial<BrokerLimits>, string]> = [
  [{ maxPayloadBytes: 0 }, 'maxPayloadBytes'],
  [{ maxTopicBytes: 1.5 }, 'maxTopicBytes'],
  [{ maxTopicLevels: 101 }, 'maxTopicLevels'],
  [{ maxClientIdBytes: 65_536 }, 'maxClientIdBytes'],
  [{ maxClientIdBytes: Number.NaN }, 'maxClientIdBytes'],
];

test('invalid limits are refused at start-up, naming the field', async () => {
  for (const [limits, field] of INVALID_LIMITS) {
    assert.throws(
      () => resolveLimits(limits),
      (error: unknown) => error instanceof SluiceError && error.code === 'SLUICE_ERR_CONFIG_INVALID' && error.message.includes(`options.limits.${field}`),
      field,
    );
    await assert.rejects(Broker.create({ logger: silentLogger(), hooks: new LimitHooks(), limits }), /options\.limits\./);
  }
  assert.deepEqual(resolveLimits({ maxTopicLevels: 8 }), { ...DEFAULT_BROKER_LIMITS, maxTopicLevels: 8 });
});

test('a client id of exactly 128 bytes connects (MQTT 3.1.1 and 3.1); 129 bytes is refused with "identifier rejected"', async (t) => {
  const f = await startBroker(t);
  const atLimit = await f.connect({ clientId: 'd'.repeat(128) });
  // aedes's maxClientsIdLength (23 by default) would refuse this one on MQTT 3.1.
  const atLimitV3 = await f.connect({ clientId: 'e'.repeat(128), protocolVersion: 3, protocolId: 'MQIsdp' });
  // Bytes, not characters: 64 two-byte characters are 128 bytes.
  const atLimitUtf8 = await f.connect({ clientId: 'é'.repeat(64) });
  assert.equal(f.broker.connectedClients, 3);

  await assert.rejects(f.connect({ clientId: 'd'.repeat(129) }), /identifier rejected/i);
  await assert.rejects(f.connect({ clientId: 'e'.repeat(129), protocolVersion: 3, protocolId: 'MQIsdp' }), /identifier rejected/i);
  await assert.rejects(f.connect({ clientId: '€'.repeat(43) }), /identifier rejected/i); // 43 characters, 129 bytes
  assert.deepEqual(
    f.hooks.violations.map(([kind]) => kind),
    ['client_id', 'client_id', 'client_id'],
  );
  assert.equal(f.broker.connectedClients, 3);
  for (const client of [atLimit, atLimitV3, atLimitUtf8]) await roundTrip(client, 'device/ok');
});

test('a PUBLISH topic of exactly 256 bytes is accepted; 257 bytes closes that connection only', async (t) => {
  const f = await startBroker(t);
  const bystander = await f.connect({ clientId: 'bystander' });
  const device = await f.connect({ clientId: 'device' });
  await roundTrip(device, topicOf(7, 256));

  await device.publishAsync(topicOf(7, 257), 'x', { qos: 0 });
  await closed(device);
  assert.deepEqual(f.hooks.violations, [['topic_bytes', 'device']]);
  assert.ok(f.hooks.messages.every((m) => Buffer.byteLength(m.topic) <= 256));
  await roundTrip(bystander, 'still/served');
  assert.equal(f.broker.connectedClients, 1);
});

test('a multi-byte topic is measured in UTF-8 bytes', async (t) => {
  const f = await startBroker(t);
  const device = await f.connect({ clientId: 'device' });
  await roundTrip(device, 'ü'.repeat(128)); // 256 bytes
  await device.publishAsync(`${'ü'.repeat(128)}x`, 'x', { qos: 0 });
  await closed(device);
  assert.deepEqual(f.hooks.violations, [['topic_bytes', 'device']]);
});

test('a PUBLISH topic of 7 levels is accepted; 8 levels closes that connection only', async (t) => {
  const f = await startBroker(t);
  const bystander = await f.connect({ clientId: 'bystander' });
  const device = await f.connect({ clientId: 'device' });
  await roundTrip(device, 'a/b/c/d/e/f/g');

  // QoS 1: the broker closes the connection instead of acknowledging [MQTT 3.1.1 has no negative PUBACK];
  // the promise would wait for a reconnect that never comes, so it is not awaited.
  void device.publishAsync('a/b/c/d/e/f/g/h', 'x', { qos: 1 }).catch(() => undefined);
  await closed(device);
  assert.deepEqual(f.hooks.violations, [['topic_levels', 'device']]);
  assert.ok(f.hooks.messages.every((m) => m.topic !== 'a/b/c/d/e/f/g/h'), 'the rules never see it');
  await roundTrip(bystander, 'still/served');
});

test('a topic over aedes\'s own 100-level check is still counted as a topic_levels violation', async (t) => {
  const f = await startBroker(t);
  const device = await f.connect({ clientId: 'device' });
  await device.publishAsync(topicOf(101, 202), 'x', { qos: 0 });
  await closed(device);
  assert.deepEqual(f.hooks.violations, [['topic_levels', 'device']]);
});

test('a payload of exactly 131,072 bytes is accepted; 131,073 bytes closes that connection only', async (t) => {
  const f = await startBroker(t);
  const bystander = await f.connect({ clientId: 'bystander' });
  const device = await f.connect({ clientId: 'device' });
  await roundTrip(device, 'device/big', Buffer.alloc(131_072, 0x61));
  assert.equal(f.hooks.messages.at(-1)?.payload.length, 131_072);

  const before = f.hooks.messages.length;
  await device.publishAsync('device/big', Buffer.alloc(131_073, 0x61), { qos: 0 });
  await closed(device);
  assert.deepEqual(f.hooks.violations, [['payload', 'device']]);
  assert.equal(f.hooks.messages.length, before, 'the rules never see it');
  await roundTrip(bystander, 'still/served');
});

test('a PUBLISH declaring 10 MB is dropped at its fixed header, before the body is sent', async (t) => {
  const f = await startBroker(t);
  const bystander = await f.connect({ clientId: 'bystander' });
  const socket: Socket = connectTcp(f.port, '127.0.0.1');
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  socket.write(connectPacket('raw-device'));
  const [connack] = (await once(socket, 'data')) as [Buffer];
  assert.deepEqual([...connack], [0x20, 0x02, 0x00, 0x00]);

  const socketClosed = once(socket, 'close');
  // Fixed header only, then a trickle: aedes on its own would wait for 10 MB.
  socket.write(Buffer.concat([Buffer.from([0x30]), encodeLength(10_000_000), Buffer.from([0x00, 0x01, 0x74])]));
  await socketClosed;
  assert.deepEqual(f.hooks.violations, [['payload', 'raw-device']]);
  assert.equal(f.hooks.messages.length, 0);
  await roundTrip(bystander, 'still/served');
});

test('a packet declaring more than the limits allow before CONNECT is dropped too', async (t) => {
  const f = await startBroker(t);
  const socket: Socket = connectTcp(f.port, '127.0.0.1');
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  const socketClosed = once(socket, 'close');
  socket.write(Buffer.concat([Buffer.from([0x10]), encodeLength(200_000_000)]));
  await socketClosed;
  assert.deepEqual(f.hooks.violations, [['payload', '']]);
});

test('a SUBSCRIBE filter of 256 bytes and 7 levels is accepted; 257 bytes or 8 levels closes the connection', async (t) => {
  const f = await startBroker(t);
  const bystander = await f.connect({ clientId: 'bystander' });
  const device = await f.connect({ clientId: 'device' });
  await device.subscribeAsync(topicOf(7, 256), { qos: 1 });
  await device.subscribeAsync('a/+/c/+/e/+/#', { qos: 1 });

  const tooLong = await f.connect({ clientId: 'too-long' });
  // No SUBACK comes; whether mqtt.js rejects the promise on close is its business.
  void tooLong.subscribeAsync(topicOf(7, 257)).catch(() => undefined);
  await closed(tooLong);
  const tooDeep = await f.connect({ clientId: 'too-deep' });
  void tooDeep.subscribeAsync('a/+/c/+/e/+/g/#').catch(() => undefined);
  await closed(tooDeep);

  assert.deepEqual(f.hooks.violations, [
    ['topic_bytes', 'too-long'],
    ['topic_levels', 'too-deep'],
  ]);
  await roundTrip(device, 'device/still/served');
  await roundTrip(bystander, 'still/served');
  assert.equal(f.broker.connectedClients, 2);
});

test('configured limits replace the defaults', async (t) => {
  const f = await startBroker(t, { maxPayloadBytes: 16, maxTopicLevels: 8, maxClientIdBytes: 4 });
  await assert.rejects(f.connect({ clientId: 'abcde' }), /identifier rejected/i);
  const device = await f.connect({ clientId: 'abcd' });
  await roundTrip(device, 'a/b/c/d/e/f/g/h', Buffer.alloc(16));
  await device.publishAsync('a/b', Buffer.alloc(17), { qos: 0 });
  await closed(device);
  assert.deepEqual(f.hooks.violations, [
    ['client_id', 'abcde'],
    ['payload', 'abcd'],
  ]);
});

test('over MQTT over WebSocket, a message larger than the limits allow closes the connection', async (t) => {
  const hooks = new LimitHooks();
  const broker = await Broker.create({ logger: silentLogger(), hooks, limits: { maxPayloadBytes: 1_000 } });
  const http = createServer((_req, res) => res.writeHead(404).end());
  broker.attachWebSocket(http, '/mqtt');
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/mqtt`;
  const device = await mqtt.connectAsync(url, { clientId: 'ws-device', reconnectPeriod: 0 });
  t.after(async () => {
    await device.endAsync(true);
    await broker.close();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
  await roundTrip(device, 'ws/ok', Buffer.alloc(1_000));
  // One WebSocket message over ws's maxPayload: ws closes it (1009) before the frame guard sees it.
  await device.publishAsync('ws/big', Buffer.alloc(5_000), { qos: 0 });
  await closed(device);
  assert.deepEqual(hooks.violations, [['payload', 'ws-device']]);
});
