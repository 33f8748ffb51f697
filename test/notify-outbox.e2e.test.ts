/**
 * The notification outbox end to end: the SMTP server is down while alerts
 * are published under load (through the API, and by the reference stack's
 * alert function for low readings), the server is killed with SIGKILL while
 * it is still down and restarted on the same data dir, then SMTP comes back.
 * Every notification is delivered exactly once (one mail per Message-ID,
 * none handed over twice), delivery status says so, nothing is dead-lettered.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import mqtt from 'mqtt';
import type { ActionStatus, DeadLetterView } from '../src/actions/index.js';
import type { DeliveryState, MessageStatus, PublishResult, Subscription } from '../src/notify/index.js';
import { MailCatcher, findLink } from './support/smtp.js';
import { SluiceServer, runCli } from './support/sluice-process.js';
import { until } from './support/wait.js';

const SUBSCRIBER = 'outbox@example.org';
const TOPIC = 'humidity-alerts';
const NOTIFY_RULE = `$notify/${TOPIC}`;
const API_MESSAGES = 50;
const LOW_READINGS = 20;
const ALERT_SUBJECT = 'Attention:Humidity Under Threshold';

let dataDir = '';
const servers: SluiceServer[] = [];
const catchers: MailCatcher[] = [];
after(async () => {
  for (const server of servers) await server.stop('SIGKILL');
  for (const catcher of catchers) await catcher.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const notifyRow = async (server: SluiceServer) => (await server.api<ActionStatus>('/api/v1/status')).rules.find((r) => r.rule === NOTIFY_RULE);

test('SMTP down, a SIGKILL, SMTP back: every queued notification is delivered exactly once', { timeout: 240_000 }, async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-outbox-'));
  const firstMail = new MailCatcher();
  catchers.push(firstMail);
  await firstMail.start();
  const smtpPort = firstMail.port;
  const args = ['--stack', 'stacks/soil-moisture.yaml', '--param', `alertEmail=${SUBSCRIBER}`, '--smtp', `smtp://127.0.0.1:${smtpPort}`, '--insecure'];

  const first = await SluiceServer.start(dataDir, args);
  servers.push(first);
  const confirmation = await firstMail.waitFor((m) => m.to.includes(SUBSCRIBER));
  assert.equal((await fetch(findLink(confirmation.text, '/notify/confirm/'))).status, 200);
  const [subscription] = (await first.api<{ subscriptions: Subscription[] }>(`/api/v1/topics/${TOPIC}/subscriptions`)).subscriptions;
  assert.ok(subscription?.status === 'confirmed');

  // ---- SMTP goes down; notifications keep being published ----
  await firstMail.stop();
  const published: string[] = [];
  const publishOne = async (i: number): Promise<void> => {
    const result = await first.api<PublishResult>(`/api/v1/topics/${TOPIC}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject: `outbox ${i}`, message: `notification number ${i}` }),
    });
    assert.deepEqual(result.deliveries.map((d) => [d.subscriptionId, d.status]), [[subscription.id, 'queued']], 'accepted into the outbox although SMTP is down');
    published.push(result.messageId);
  };
  let next = 0;
  await Promise.all(Array.from({ length: 10 }, async () => {
    while (next < API_MESSAGES) await publishOne(next++);
  }));
  assert.equal(published.length, API_MESSAGES);

  assert.ok(first.endpoints.mqtt);
  const device = await mqtt.connectAsync(first.endpoints.mqtt, { clientId: 'outbox-load', reconnectPeriod: 0 });
  try {
    for (let seq = 1; seq <= LOW_READINGS; seq++) {
      await device.publishAsync(`device/outbox-${seq}/devicePayload`, JSON.stringify({ name: `outbox-${seq}`, humidity: 20, timeStampEpoch: seq, timeStampIso: new Date(seq).toISOString() }), { qos: 1 });
    }
  } finally {
    await device.endAsync();
  }

  // Every delivery has failed at least once, and the alert function did not fail for it.
  await until('every delivery attempted and retrying', async () => ((await notifyRow(first))?.retried ?? 0) >= API_MESSAGES + LOW_READINGS, 60_000);
  const beforeKill = await first.api<ActionStatus>('/api/v1/status');
  assert.deepEqual(beforeKill.rules.find((r) => r.rule === 'SoilHumidityAlertRule')?.retried ?? 0, 0, 'the function invocations succeeded: their mail waits in the outbox');
  const waiting = await first.api<MessageStatus>(`/api/v1/notifications/messages/${published[0]}`);
  assert.equal(waiting.topicName, TOPIC);
  assert.equal(waiting.deliveries[0]?.status, 'retrying', JSON.stringify(waiting));
  assert.match(waiting.deliveries[0]?.lastError ?? '', /could not be sent/);
  assert.ok((waiting.deliveries[0]?.attempts ?? 0) >= 1);

  // ---- SIGKILL while SMTP is still down; the outbox is on disk ----
  await first.stop('SIGKILL');
  const second = await SluiceServer.start(dataDir, args);
  servers.push(second);
  const afterRestart = await second.api<MessageStatus>(`/api/v1/notifications/messages/${published[0]}`);
  assert.ok(['retrying', 'queued'].includes(afterRestart.deliveries[0]?.status ?? ''), JSON.stringify(afterRestart));
  await until('retries resumed after the restart', async () => ((await notifyRow(second))?.retried ?? 0) >= 5, 60_000);
  assert.ok((await second.api<{ actionsPending: number }>('/healthz')).actionsPending >= API_MESSAGES + LOW_READINGS);

  // ---- SMTP comes back on the same port ----
  const secondMail = new MailCatcher();
  catchers.push(secondMail);
  await secondMail.start(smtpPort);
  const backAt = Date.now();
  await second.settle(150_000);
  process.stderr.write(`all delivered ${Date.now() - backAt} ms after SMTP came back\n`);

  // Exactly once: one mail per notification, none handed over twice (no mail was in flight at the kill).
  const apiMails = secondMail.messages.filter((m) => m.subject.startsWith('outbox '));
  const byMessage = new Map<string, number>();
  for (const mail of apiMails) {
    const id = String(mail.headers.get('x-sluice-message-id'));
    byMessage.set(id, (byMessage.get(id) ?? 0) + 1);
  }
  assert.deepEqual([...published].sort(), [...byMessage.keys()].sort(), 'every published notification was mailed');
  assert.deepEqual([...byMessage].filter(([, n]) => n !== 1), [], 'each exactly once');
  assert.equal(new Set(apiMails.map((m) => m.messageId)).size, API_MESSAGES, 'distinct Message-IDs');
  for (const mail of apiMails) assert.equal(mail.messageId, `<${String(mail.headers.get('x-sluice-message-id'))}.${subscription.id}@sluice.local>`);
  const alerts = secondMail.messages.filter((m) => m.subject === ALERT_SUBJECT);
  const alertNames = alerts.map((m) => /device name (\S+)/.exec(m.text)?.[1] ?? '?').sort();
  assert.deepEqual(alertNames, Array.from({ length: LOW_READINGS }, (_, i) => `outbox-${i + 1}`).sort(), 'one alert per low reading, none twice');
  assert.equal(firstMail.messages.filter((m) => m.subject === ALERT_SUBJECT || m.subject.startsWith('outbox ')).length, 0);

  // Delivery status, per message and per subscription.
  const delivered = await second.api<MessageStatus>(`/api/v1/notifications/messages/${published[0]}`);
  assert.equal(delivered.deliveries[0]?.status, 'delivered');
  assert.equal(delivered.deliveries[0]?.endpoint, SUBSCRIBER);
  assert.ok((delivered.deliveries[0]?.attempts ?? 0) >= 2, 'delivered after failed attempts');
  const { deliveries } = await second.api<{ deliveries: DeliveryState[] }>(`/api/v1/subscriptions/${subscription.id}/deliveries?limit=1000`);
  assert.equal(deliveries.length, API_MESSAGES + LOW_READINGS);
  assert.deepEqual([...new Set(deliveries.map((d) => d.status))], ['delivered']);
  const missing = await fetch(`${second.endpoints.http}/api/v1/notifications/messages/no-such-message`);
  assert.equal(missing.status, 404);

  // Nothing gave up; the dead-letter filters for notifications answer (empty).
  const { deadLetters } = await second.api<{ deadLetters: DeadLetterView[] }>(`/api/v1/dead-letters?subscription=${subscription.id}`);
  assert.deepEqual(deadLetters, []);
  const cli = await runCli(['dlq', 'list', '--rule', NOTIFY_RULE, '--json'], { env: { SLUICE_DATA: dataDir } });
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(JSON.parse(cli.stdout), []);
  const final = await notifyRow(second);
  assert.equal(final?.succeeded, API_MESSAGES + LOW_READINGS, 'every delivery succeeded after the restart');
  assert.equal(final?.deadLettered, 0);
  assert.equal(await second.stop('SIGTERM'), 0, second.stderr);
});
