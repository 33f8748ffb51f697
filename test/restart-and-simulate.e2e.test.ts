/**
 * What a server keeps across a restart (rules, functions, confirmed
 * subscriptions, stored objects), and the built-in simulator of `up --simulate`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import mqtt from 'mqtt';
import { MailCatcher, findLink } from './support/smtp.js';
import { SluiceServer } from './support/sluice-process.js';

const dirs: string[] = [];
const servers: SluiceServer[] = [];
const catchers: MailCatcher[] = [];
after(async () => {
  for (const server of servers) await server.stop('SIGKILL');
  for (const catcher of catchers) await catcher.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-restart-'));
  dirs.push(dir);
  return dir;
}

test('after a restart without --stack, deployed rules and functions still run and confirmed subscribers still get alerts', async () => {
  const dataDir = await tempDir();
  const mail = new MailCatcher();
  catchers.push(mail);
  const smtp = await mail.start();
  const first = await SluiceServer.start(dataDir, ['--stack', 'stacks/soil-moisture.yaml', '--param', 'alertEmail=night@example.org', '--smtp', smtp, '--insecure']);
  servers.push(first);
  const confirmation = await mail.waitFor((m) => m.to.includes('night@example.org'));
  assert.equal((await fetch(findLink(confirmation.text, '/notify/confirm/'))).status, 200);
  assert.equal(await first.stop('SIGTERM'), 0);

  const second = await SluiceServer.start(dataDir, ['--smtp', smtp, '--insecure']);
  servers.push(second);
  assert.ok(second.endpoints.mqtt);
  const device = await mqtt.connectAsync(second.endpoints.mqtt, { clientId: 'soilSensor1', reconnectPeriod: 0 });
  const payload = JSON.stringify({ name: 'soilSensor1', humidity: 30, timeStampEpoch: 1, timeStampIso: '1970-01-01T00:00:00.001Z' });
  await device.publishAsync('device/soilSensor1/devicePayload', payload, { qos: 1 });
  await device.endAsync();
  const alert = await mail.waitFor((m) => m.subject === 'Attention:Humidity Under Threshold');
  assert.ok(alert.text.startsWith('Humidity 30 under threshold for device name soilSensor1'));
  await second.settle();
  const stored = await readdir(join(dataDir, 'buckets', 'rule-filter-bucket', 'device', 'soilSensor1', 'devicePayload'));
  assert.equal(stored.length, 1);
  assert.equal(await second.stop('SIGTERM'), 0);
});

test('up --simulate runs the stack\'s sensors: a reading from each of soilSensor1..3 is stored', async () => {
  const dataDir = await tempDir();
  const server = await SluiceServer.start(dataDir, ['--stack', 'stacks/soil-moisture.yaml', '--simulate', '--insecure']);
  servers.push(server);
  const deviceDir = join(dataDir, 'buckets', 'rule-filter-bucket', 'device');
  const deadline = Date.now() + 20_000;
  let devices: string[] = [];
  while (Date.now() < deadline) {
    devices = (await readdir(deviceDir).catch(() => [] as string[])).sort();
    if (devices.length === 3) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(devices, ['soilSensor1', 'soilSensor2', 'soilSensor3']);
  assert.match(server.stdout, /Simulating soilSensor1, soilSensor2, soilSensor3/);
  assert.equal(await server.stop('SIGINT'), 0);
});

test('every up flag can come from a SLUICE_* environment variable', async () => {
  const dataDir = await tempDir();
  const server = await SluiceServer.start(dataDir, [], {
    portFlags: false,
    env: {
      SLUICE_HTTP_PORT: '0',
      SLUICE_MQTT_PORT: '0',
      SLUICE_MQTTS_PORT: '0',
      SLUICE_WSS_PORT: '0',
      SLUICE_INSECURE: '1',
      SLUICE_STACK: 'stacks/soil-moisture.yaml',
      SLUICE_PARAM: `alertEmail=env@example.org,simulatorCertDir=${join(dataDir, 'certs')}`,
      SLUICE_PUBLIC_URL: 'https://sluice.example.org',
      SLUICE_MAX_PAYLOAD_BYTES: '1000',
    },
  });
  servers.push(server);
  assert.ok(server.endpoints.mqtt, 'SLUICE_INSECURE opened the plaintext listener');
  assert.notEqual(new URL(server.endpoints.http).port, '8080', 'SLUICE_HTTP_PORT=0 picked a free port');
  assert.match(server.stdout, /env@example\.org to topic humidity-alerts is pending/);
  assert.match(server.stdout, /https:\/\/sluice\.example\.org\/notify\/confirm\//, 'links use SLUICE_PUBLIC_URL');
  const client = await mqtt.connectAsync(server.endpoints.mqtt, { clientId: 'limits-probe', reconnectPeriod: 0 });
  await client.publishAsync('probe/ok', Buffer.alloc(1000, 120), { qos: 1 });
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  client.publish('probe/too-big', Buffer.alloc(1001, 120), { qos: 1 }, () => undefined);
  await closed;
  client.end(true);
  const metrics = await (await fetch(`${server.endpoints.http}/metrics`)).text();
  assert.match(metrics, /sluice_limit_violations_total\{kind="payload"\} 1/, 'SLUICE_MAX_PAYLOAD_BYTES set the limit');
  assert.equal(await server.stop('SIGTERM'), 0);
});
