/**
 * The traces API in-process (fastify inject): a real TraceRing, and a real
 * NotificationService whose outbox is the action queue run by a real
 * executor, so a traced notification's deliveries are joined from it.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import Fastify from 'fastify';
import { ActionExecutor, createMemoryActionQueue } from '../actions/index.js';
import { notificationDeliverer, notificationOutbox } from '../app/notify-outbox.js';
import { Metrics, silentLogger } from '../core/index.js';
import { NotificationService, createMemoryTransport } from '../notify/index.js';
import { TokenStore } from '../registry/index.js';
import { createMemoryStateStore } from '../state/index.js';
import { TraceRing, type TraceDetail, type TraceSummary, type TracedJob } from '../trace/index.js';
import { installAuth } from './auth.js';
import { installErrorHandler } from './errors.js';
import { traceRoutes } from './routes-traces.js';

const SUBJECT = 'Attention:Humidity Under Threshold';
const JOB = 'm1:SoilHumidityAlertRule:0';
const NOTHING = { matchedRules: [], failures: [] };

/** The ring as the server makes it, for jobs that say their kind and target. */
function traceRing(capacity: number): TraceRing<TracedJob & { kind: string; target: string }> {
  return new TraceRing(capacity, { kind: (job) => job.kind, target: (job) => job.target });
}

async function harness(t: TestContext, options: { tracing?: boolean } = {}) {
  const state = createMemoryStateStore();
  const mail = createMemoryTransport();
  const metrics = new Metrics({ defaultMetrics: false });
  const notify = new NotificationService({ state, transport: mail, publicUrl: 'http://127.0.0.1:8080', from: 'Sluice <no-reply@sluice.local>', logger: silentLogger() });
  const queue = createMemoryActionQueue();
  const executor = new ActionExecutor({
    queue,
    logger: silentLogger(),
    metrics,
    idlePollMs: 20,
    ports: {
      objects: { putObject: async () => {} },
      functions: { invokeAsync: async () => ({ ok: true }) },
      broker: { publish: async () => {} },
      notifications: notificationDeliverer(notify, metrics),
    },
  });
  notify.setOutbox(notificationOutbox(executor, queue));
  await executor.start();
  const traces = options.tracing === false ? undefined : traceRing(3);
  const tokens = new TokenStore(state);
  const reader = (await tokens.create({ name: 'console', scope: 'read-only' })).token;
  const app = Fastify();
  installErrorHandler(app);
  installAuth(app, { tokens, insecure: false });
  await app.register(traceRoutes, { traces, notify });
  await app.ready();
  t.after(async () => {
    await app.close();
    await executor.stop();
    await queue.close();
  });
  const get = async (url: string) => app.inject({ url, headers: { authorization: `Bearer ${reader}` } });
  return { app, notify, mail, traces, get };
}

function receive(ring: ReturnType<typeof traceRing>, n: number, topic = `device/soilSensor${n}/devicePayload`): void {
  ring.record(`m${n}`, { topic, clientId: `soilSensor${n}`, qos: 1, receivedAt: Date.UTC(2020, 7, 27) + n, payload: Buffer.from(`{"humidity":${20 + n}}`) }, NOTHING, [], Date.now());
}

test('GET /api/v1/traces: summaries newest first, filtered by topic (or filter) and client id, bounded by limit', async (t) => {
  const { traces, get } = await harness(t);
  assert.ok(traces);
  for (let n = 1; n <= 4; n++) receive(traces, n);
  const all = await get('/api/v1/traces');
  assert.equal(all.statusCode, 200);
  const body = all.json() as { traces: TraceSummary[]; capacity: number };
  assert.equal(body.capacity, 3);
  assert.deepEqual(body.traces.map((s) => s.messageId), ['m4', 'm3', 'm2'], 'm1 aged out of a ring of 3');
  assert.deepEqual(body.traces[0], {
    messageId: 'm4',
    topic: 'device/soilSensor4/devicePayload',
    clientId: 'soilSensor4',
    qos: 1,
    receivedAt: '2020-08-27T00:00:00.004Z',
    payload: { text: '{"humidity":24}', truncated: false },
    rulesMatched: [],
    status: 'no-rules',
  });
  const ids = async (url: string) => ((await get(url)).json() as { traces: TraceSummary[] }).traces.map((s) => s.messageId);
  assert.deepEqual(await ids('/api/v1/traces?topic=device/soilSensor3/devicePayload'), ['m3']);
  assert.deepEqual(await ids(`/api/v1/traces?topic=${encodeURIComponent('device/+/devicePayload')}&limit=2`), ['m4', 'm3']);
  assert.deepEqual(await ids('/api/v1/traces?clientId=soilSensor2'), ['m2']);
});

test('GET /api/v1/traces: bad query fields are refused naming the field', async (t) => {
  const { get } = await harness(t);
  const cases: Array<[string, RegExp]> = [
    ['limit=0', /^limit: limit must be at least 1$/],
    ['limit=abc', /^limit: /],
    ['limit=5000', /^limit: limit must be at most 1000$/],
    [`topic=${encodeURIComponent('device/#/x')}`, /^topic: .*'#' only last/],
    [`topic=${encodeURIComponent('device/a+')}`, /^topic: /],
    ['since=1h', /since/],
  ];
  for (const [query, message] of cases) {
    const response = await get(`/api/v1/traces?${query}`);
    assert.equal(response.statusCode, 400, query);
    const error = (response.json() as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'SLUICE_ERR_REQUEST_INVALID');
    assert.match(error.message, message, query);
  }
});

test('GET /api/v1/traces/:messageId: rules, actions and the notification with its deliveries from the notification service', async (t) => {
  const { traces, notify, mail, get } = await harness(t);
  assert.ok(traces);
  await notify.createTopic('humidity-alerts');
  await notify.subscribe('humidity-alerts', { protocol: 'email', endpoint: 'alerts@example.org' });
  const token = /\/notify\/confirm\/([A-Za-z0-9_-]+)/.exec(mail.sent.at(-1)?.text ?? '')?.[1];
  assert.ok(token);
  const subscription = await notify.confirm(token);

  traces.record(
    'm1',
    { topic: 'device/soilSensor1/devicePayload', clientId: 'soilSensor1', qos: 1, receivedAt: Date.now(), payload: Buffer.from('{"humidity":29}') },
    { matchedRules: ['SoilHumidityAlertRule'], failures: [], evaluated: ['SoilHumidityAlertRule'], evaluationMs: [0.05] },
    [{ id: JOB, ruleName: 'SoilHumidityAlertRule', actionIndex: 0, kind: 'lambda', target: 'humidity-alert' }],
    Date.now(),
  );
  // What the server does when the function's sns.publish comes back: the invocation's request id is the job id.
  const published = await notify.publish({ topic: 'humidity-alerts', subject: SUBJECT, message: 'Humidity 29 under threshold for device name soilSensor1' });
  traces.notificationPublished(JOB, { messageId: published.messageId, topic: 'humidity-alerts', subject: SUBJECT });
  traces.attempted(JOB, { outcome: 'ok', attempts: 1, startedAt: Date.now() - 5, finishedAt: Date.now(), result: { functionName: 'humidity-alert', requestId: JOB } });

  const deadline = Date.now() + 10_000;
  let detail: TraceDetail;
  for (;;) {
    const response = await get('/api/v1/traces/m1');
    assert.equal(response.statusCode, 200);
    detail = response.json() as TraceDetail;
    if (detail.notifications[0]?.deliveries[0]?.status === 'delivered') break;
    assert.ok(Date.now() < deadline, `the delivery never showed as delivered: ${JSON.stringify(detail.notifications)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(detail.status, 'ok');
  assert.deepEqual(detail.rulesMatched, ['SoilHumidityAlertRule']);
  assert.deepEqual(detail.rules[0]?.actions[0]?.result, { functionName: 'humidity-alert', requestId: JOB, notificationMessageIds: [published.messageId] });
  const [notification] = detail.notifications;
  assert.equal(notification?.messageId, published.messageId);
  assert.equal(notification?.publishedBy, 'function:humidity-alert');
  assert.equal(notification?.subject, SUBJECT);
  assert.equal(notification?.deliveries.length, 1);
  const delivery = notification?.deliveries[0];
  assert.equal(delivery?.subscriptionId, subscription.id);
  assert.equal(delivery?.protocol, 'email');
  assert.equal(delivery?.endpoint, 'alerts@example.org');
  assert.ok(!Number.isNaN(Date.parse(delivery?.at ?? '')), 'at is a time');
  assert.ok(mail.sent.some((m) => m.subject === SUBJECT && m.to === 'alerts@example.org'));
});

test('GET /api/v1/traces/:messageId: 404 naming the id for an unknown or aged-out message', async (t) => {
  const { traces, get } = await harness(t);
  assert.ok(traces);
  for (let n = 1; n <= 4; n++) receive(traces, n);
  for (const id of ['m1', 'nope']) {
    const response = await get(`/api/v1/traces/${id}`);
    assert.equal(response.statusCode, 404);
    const error = (response.json() as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'SLUICE_ERR_NOT_FOUND');
    assert.match(error.message, new RegExp(`no trace of message "${id}".*last 3 messages`));
  }
});

test('with tracing off the list is empty with capacity 0, and a trace is a 404 that says why', async (t) => {
  const { get } = await harness(t, { tracing: false });
  assert.deepEqual((await get('/api/v1/traces')).json(), { traces: [], capacity: 0 });
  const response = await get('/api/v1/traces/m1');
  assert.equal(response.statusCode, 404);
  assert.match((response.json() as { error: { message: string } }).error.message, /tracing is off.*--trace-messages 0/);
});

test('the traces API needs a token', async (t) => {
  const { app } = await harness(t);
  assert.equal((await app.inject({ url: '/api/v1/traces' })).statusCode, 401);
  assert.equal((await app.inject({ url: '/api/v1/traces/m1' })).statusCode, 401);
});
