/**
 * The console's endpoints against a real server (child process, admin token,
 * no --insecure) and real MQTT clients: a certificate bundle that a device
 * connects with over mutual TLS, the thing's connection state following it,
 * a rule switched off and on (and still off after a restart), read-only
 * tokens refused every write, the overview's history growing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { strFromU8, unzipSync } from 'fflate';
import mqtt, { type MqttClient } from 'mqtt';
import { REPO_ROOT, SluiceServer } from './support/sluice-process.js';
import { waitFor } from './support/wait.js';

const STACK = `
stack: console-api-e2e
buckets:
  readings: {}
rules:
  StoreReadings:
    sql: SELECT * FROM 'device/+/data'
    actions:
      - s3: { bucket: readings, key: '\${topic()}/\${timestamp()}' }
things:
  sensor-a: {}
policies:
  sensor-policy:
    document:
      Version: '2012-10-17'
      Statement:
        - Effect: Allow
          Action: iot:Connect
          Resource: 'arn:sluice:iot:local:000000000000:client/\${iot:Connection.Thing.ThingName}'
        - Effect: Allow
          Action: iot:Publish
          Resource: 'arn:sluice:iot:local:000000000000:topic/device/\${iot:ClientId}/data'
`;

interface Connection {
  connected: boolean;
  clientIds: string[];
  lastConnectedAt: string | null;
  lastDisconnectedAt: string | null;
}
interface RuleView {
  name: string;
  enabled: boolean;
  metrics: { matches: number; actionSuccesses: number; actionFailures: number };
}
interface Overview {
  connectedClients: number;
  totals: { messagesReceived: number; ruleMatches: number; actionSuccesses: number };
  history: Array<{ t: number; messagesPerSecond: number }>;
}

let workDir = '';
let dataDir = '';
let stackFile = '';
let server: SluiceServer;
let adminToken = '';
let readerToken = '';
const clients: MqttClient[] = [];

async function call(path: string, options: { method?: string; body?: unknown; token?: string } = {}): Promise<Response> {
  return fetch(`${server.endpoints.http}${path}`, {
    method: options.method ?? 'GET',
    headers: {
      authorization: `Bearer ${options.token ?? adminToken}`,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
}

async function json<T>(path: string, options: { method?: string; body?: unknown; token?: string } = {}): Promise<T> {
  const response = await call(path, options);
  const text = await response.text();
  assert.ok(response.ok, `${options.method ?? 'GET'} ${path}: HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

const connectionOf = async (thing: string) => (await json<{ connection: Connection }>(`/api/v1/things/${thing}`)).connection;
const objectCount = async () => (await json<{ objects: unknown[] }>('/api/v1/buckets/readings/objects?prefix=device/sensor-a/')).objects.length;
const rule = async () => (await json<{ rules: RuleView[] }>('/api/v1/rules')).rules.find((r) => r.name === 'StoreReadings');

async function startServer(): Promise<void> {
  server = await SluiceServer.start(dataDir, ['--stack', stackFile]);
  adminToken = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
}

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'sluice-console-api-'));
  dataDir = join(workDir, 'data');
  stackFile = join(workDir, 'stack.yaml');
  await writeFile(stackFile, STACK);
  await startServer();
  readerToken = (await json<{ token: string }>('/api/v1/tokens', { method: 'POST', body: { name: 'viewer', scope: 'read-only' } })).token;
});

after(async () => {
  for (const client of clients) await client.endAsync(true).catch(() => undefined);
  await server?.stop();
  await rm(workDir, { recursive: true, force: true });
});

test('whoami names the role; a read-only token gets 403 on every console write', async () => {
  assert.deepEqual(await json('/api/v1/whoami'), { role: 'admin' });
  assert.deepEqual(await json('/api/v1/whoami', { token: readerToken }), { role: 'read-only' });
  for (const [path, body] of [
    ['/api/v1/rules/StoreReadings/disable', undefined],
    ['/api/v1/rules/StoreReadings/enable', undefined],
    ['/api/v1/things/sensor-a/certificate-bundle', { policyName: 'sensor-policy' }],
  ] as const) {
    const response = await call(path, { method: 'POST', body, token: readerToken });
    assert.equal(response.status, 403, path);
  }
  assert.equal((await rule())?.enabled, true, 'nothing changed');
});

test('a certificate bundle connects a real device over mqtts; the thing shows connected, then disconnected', async () => {
  assert.equal((await connectionOf('sensor-a')).connected, false);
  const response = await call('/api/v1/things/sensor-a/certificate-bundle', { method: 'POST', body: { policyName: 'sensor-policy' } });
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(response.headers.get('content-type'), 'application/zip');
  assert.match(response.headers.get('content-disposition') ?? '', /attachment; filename="sensor-a-certificates.zip"/);
  const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
  const text = (name: string) => strFromU8(files[name] ?? new Uint8Array());
  const endpoints = JSON.parse(text('endpoints.json')) as { mqtts: string; http: string };
  assert.equal(endpoints.mqtts, server.endpoints.mqtts);

  const device = await mqtt.connectAsync(endpoints.mqtts, {
    clientId: 'sensor-a',
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ca: text('root-ca.pem'),
    cert: text('certificate.pem.crt'),
    key: text('private.pem.key'),
  });
  clients.push(device);
  const online = await waitFor('sensor-a connected', async () => {
    const connection = await connectionOf('sensor-a');
    return connection.connected ? connection : undefined;
  });
  assert.deepEqual(online.clientIds, ['sensor-a']);
  assert.ok(online.lastConnectedAt !== null);
  const listed = await json<{ things: Array<{ thingName: string; connection: Connection }> }>('/api/v1/things', { token: readerToken });
  assert.equal(listed.things.find((t) => t.thingName === 'sensor-a')?.connection.connected, true);

  // The device publishes with its certificate's policy: the rule stores the reading.
  await device.publishAsync('device/sensor-a/data', JSON.stringify({ humidity: 30 }), { qos: 1 });
  await server.settle();
  assert.equal(await objectCount(), 1);

  await device.endAsync();
  const offline = await waitFor('sensor-a disconnected', async () => {
    const connection = await connectionOf('sensor-a');
    return connection.connected ? undefined : connection;
  });
  assert.deepEqual(offline.clientIds, []);
  assert.ok(offline.lastDisconnectedAt !== null && offline.lastDisconnectedAt >= (offline.lastConnectedAt ?? ''));
});

test('a disabled rule stores nothing; enabled again it stores; the switch survives a restart that redeploys the stack', async () => {
  const publisher = await mqtt.connectAsync(server.endpoints.ws, { clientId: 'operator', username: 'admin', password: adminToken, reconnectPeriod: 0 });
  clients.push(publisher);
  const publish = async (humidity: number) => {
    await publisher.publishAsync('device/sensor-a/data', JSON.stringify({ humidity }), { qos: 1 });
    await server.settle();
  };
  const before = await objectCount();
  const matchesBefore = (await rule())?.metrics.matches ?? -1;

  const disabled = await json<RuleView>('/api/v1/rules/StoreReadings/disable', { method: 'POST' });
  assert.equal(disabled.enabled, false);
  await publish(31);
  assert.equal(await objectCount(), before, 'a disabled rule matches nothing');
  assert.equal((await rule())?.metrics.matches, matchesBefore);

  const enabled = await json<RuleView>('/api/v1/rules/StoreReadings/enable', { method: 'POST' });
  assert.equal(enabled.enabled, true);
  await publish(32);
  assert.equal(await objectCount(), before + 1);
  const counted = await rule();
  assert.equal(counted?.metrics.matches, matchesBefore + 1);
  assert.ok((counted?.metrics.actionSuccesses ?? 0) >= 1);

  await json('/api/v1/rules/StoreReadings/disable', { method: 'POST' });
  await publisher.endAsync();
  await server.stop();
  await startServer();
  assert.equal((await rule())?.enabled, false, 'still disabled after a restart that deployed the stack again');
  const again = await mqtt.connectAsync(server.endpoints.ws, { clientId: 'operator-2', username: 'admin', password: adminToken, reconnectPeriod: 0 });
  clients.push(again);
  await again.publishAsync('device/sensor-a/data', JSON.stringify({ humidity: 33 }), { qos: 1 });
  await server.settle();
  assert.equal(await objectCount(), before + 1);
  await json('/api/v1/rules/StoreReadings/enable', { method: 'POST' });
  await again.publishAsync('device/sensor-a/data', JSON.stringify({ humidity: 34 }), { qos: 1 });
  await server.settle();
  assert.equal(await objectCount(), before + 2);
});

test('the overview counts messages and its one-second history grows', async () => {
  const first = await json<Overview>('/api/v1/overview', { token: readerToken });
  assert.ok(first.totals.messagesReceived >= 2, `messagesReceived ${first.totals.messagesReceived}`);
  assert.ok(first.connectedClients >= 1);
  const grown = await waitFor('a longer history', async () => {
    const next = await json<Overview>('/api/v1/overview');
    return next.history.length > first.history.length ? next : undefined;
  });
  const times = grown.history.map((s) => s.t);
  assert.deepEqual(times, [...times].sort((a, b) => a - b), 'oldest first');
  assert.ok(grown.history.length <= 300);
  // The messages published above fall in some second of the history (it holds the last five minutes).
  assert.ok(grown.history.some((s) => s.messagesPerSecond > 0), 'some second saw messages');
});

test('/ serves the console (or the page saying to build it); unknown API paths stay JSON 404s', async () => {
  const root = await fetch(`${server.endpoints.http}/`);
  assert.equal(root.status, 200);
  assert.match(root.headers.get('content-type') ?? '', /^text\/html/);
  const body = await root.text();
  const built = await readFile(join(REPO_ROOT, 'dist', 'console', 'index.html'), 'utf8').catch(() => undefined);
  if (built === undefined) assert.match(body, /npm run build:console/);
  else assert.equal(body, built);
  const missing = await call('/api/v1/nope');
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'SLUICE_ERR_NOT_FOUND');
});
