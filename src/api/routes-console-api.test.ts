/**
 * The endpoints the console needs, in-process (fastify inject) over real
 * components: tokens, the registry with its CA, a rule set with its stored
 * switches, a function runtime, the connection tracker.
 */
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { unzipSync, strFromU8 } from 'fflate';
import { RuleSet } from '../actions/index.js';
import { ConnectionTracker } from '../app/connections.js';
import { RuleFailures, ruleMetrics } from '../app/rule-metrics.js';
import { RuleSwitches } from '../app/rule-switches.js';
import { Metrics, silentLogger } from '../core/index.js';
import { FunctionRuntime, bundleFunction } from '../functions/index.js';
import { Registry, TokenStore } from '../registry/index.js';
import { createMemoryStateStore } from '../state/index.js';
import { installAuth } from './auth.js';
import type { ApiDeps } from './deps.js';
import { installErrorHandler } from './errors.js';
import { resourceRoutes } from './routes-resources.js';
import { whoamiRoutes } from './routes-whoami.js';

const ECHO = fileURLToPath(new URL('../functions/fixtures/echo.ts', import.meta.url));
const ENDPOINTS = { mqtts: 'mqtts://127.0.0.1:8883', ws: 'ws://127.0.0.1:8080/mqtt', http: 'http://127.0.0.1:8080' };
const POLICY = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] };

let app: FastifyInstance;
let dir: string;
let registry: Registry;
let rules: RuleSet;
let functions: FunctionRuntime;
let tracker: ConnectionTracker;
let metrics: Metrics;
let admin: string;
let reader: string;
let tokens: TokenStore;
const state = createMemoryStateStore();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-api-console-'));
  registry = await Registry.open(state, { caDir: join(dir, 'ca') });
  tokens = new TokenStore(state);
  admin = (await tokens.create({ name: 'admin', scope: 'admin' })).token;
  reader = (await tokens.create({ name: 'reader', scope: 'read-only' })).token;
  rules = new RuleSet();
  rules.put({ name: 'Archive', sql: "SELECT * FROM 'device/+/data'", enabled: true, actions: [{ kind: 's3', bucket: 'b', key: '${topic()}' }] });
  const switches = new RuleSwitches(state, rules);
  metrics = new Metrics({ defaultMetrics: false });
  functions = new FunctionRuntime({ dataDir: dir, logger: silentLogger(), services: { publishNotification: async () => ({ messageId: 'm' }), publishMqtt: async () => {} } });
  const { code } = await bundleFunction(ECHO);
  await functions.deploy({ name: 'echo', code, exportName: 'handler', timeoutMs: 10_000, memorySizeMb: 128, environment: {} });
  tracker = new ConnectionTracker(registry);
  const failures = new RuleFailures();
  const deps = {
    registry,
    rules,
    functions,
    setRuleEnabled: (name: string, enabled: boolean) => switches.set(name, enabled),
    ruleMetrics: () => ruleMetrics(metrics, failures),
    thingConnections: (names: readonly string[]) => tracker.of(names),
    status: async () => ({ connectedClients: 0, actionsPending: 0, endpoints: ENDPOINTS }),
  } as unknown as ApiDeps;
  app = Fastify();
  installErrorHandler(app);
  installAuth(app, { tokens, insecure: false });
  await app.register(whoamiRoutes);
  await app.register(resourceRoutes, deps);
  await app.ready();
});

after(async () => {
  tracker?.close();
  await app?.close();
  await functions?.close();
  await rm(dir, { recursive: true, force: true });
});

async function call<T = Record<string, unknown>>(method: string, url: string, payload?: unknown, token = admin) {
  const response = await app.inject({
    method: method as 'GET',
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: response.statusCode, body: response.json<T>(), headers: response.headers, raw: response.rawPayload };
}

test('whoami: admin or read-only, by the token', async () => {
  assert.deepEqual((await call('GET', '/api/v1/whoami')).body, { role: 'admin' });
  assert.deepEqual((await call('GET', '/api/v1/whoami', undefined, reader)).body, { role: 'read-only' });
  assert.equal((await app.inject({ url: '/api/v1/whoami' })).statusCode, 401);
});

test('whoami with --insecure from loopback: no token is admin; a read-only token is read-only; a wrong one is refused', async (t) => {
  const insecure = Fastify();
  installErrorHandler(insecure);
  installAuth(insecure, { tokens, insecure: true });
  await insecure.register(whoamiRoutes);
  t.after(() => insecure.close());
  const ask = (authorization?: string) => insecure.inject({ url: '/api/v1/whoami', remoteAddress: '127.0.0.1', ...(authorization ? { headers: { authorization } } : {}) });
  assert.deepEqual((await ask()).json(), { role: 'admin' });
  assert.deepEqual((await ask(`Bearer ${reader}`)).json(), { role: 'read-only' });
  assert.deepEqual((await ask(`Bearer ${admin}`)).json(), { role: 'admin' });
  assert.equal((await ask('Bearer slc_wrong')).statusCode, 401);
});

test('rules show enabled and metrics; disable and enable switch matching, persist, and are refused to read-only tokens', async () => {
  metrics.ruleMatches.inc({ rule: 'Archive' }, 2);
  metrics.actions.inc({ rule: 'Archive', kind: 's3', outcome: 'success' }, 2);
  type RuleView = { name: string; enabled: boolean; metrics: { matches: number; actionSuccesses: number; actionFailures: number; lastFailure: unknown } };
  const listed = await call<{ rules: RuleView[] }>('GET', '/api/v1/rules', undefined, reader);
  assert.deepEqual(listed.body.rules.map((r) => [r.name, r.enabled, r.metrics]), [['Archive', true, { matches: 2, actionSuccesses: 2, actionFailures: 0, lastFailure: null }]]);

  assert.equal((await call('POST', '/api/v1/rules/Archive/disable', undefined, reader)).status, 403);
  const disabled = await call<RuleView>('POST', '/api/v1/rules/Archive/disable');
  assert.equal(disabled.status, 200);
  assert.equal(disabled.body.name, 'Archive');
  assert.equal(disabled.body.enabled, false);
  assert.equal(rules.isEnabled('Archive'), false);

  // Stored: a new rule set (a restart) with the same rule redeployed is disabled once the switches load.
  const restarted = new RuleSet();
  await new RuleSwitches(state, restarted).load();
  restarted.put({ name: 'Archive', sql: "SELECT * FROM 'device/+/data'", enabled: true, actions: [{ kind: 's3', bucket: 'b', key: 'k' }] });
  assert.equal(restarted.isEnabled('Archive'), false);

  const enabled = await call<RuleView>('POST', '/api/v1/rules/Archive/enable');
  assert.equal(enabled.body.enabled, true);
  assert.equal(rules.isEnabled('Archive'), true);
  const missing = await call<{ error: { code: string } }>('POST', '/api/v1/rules/Nope/disable');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'SLUICE_ERR_NOT_FOUND');
});

test('function invocations: newest first, limited, with status and trigger; unknown function 404', async () => {
  await call('POST', '/api/v1/functions/echo/invoke', { name: 'a' });
  await call('POST', '/api/v1/functions/echo/invoke', { name: 'b' });
  type Invocations = { invocations: Array<{ requestId: string; startedAt: string; durationMs: number; status: string; trigger?: string }> };
  const all = await call<Invocations>('GET', '/api/v1/functions/echo/invocations', undefined, reader);
  assert.equal(all.status, 200);
  assert.equal(all.body.invocations.length, 2);
  assert.ok(all.body.invocations.every((i) => i.status === 'ok' && i.trigger === 'api' && !Number.isNaN(Date.parse(i.startedAt))));
  assert.ok((all.body.invocations[0]?.startedAt ?? '') >= (all.body.invocations[1]?.startedAt ?? ''));
  const one = await call<Invocations>('GET', '/api/v1/functions/echo/invocations?limit=1');
  assert.deepEqual(one.body.invocations.map((i) => i.requestId), [all.body.invocations[0]?.requestId]);
  assert.equal((await call('GET', '/api/v1/functions/echo/invocations?limit=0')).status, 400);
  assert.equal((await call('GET', '/api/v1/functions/nope/invocations')).status, 404);
});

test('certificate bundle: a zip with the device files and endpoints.json, for an ACTIVE certificate attached to the thing and policy', async () => {
  await registry.putThing('sensor-9');
  await registry.putPolicy('sensor-policy', POLICY);
  assert.equal((await call('POST', '/api/v1/things/sensor-9/certificate-bundle', {}, reader)).status, 403);
  const missingThing = await call<{ error: { code: string } }>('POST', '/api/v1/things/nope/certificate-bundle', {});
  assert.equal(missingThing.status, 404);
  const missingPolicy = await call<{ error: { place: { field: string } } }>('POST', '/api/v1/things/sensor-9/certificate-bundle', { policyName: 'nope' });
  assert.equal(missingPolicy.status, 404);
  assert.equal(missingPolicy.body.error.place.field, 'policyName');
  assert.equal((await registry.listCertificates()).length, 0, 'refused requests create no certificate');

  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/things/sensor-9/certificate-bundle',
    headers: { authorization: `Bearer ${admin}` },
    payload: { policyName: 'sensor-policy' },
  });
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers['content-type'], 'application/zip');
  assert.equal(response.headers['content-disposition'], 'attachment; filename="sensor-9-certificates.zip"');
  assert.equal(response.headers['cache-control'], 'no-store');
  const certificateId = String(response.headers['x-sluice-certificate-id']);
  const files = unzipSync(new Uint8Array(response.rawPayload));
  assert.deepEqual(Object.keys(files).sort(), ['certificate.pem.crt', 'endpoints.json', 'private.pem.key', 'root-ca.pem']);
  const text = (name: string) => strFromU8(files[name] ?? new Uint8Array());
  const certificate = new X509Certificate(text('certificate.pem.crt'));
  assert.ok(certificate.verify(new X509Certificate(text('root-ca.pem')).publicKey), 'issued by the root CA in the bundle');
  assert.equal(text('root-ca.pem'), registry.caCertificatePem);
  const publicOfKey = createPublicKey(createPrivateKey(text('private.pem.key'))).export({ type: 'spki', format: 'der' });
  assert.deepEqual(publicOfKey, certificate.publicKey.export({ type: 'spki', format: 'der' }), 'the key is the certificate\'s');
  assert.deepEqual(JSON.parse(text('endpoints.json')), ENDPOINTS);

  const record = await registry.describeCertificate(certificateId);
  assert.equal(record?.status, 'ACTIVE');
  assert.deepEqual(await registry.listPrincipalThings(certificateId), ['sensor-9']);
  assert.deepEqual((await registry.listAttachedPolicies(certificateId)).map((p) => p.policyName), ['sensor-policy']);
});

test('things carry their connection state', async () => {
  await registry.putThing('sensor-7');
  type ThingView = { thingName: string; connection: { connected: boolean; clientIds: string[]; lastConnectedAt: string | null; lastDisconnectedAt: string | null } };
  const offline = await call<ThingView>('GET', '/api/v1/things/sensor-7', undefined, reader);
  assert.deepEqual(offline.body.connection, { connected: false, clientIds: [], lastConnectedAt: null, lastDisconnectedAt: null });
  tracker.record({ eventType: 'connected', clientId: 'sensor-7', sessionIdentifier: 's7', principalIdentifier: undefined, timestamp: Date.UTC(2026, 1, 2), ipAddress: undefined, versionNumber: 1 });
  const online = await call<ThingView>('GET', '/api/v1/things/sensor-7');
  assert.deepEqual(online.body.connection, { connected: true, clientIds: ['sensor-7'], lastConnectedAt: '2026-02-02T00:00:00.000Z', lastDisconnectedAt: null });
  const list = await call<{ things: ThingView[] }>('GET', '/api/v1/things');
  assert.equal(list.body.things.find((t) => t.thingName === 'sensor-7')?.connection.connected, true);
  assert.ok(list.body.things.every((t) => typeof t.connection.connected === 'boolean'));
});
