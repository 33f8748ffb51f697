import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { installErrorHandler } from './errors.js';
import { ruleTestRoutes } from './routes-rules-test.js';

const TOPIC = 'device/soilSensor2/devicePayload';
const SAMPLE = { name: 'soilSensor2', humidity: 29, timeStampEpoch: 1598536072677 };
const ALERT = "SELECT * FROM 'device/+/devicePayload' WHERE humidity < 35";

async function post(body: unknown) {
  const app = Fastify();
  installErrorHandler(app);
  await app.register(ruleTestRoutes);
  try {
    const response = await app.inject({ method: 'POST', url: '/api/v1/rules/test', payload: body as object });
    return { status: response.statusCode, body: response.json() as Record<string, unknown> };
  } finally {
    await app.close();
  }
}

test('a matching rule answers the output value and its bytes', async () => {
  const payload = JSON.stringify(SAMPLE);
  const { status, body } = await post({ sql: ALERT, topic: TOPIC, payload });
  assert.equal(status, 200);
  assert.deepEqual(body, { matched: true, output: SAMPLE, outputBase64: Buffer.from(payload).toString('base64') });
});

test('SELECT expressions and topic() see the message context', async () => {
  const { body } = await post({
    sql: "SELECT name, topic(2) AS device, clientid() AS c, timestamp() AS t FROM 'device/+/devicePayload'",
    topic: TOPIC,
    payload: JSON.stringify(SAMPLE),
    clientId: 'sim-2',
    timestamp: 1598536072677,
  });
  assert.deepEqual(body.output, { name: 'soilSensor2', device: 'soilSensor2', c: 'sim-2', t: 1598536072677 });
});

test('a false WHERE clause answers matched: false', async () => {
  const { status, body } = await post({ sql: ALERT, topic: TOPIC, payload: JSON.stringify({ ...SAMPLE, humidity: 40 }) });
  assert.equal(status, 200);
  assert.deepEqual(body, { matched: false });
});

test('a topic outside the FROM filter answers matched: false', async () => {
  const { body } = await post({ sql: ALERT, topic: 'other/soilSensor2/devicePayload', payload: JSON.stringify(SAMPLE) });
  assert.deepEqual(body, { matched: false });
});

test('a binary payload passes through SELECT * byte for byte', async () => {
  const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe]);
  const { body } = await post({ sql: "SELECT * FROM 'device/+/devicePayload'", topic: TOPIC, payloadBase64: bytes.toString('base64') });
  assert.equal(body.matched, true);
  assert.equal(body.output, undefined);
  assert.equal(body.outputBase64, bytes.toString('base64'));
});

test('invalid SQL is a 400 with the catalog error and its place', async () => {
  const { status, body } = await post({ sql: "SELECT * FROM 'device/+/devicePayload' WHERE", topic: TOPIC, payload: '{}' });
  assert.equal(status, 400);
  const error = body.error as { code: string; message: string; place: { line: number; column: number } };
  assert.equal(error.code, 'SLUICE_ERR_RULE_SQL_SYNTAX');
  assert.deepEqual(error.place, { line: 1, column: 45 });
  assert.match(error.message, /expected/);
});

test('a non-JSON payload has no attributes: a WHERE clause on them does not match (AWS binary payloads)', async () => {
  const { status, body } = await post({ sql: ALERT, topic: TOPIC, payload: 'not json' });
  assert.equal(status, 200);
  assert.deepEqual(body, { matched: false });
});

test('SELECT * with added fields on a non-JSON payload is a 400 naming the way out', async () => {
  const { status, body } = await post({ sql: "SELECT *, topic() AS t FROM 'device/+/devicePayload'", topic: TOPIC, payload: 'not json' });
  assert.equal(status, 400);
  const error = body.error as { code: string; message: string };
  assert.equal(error.code, 'SLUICE_ERR_PAYLOAD_NOT_JSON');
  assert.match(error.message, /encode\(\*, 'base64'\)/);
});

test('an invalid body is a 400 naming the field', async () => {
  const cases: Array<[unknown, string]> = [
    [{ topic: TOPIC, payload: '{}' }, 'sql'],
    [{ sql: ALERT, topic: TOPIC, payload: '{}', extra: 1 }, ''],
    [{ sql: ALERT, topic: TOPIC, payload: '{}', timestamp: 'now' }, 'timestamp'],
    [{ sql: ALERT, topic: TOPIC }, 'payload'],
    [{ sql: ALERT, topic: TOPIC, payload: '{}', payloadBase64: 'e30=' }, 'payload'],
    [{ sql: ALERT, topic: 'device/+/devicePayload', payload: '{}' }, 'topic'],
  ];
  for (const [request, field] of cases) {
    const { status, body } = await post(request);
    assert.equal(status, 400, JSON.stringify(request));
    const error = body.error as { code: string; place?: { field?: string } };
    assert.equal(error.code, 'SLUICE_ERR_REQUEST_INVALID', JSON.stringify(request));
    if (field) assert.equal(error.place?.field, field, JSON.stringify(request));
  }
});
