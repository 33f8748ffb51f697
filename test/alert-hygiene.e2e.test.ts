/**
 * Alert hygiene end to end, with a real SMTP server and a real MQTT client:
 * the reference stack sends one alert per dry sensor per window however often
 * it reads dry, and a topic with a short window sends the digest of what it
 * held back when the window ends. (Window arithmetic over a simulated clock is
 * in src/notify/hygiene.test.ts; this shows the wiring works for real.)
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { MailCatcher, findLink, type ReceivedMail } from './support/smtp.js';
import { SluiceServer } from './support/sluice-process.js';

const ALERT_SUBJECT = 'Attention:Humidity Under Threshold';
const SUBSCRIBER = 'grower@example.org';

let dataDir: string;
let mail: MailCatcher;
let server: SluiceServer;
let device: MqttClient;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-hygiene-'));
  mail = new MailCatcher();
  const smtpUrl = await mail.start();
  server = await SluiceServer.start(dataDir, ['--stack', 'stacks/soil-moisture.yaml', '--param', `alertEmail=${SUBSCRIBER}`, '--smtp', smtpUrl, '--insecure']);
  assert.ok(server.endpoints.mqtt);
  device = await mqtt.connectAsync(server.endpoints.mqtt, { clientId: 'hygiene-test', reconnectPeriod: 0 });
  const confirmation = await mail.waitFor((m) => m.to.includes(SUBSCRIBER) && /confirm/i.test(m.subject));
  assert.equal((await fetch(findLink(confirmation.text, '/notify/confirm/'))).status, 200);
});

after(async () => {
  await device?.endAsync();
  if (server) await server.stop('SIGKILL');
  await mail?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

function reading(name: string, humidity: number): string {
  const now = Date.now();
  return JSON.stringify({ name, humidity, timeStampEpoch: now, timeStampIso: new Date(now).toISOString() });
}

const to = (address: string) => (m: ReceivedMail) => m.to.includes(address);

test('the reference stack: a sensor that keeps reading dry sends one alert per window, each sensor its own', async () => {
  const start = mail.messages.length;
  for (const humidity of [31, 30, 29, 28]) {
    await device.publishAsync('device/soilSensor2/devicePayload', reading('soilSensor2', humidity), { qos: 1 });
    await device.publishAsync('device/soilSensor3/devicePayload', reading('soilSensor3', humidity + 1), { qos: 1 });
  }
  await server.settle();
  const alerts = mail.messages.slice(start).filter((m) => m.subject === ALERT_SUBJECT);
  // The function runs on several workers at once, so which of a sensor's readings opens its window is not fixed.
  const devices = alerts.map((m) => /^Humidity (\d+) under threshold for device name (\S+)/.exec(m.text)?.slice(1));
  assert.deepEqual(devices.map((d) => d?.[1]).sort(), ['soilSensor2', 'soilSensor3'], 'one alert per sensor; the six others are held back');
  for (const [humidity, device] of devices as Array<[string, string]>) {
    assert.ok((device === 'soilSensor2' ? ['31', '30', '29', '28'] : ['32', '31', '30', '29']).includes(humidity), `${device} ${humidity}`);
  }
  // The window as the stack file sets it, shown by the API.
  const topic = await server.api<{ dedupe?: { key: string; window: string; digest?: boolean } }>('/api/v1/topics/humidity-alerts');
  assert.deepEqual(topic.dedupe, { key: '${regex:device name (\\S+)}', window: '15m', digest: true });
});

test('a short window on a topic: repeats are held back, then one digest of them arrives when the window ends', async () => {
  const address = 'night-shift@example.org';
  await server.api('/api/v1/topics', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'pump-alerts', dedupe: { key: '${json.pump}', window: '3s', digest: true } }),
  });
  await server.api('/api/v1/topics/pump-alerts/subscriptions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ protocol: 'email', endpoint: address }),
  });
  const confirmation = await mail.waitFor((m) => to(address)(m) && /confirm/i.test(m.subject));
  assert.equal((await fetch(findLink(confirmation.text, '/notify/confirm/'))).status, 200);

  const start = mail.messages.length;
  const results: Array<{ suppressed?: boolean }> = [];
  for (let i = 1; i <= 4; i += 1) {
    results.push(
      await server.api('/api/v1/topics/pump-alerts/publish', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ subject: 'Pump stalled', message: JSON.stringify({ pump: 'p7', reading: i }) }),
      }),
    );
  }
  assert.deepEqual(results.map((r) => r.suppressed === true), [false, true, true, true]);

  const digest = await mail.waitFor((m) => to(address)(m) && m.subject.startsWith('Digest:'), start, 30_000);
  assert.match(digest.subject, /^Digest: 3 more alerts like "Pump stalled" \(key p7\) in 3 s/);
  for (let i = 2; i <= 4; i += 1) assert.ok(digest.text.includes(`{"pump":"p7","reading":${i}}`), digest.text);
  assert.match(digest.text, /\/notify\/unsubscribe\//, 'a digest is a mail like any other, with its unsubscribe link');
  await server.settle();
  const received = mail.messages.slice(start).filter(to(address));
  assert.deepEqual(received.map((m) => m.subject), ['Pump stalled', digest.subject], 'the first alert, then the digest: nothing else');
});
