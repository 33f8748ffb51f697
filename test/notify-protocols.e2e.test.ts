/**
 * The notification protocols end to end, through `sluice up` and a stack file
 * (test/fixtures/notify-protocols.yaml): an http subscriber (this test's
 * node:http server) confirms by GETting its SubscribeURL, then gets signed
 * SNS envelopes whose signature checks out against the certificate the
 * server serves at /notify/signing-cert.pem; an mqtt subscription republishes
 * the message; a function subscription gets SNS's Lambda event; a filter
 * policy keeps messages from the subscription it does not match.
 */
import assert from 'node:assert/strict';
import { createVerify } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import mqtt from 'mqtt';
import type { PublishResult, Subscription } from '../src/notify/index.js';
import { SluiceServer } from './support/sluice-process.js';
import { until as untilWithin } from './support/wait.js';

let dataDir = '';
let server: SluiceServer | undefined;
let hook: http.Server | undefined;
let client: mqtt.MqttClient | undefined;
after(async () => {
  await client?.endAsync();
  await server?.stop('SIGTERM');
  hook?.closeAllConnections();
  await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const until = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> => untilWithin(what, check, timeoutMs, 50);

/** AWS's documented string to sign, checked with node:crypto (not Sluice's signing code). */
function verifySnsSignature(message: Record<string, unknown>, certificatePem: string): boolean {
  const m = message as Record<string, string>;
  const keys = m.Type === 'Notification'
    ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
    : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const text = keys.filter((key) => key in m).map((key) => `${key}\n${m[key]}\n`).join('');
  return createVerify(m.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256').update(text, 'utf8').verify(certificatePem, String(m.Signature), 'base64');
}

test('http, mqtt and function subscriptions from a stack file: handshake, signed envelopes, filter policies, attributes', { timeout: 120_000 }, async () => {
  const received: Array<{ headers: http.IncomingHttpHeaders; message: Record<string, unknown> }> = [];
  let failNext = 1;
  hook = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', async () => {
      const message = JSON.parse(body) as Record<string, unknown>;
      received.push({ headers: request.headers, message });
      if (message.Type === 'SubscriptionConfirmation') {
        const confirmed = await fetch(String(message.SubscribeURL));
        assert.equal(confirmed.status, 200);
        return void response.end();
      }
      // The first notification fails with a 500: SNS's rule retries it.
      if (failNext-- > 0) return void response.writeHead(500).end('try later');
      response.end();
    });
  });
  await new Promise<void>((resolve) => hook?.listen(0, '127.0.0.1', resolve));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;

  dataDir = await mkdtemp(join(tmpdir(), 'sluice-notify-protocols-'));
  server = await SluiceServer.start(dataDir, ['--stack', 'test/fixtures/notify-protocols.yaml', '--param', `hook=${hookUrl}`, '--insecure']);
  const running = server;

  const subscriptions = async () => (await running.api<{ subscriptions: Subscription[] }>('/api/v1/topics/alerts/subscriptions')).subscriptions;
  await until('every subscription confirmed', async () => (await subscriptions()).every((s) => s.status === 'confirmed'));
  const listed = await subscriptions();
  assert.deepEqual(listed.map((s) => [s.protocol, s.endpoint]).sort(), [
    ['function', 'sns-echo'], ['http', hookUrl], ['mqtt', 'alerts/all'], ['mqtt', 'alerts/high'],
  ].sort());
  assert.deepEqual(listed.find((s) => s.endpoint === 'alerts/high')?.filterPolicy, { severity: ['high'] });
  assert.deepEqual(listed.find((s) => s.protocol === 'http')?.deliveryPolicy, { healthyRetryPolicy: { numRetries: 3, minDelayTarget: 1, maxDelayTarget: 1 } });
  const confirmation = received[0]?.message;
  assert.equal(confirmation?.Type, 'SubscriptionConfirmation');

  // The signing certificate is public, where the envelopes say it is.
  const certUrl = String(confirmation?.SigningCertURL);
  assert.equal(certUrl, `${running.endpoints.http}/notify/signing-cert.pem`);
  const certResponse = await fetch(certUrl);
  assert.equal(certResponse.status, 200);
  const certificatePem = await certResponse.text();
  assert.match(certificatePem, /^-----BEGIN CERTIFICATE-----/);
  assert.ok(confirmation && verifySnsSignature(confirmation, certificatePem));

  const mqttUrl = running.endpoints.mqtt;
  assert.ok(mqttUrl);
  client = await mqtt.connectAsync(mqttUrl, { clientId: 'notify-protocols-e2e' });
  const onMqtt: Array<{ topic: string; payload: string }> = [];
  client.on('message', (topic, payload) => onMqtt.push({ topic, payload: payload.toString() }));
  await client.subscribeAsync(['alerts/#', 'echo/sns'], { qos: 1 });

  const publish = (body: unknown) => running.api<PublishResult>('/api/v1/topics/alerts/publish', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const low = await publish({ message: 'Humidity 31', subject: 'Low', messageAttributes: { severity: { DataType: 'String', StringValue: 'low' } } });
  assert.equal(low.filtered, 1, 'alerts/high does not match severity low');
  assert.equal(low.deliveries.length, 3);
  const high = await publish({
    message: JSON.stringify({ default: 'Humidity 12', mqtt: '{"humidity":12}' }), messageStructure: 'json', subject: 'High',
    messageAttributes: { severity: { DataType: 'String', StringValue: 'high' }, humidity: { DataType: 'Number', StringValue: '12' } },
  });
  assert.equal(high.filtered, 0);

  await until('both notifications at the hook (one retried) and on MQTT', () =>
    received.filter((r) => r.message.Type === 'Notification').length >= 3 && onMqtt.filter((m) => m.topic === 'echo/sns').length >= 2 && onMqtt.length >= 5);
  const notifications = received.filter((r) => r.message.Type === 'Notification');
  assert.deepEqual(notifications.map((n) => n.message.MessageId).sort(), [low.messageId, low.messageId, high.messageId].sort(), 'the 500 was retried');
  const highAtHook = notifications.find((n) => n.message.MessageId === high.messageId);
  assert.ok(highAtHook);
  assert.equal(highAtHook.message.Message, 'Humidity 12');
  assert.equal(highAtHook.message.Subject, 'High');
  assert.deepEqual(highAtHook.message.MessageAttributes, { severity: { Type: 'String', Value: 'high' }, humidity: { Type: 'Number', Value: '12' } });
  assert.equal(highAtHook.headers['x-amz-sns-message-type'], 'Notification');
  assert.ok(verifySnsSignature(highAtHook.message, certificatePem));

  assert.deepEqual(onMqtt.filter((m) => m.topic.startsWith('alerts/')).map((m) => [m.topic, m.payload]).sort(), [
    ['alerts/all', 'Humidity 31'], ['alerts/all', '{"humidity":12}'], ['alerts/high', '{"humidity":12}'],
  ].sort());
  const events = onMqtt.filter((m) => m.topic === 'echo/sns').map((m) => JSON.parse(m.payload) as { Records: Array<{ EventSource: string; Sns: Record<string, unknown> }> });
  const echoed = events.find((e) => e.Records[0]?.Sns.MessageId === high.messageId)?.Records[0];
  assert.equal(echoed?.EventSource, 'aws:sns');
  assert.equal(echoed?.Sns.Message, 'Humidity 12');
  assert.ok(echoed && verifySnsSignature({ ...echoed.Sns }, certificatePem));

  const status = await running.api<{ deliveries: Array<{ endpoint?: string; status: string; attempts: number }> }>(`/api/v1/notifications/messages/${low.messageId}`);
  assert.deepEqual(status.deliveries.find((d) => d.endpoint === hookUrl), { ...status.deliveries.find((d) => d.endpoint === hookUrl), status: 'delivered', attempts: 2 });

  // Attribute errors are the API's 400s, naming the field.
  const bad = await fetch(`${running.endpoints.http}/api/v1/topics/alerts/publish`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'x', messageAttributes: { 'AWS.x': { DataType: 'String', StringValue: 'y' } } }),
  });
  assert.equal(bad.status, 400);
  const error = ((await bad.json()) as { error: { code: string; place?: { field?: string } } }).error;
  assert.deepEqual([error.code, error.place?.field], ['SLUICE_ERR_REQUEST_INVALID', 'messageAttributes["AWS.x"]']);
});
