/**
 * The trace of a message end to end: the reference stack in a real server
 * (child process), a real SMTP server for the mail, a real MQTT client. A
 * low-humidity reading's trace shows rule 1's stored object (downloadable
 * through the API), rule 2's function invocation (its logs found by request
 * id) and the alert the function published, with its email delivery.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import type { TraceDetail, TraceSummary } from '../src/trace/index.js';
import { MailCatcher, findLink } from './support/smtp.js';
import { SluiceServer } from './support/sluice-process.js';

const ALERT_SUBJECT = 'Attention:Humidity Under Threshold';
const SUBSCRIBER = 'trace-alerts@example.org';
const TOPIC = 'device/soilSensor2/devicePayload';

let dataDir: string;
let mail: MailCatcher;
let server: SluiceServer;
let device: MqttClient;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-trace-e2e-'));
  mail = new MailCatcher();
  const smtpUrl = await mail.start();
  server = await SluiceServer.start(dataDir, ['--stack', 'stacks/soil-moisture.yaml', '--param', `alertEmail=${SUBSCRIBER}`, '--smtp', smtpUrl, '--insecure']);
  assert.ok(server.endpoints.mqtt, 'insecure mode offers a plaintext MQTT endpoint');
  // Alerts flow only to a confirmed subscription.
  const confirmation = await mail.waitFor((m) => m.to.includes(SUBSCRIBER) && /confirm/i.test(m.subject));
  assert.equal((await fetch(findLink(confirmation.text, '/notify/confirm/'))).status, 200);
  device = await mqtt.connectAsync(server.endpoints.mqtt, { clientId: 'soilSensor2', reconnectPeriod: 0 });
});

after(async () => {
  await device?.endAsync();
  if (server) await server.stop('SIGKILL');
  await mail?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

function reading(humidity: number): string {
  const now = Date.now();
  return JSON.stringify({ name: 'soilSensor2', humidity, timeStampEpoch: now, timeStampIso: new Date(now).toISOString() });
}

/** The trace of the message with this payload, found through the list. */
async function traceOf(payload: string): Promise<TraceDetail> {
  const { traces } = await server.api<{ traces: TraceSummary[] }>(`/api/v1/traces?clientId=soilSensor2&topic=${encodeURIComponent('device/+/devicePayload')}`);
  const summary = traces.find((t) => t.payload.text === payload);
  assert.ok(summary, `no trace with payload ${payload} among ${JSON.stringify(traces.map((t) => t.payload))}`);
  assert.equal(summary.topic, TOPIC);
  assert.equal(summary.qos, 1);
  assert.equal(summary.payload.truncated, false);
  return server.api<TraceDetail>(`/api/v1/traces/${encodeURIComponent(summary.messageId)}`);
}

test('a low reading: rule 1 stored object, rule 2 function invocation, and the alert email delivery', async () => {
  const payload = reading(29);
  await device.publishAsync(TOPIC, payload, { qos: 1 });
  await server.settle();
  const trace = await traceOf(payload);

  assert.equal(trace.status, 'ok', JSON.stringify(trace, null, 2));
  assert.deepEqual([...trace.rulesMatched].sort(), ['SoilHumidityAlertRule', 'SoilHumidityReadingsRule', 'SoilHumidityTestRule']);
  for (const rule of trace.rules) assert.ok(rule.evaluationMs >= 0, `${rule.rule} has an evaluation time`);
  const rule = (name: string) => {
    const found = trace.rules.find((r) => r.rule === name);
    assert.ok(found, `rule ${name} in the trace`);
    assert.equal(found.actions.length, 1);
    const [action] = found.actions;
    assert.ok(action);
    assert.equal(action.status, 'ok');
    assert.equal(action.attempts, 1);
    assert.ok(action.completedAt && Date.parse(action.completedAt) >= Date.parse(action.enqueuedAt), 'completed after it was queued');
    assert.ok(action.durationMs !== null && action.durationMs >= 0);
    return action;
  };

  // Rule 1: the object it wrote, downloadable byte for byte.
  const stored = rule('SoilHumidityTestRule');
  assert.equal(stored.kind, 's3');
  assert.equal(stored.target, 'rule-filter-bucket');
  assert.equal(stored.result?.bucket, 'rule-filter-bucket');
  assert.match(stored.result?.key ?? '', /^device\/soilSensor2\/devicePayload\/\d{13}$/);
  const key = (stored.result?.key ?? '').split('/').map(encodeURIComponent).join('/');
  const object = await fetch(`${server.endpoints.http}/api/v1/buckets/rule-filter-bucket/objects/${key}`);
  assert.equal(object.status, 200);
  assert.equal(await object.text(), payload);

  // Rule 2: the invocation, whose logs are found by its request id.
  const invoked = rule('SoilHumidityAlertRule');
  assert.equal(invoked.kind, 'lambda');
  assert.equal(invoked.result?.functionName, 'humidity-alert');
  const requestId = invoked.result?.requestId;
  assert.ok(requestId);
  const logs = await server.api<{ lines: Array<{ requestId: string | null; message: string }> }>(
    `/api/v1/functions/humidity-alert/logs?requestId=${encodeURIComponent(requestId)}`,
  );
  assert.ok(logs.lines.length > 0, 'the invocation logged');
  assert.ok(logs.lines.every((line) => line.requestId === requestId));
  assert.ok(logs.lines.some((line) => line.message.startsWith(`START RequestId: ${requestId}`)));

  // The alert the function published, with its email delivery.
  assert.equal(invoked.result?.notificationMessageIds?.length, 1);
  const notificationId = invoked.result?.notificationMessageIds?.[0];
  assert.ok(logs.lines.some((line) => line.message.includes(`alert ${notificationId} sent for soilSensor2`)), 'the function logged the message id it got');
  assert.equal(trace.notifications.length, 1);
  const [notification] = trace.notifications;
  assert.equal(notification?.messageId, notificationId);
  assert.equal(notification?.topic, 'humidity-alerts');
  assert.equal(notification?.subject, ALERT_SUBJECT);
  assert.equal(notification?.publishedBy, 'function:humidity-alert');
  assert.equal(notification?.deliveries.length, 1);
  const delivery = notification?.deliveries[0];
  assert.equal(delivery?.protocol, 'email');
  assert.equal(delivery?.endpoint, SUBSCRIBER);
  assert.equal(delivery?.status, 'delivered');
  const email = mail.messages.find((m) => m.subject === ALERT_SUBJECT && m.to.includes(SUBSCRIBER));
  assert.ok(email, 'the alert email arrived');
  assert.ok(email.text.startsWith('Humidity 29 under threshold for device name soilSensor2'));

  assert.equal(rule('SoilHumidityReadingsRule').kind, 'timeseries');
});

test('a normal reading: stored and kept as a reading, but the alert rule did not match it', async () => {
  const payload = reading(41);
  await device.publishAsync(TOPIC, payload, { qos: 1 });
  await server.settle();
  const trace = await traceOf(payload);
  assert.equal(trace.status, 'ok');
  assert.deepEqual([...trace.rulesMatched].sort(), ['SoilHumidityReadingsRule', 'SoilHumidityTestRule']);
  assert.deepEqual(trace.notifications, []);
});

test('a message on a topic no rule reads has status no-rules; an unknown message id is a 404', async () => {
  await device.publishAsync('device/soilSensor2/other', 'hello', { qos: 1 });
  await server.settle();
  const { traces } = await server.api<{ traces: TraceSummary[] }>('/api/v1/traces?topic=device/soilSensor2/other');
  assert.equal(traces.length, 1);
  assert.equal(traces[0]?.status, 'no-rules');
  assert.deepEqual(traces[0]?.payload, { text: 'hello', truncated: false });
  const missing = await fetch(`${server.endpoints.http}/api/v1/traces/not-a-message`);
  assert.equal(missing.status, 404);
  assert.match(((await missing.json()) as { error: { message: string } }).error.message, /no trace of message "not-a-message"/);
});
