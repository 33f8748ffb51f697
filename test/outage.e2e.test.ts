/**
 * An outage under load: the http target and the SMTP server go down, readings
 * keep coming (QoS 1, every one acknowledged: the durable queue takes them),
 * then both come back on the same ports. Everything is delivered, each alert
 * once, nothing is dead-lettered, and memory stayed bounded meanwhile.
 *
 * The mechanism for the mail: the alert function's sns.publish puts one
 * delivery per subscriber in the durable outbox (the action queue, under
 * `$notify/humidity-alerts`) and the invocation succeeds; while SMTP is down
 * those deliveries are retried with backoff, and sent when it is back.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import mqtt from 'mqtt';
import type { ActionStatus, DeadLetterView } from '../src/actions/index.js';
import { MailCatcher, findLink } from './support/smtp.js';
import { SluiceServer } from './support/sluice-process.js';
import { until } from './support/wait.js';

const STACK = resolve(import.meta.dirname, 'fixtures', 'outage.yaml');
const SUBSCRIBER = 'outage@example.org';
const SUBJECT = 'Attention:Humidity Under Threshold';
const READINGS = 300;
const WINDOW = 20;
/** Resident memory may grow by this much over the pre-outage baseline while the backlog waits on disk, in bytes. Coarse. */
const MEMORY_HEADROOM = 200 * 1024 * 1024;
const RSS_METRIC = 'sluice_process_resident_memory_bytes';
/** The rule name the alert topic's queued deliveries have in the queue, status and dead letters. */
const NOTIFY_RULE = '$notify/humidity-alerts';

/** The http target: records every body by its `seq`; answers 200. */
function createTarget(received: Map<number, Set<string>>): Server {
  return createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { seq } = JSON.parse(Buffer.concat(chunks).toString()) as { seq: number };
      const jobIds = received.get(seq) ?? new Set<string>();
      jobIds.add(String(request.headers['x-sluice-job-id']));
      received.set(seq, jobIds);
      response.writeHead(200).end('ok');
    });
  });
}

async function listen(server: Server, port: number): Promise<number> {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise((r) => server.close(r));
  // Keep-alive sockets from sluice's fetch would hold the port open.
  server.closeAllConnections();
  await closed;
}

const reading = (seq: number) =>
  JSON.stringify({ name: `outage-${seq}`, seq, humidity: seq % 2 === 1 ? 29 : 40, timeStampEpoch: seq, timeStampIso: new Date(seq).toISOString() });

let dataDir = '';
let server: SluiceServer | undefined;
const received = new Map<number, Set<string>>();
const targets: Server[] = [];
const catchers: MailCatcher[] = [];

after(async () => {
  await server?.stop('SIGKILL');
  for (const target of targets) await close(target);
  for (const catcher of catchers) await catcher.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function residentBytes(sluice: SluiceServer): Promise<number> {
  const metrics = await (await fetch(`${sluice.endpoints.http}/metrics`)).text();
  const line = new RegExp(`^${RSS_METRIC} (\\d+(?:\\.\\d+)?(?:e\\+\\d+)?)$`, 'm').exec(metrics);
  assert.ok(line?.[1], `/metrics has ${RSS_METRIC}`);
  return Number(line[1]);
}

test(`${READINGS} readings through an SMTP and http outage: all delivered, each alert once, memory bounded`, { timeout: 180_000 }, async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-outage-'));
  const firstMail = new MailCatcher();
  catchers.push(firstMail);
  await firstMail.start();
  const smtpPort = firstMail.port;
  const firstTarget = createTarget(received);
  targets.push(firstTarget);
  const httpPort = await listen(firstTarget, 0);

  const sluice = await SluiceServer.start(dataDir, [
    '--stack', STACK,
    '--param', `alertEmail=${SUBSCRIBER}`,
    '--param', `target=http://127.0.0.1:${httpPort}`,
    '--smtp', `smtp://127.0.0.1:${smtpPort}`,
    '--insecure',
  ]);
  server = sluice;
  assert.ok(sluice.endpoints.mqtt);

  await until('the confirmation mail', async () => firstMail.messages.some((m) => m.to.includes(SUBSCRIBER)));
  const confirmation = firstMail.messages.find((m) => m.to.includes(SUBSCRIBER));
  assert.ok(confirmation);
  assert.equal((await fetch(findLink(confirmation.text, '/notify/confirm/'))).status, 200);
  const baseline = await residentBytes(sluice);

  // ---- the outage ----
  await firstMail.stop();
  await close(firstTarget);

  const device = await mqtt.connectAsync(sluice.endpoints.mqtt, { clientId: 'outage-load', reconnectPeriod: 0 });
  const acked: number[] = [];
  const samples: number[] = [];
  try {
    let next = 1;
    const lane = async () => {
      while (next <= READINGS) {
        const seq = next++;
        await device.publishAsync(`device/outage-${seq}/devicePayload`, reading(seq), { qos: 1 });
        acked.push(seq);
        if (seq % 100 === 0) samples.push(await residentBytes(sluice));
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, lane));
  } finally {
    await device.endAsync();
  }
  assert.equal(acked.length, READINGS, 'every QoS 1 publish was acknowledged during the outage');

  // Keep both down until the failures are retrying, so the outage is real for both kinds of action.
  const counts = async (rule: string) => (await sluice.api<ActionStatus>('/api/v1/status')).rules.find((r) => r.rule === rule);
  await until('http actions and mail deliveries retrying', async () => ((await counts('ForwardRule'))?.retried ?? 0) >= 10 && ((await counts(NOTIFY_RULE))?.retried ?? 0) >= 10);
  samples.push(await residentBytes(sluice));
  const status = await sluice.api<ActionStatus>('/api/v1/status');
  assert.ok(status.backlog > 0, 'the backlog waits on disk');
  assert.equal(firstMail.messages.filter((m) => m.subject === SUBJECT).length, 0);
  const peak = Math.max(...samples);
  process.stderr.write(`rss baseline ${(baseline / 2 ** 20).toFixed(0)} MB, during outage ${samples.map((s) => (s / 2 ** 20).toFixed(0)).join(', ')} MB; backlog ${status.backlog}\n`);
  // Coarse: RSS includes the function workers' heaps and whatever the GC has not returned; it catches a backlog held in memory, not a small leak.
  assert.ok(peak < baseline + MEMORY_HEADROOM, `resident memory ${peak} B stayed under the baseline ${baseline} B + ${MEMORY_HEADROOM} B`);

  // ---- both come back, on the same ports ----
  const secondMail = new MailCatcher();
  catchers.push(secondMail);
  await secondMail.start(smtpPort);
  assert.equal(secondMail.port, smtpPort);
  const secondTarget = createTarget(received);
  targets.push(secondTarget);
  assert.equal(await listen(secondTarget, httpPort), httpPort);
  // Mail deliveries back off (email: from 10 s, doubling, full jitter), so the last may wait a little while.
  await sluice.settle(90_000);

  const undelivered = acked.filter((seq) => !received.has(seq));
  assert.deepEqual(undelivered, [], 'the http target received every reading');
  const twiceToHttp = [...received].filter(([, ids]) => ids.size > 1).map(([seq]) => seq);
  assert.deepEqual(twiceToHttp, [], 'one job id per reading at the http target');

  const alertIds = new Map<string, Set<string>>();
  for (const mail of secondMail.messages.filter((m) => m.subject === SUBJECT)) {
    const name = /device name (\S+)/.exec(mail.text)?.[1] ?? '?';
    alertIds.set(name, (alertIds.get(name) ?? new Set<string>()).add(mail.messageId));
  }
  const unalerted = acked.filter((seq) => seq % 2 === 1 && !alertIds.has(`outage-${seq}`));
  assert.deepEqual(unalerted, [], 'every low reading produced its alert after SMTP came back');
  const highAlerted = [...alertIds.keys()].filter((name) => Number(name.replace('outage-', '')) % 2 === 0);
  assert.deepEqual(highAlerted, [], 'no alert for a reading at or above the threshold');
  const twice = [...alertIds].filter(([, ids]) => ids.size > 1).map(([name]) => name);
  assert.deepEqual(twice, [], 'no reading produced two distinct alert emails');

  const { deadLetters } = await sluice.api<{ deadLetters: DeadLetterView[] }>('/api/v1/dead-letters');
  assert.deepEqual(deadLetters.map((d) => `${d.ruleName}: ${d.failures[0]?.errorMessage}`), [], 'nothing was dead-lettered');
  const final = await sluice.api<ActionStatus>('/api/v1/status');
  for (const rule of ['ForwardRule', NOTIFY_RULE]) {
    const row = final.rules.find((r) => r.rule === rule);
    assert.ok(row && row.retried > 0, `${rule} was retried: ${JSON.stringify(row)}`);
    assert.equal(row.deadLettered, 0);
    assert.equal(row.failed, 0);
  }
  assert.equal(final.rules.find((r) => r.rule === 'ForwardRule')?.succeeded, READINGS);
  // The alert function succeeded at once every time: its mail waited in the outbox, not its invocation.
  const alertRule = final.rules.find((r) => r.rule === 'SoilHumidityAlertRule');
  assert.deepEqual([alertRule?.succeeded, alertRule?.retried], [READINGS / 2, 0]);
  assert.equal(final.rules.find((r) => r.rule === NOTIFY_RULE)?.succeeded, READINGS / 2, 'one delivery per alert (one subscriber)');
  assert.equal(final.backlog, 0);
  // The mechanism: the deliveries failed because the SMTP server could not be reached, not for another reason.
  const mailRetries = `${sluice.stdout}\n${sluice.stderr}`
    .split('\n')
    .filter((line) => line.startsWith('{') && line.endsWith('}') && line.includes(`"${NOTIFY_RULE}"`) && line.includes('will retry'))
    .map((line) => (JSON.parse(line) as { err: string }).err);
  assert.ok(mailRetries.length > 0, 'the server logged the delivery retries');
  assert.deepEqual(mailRetries.filter((err) => !/could not be sent/.test(err)), [], 'deliveries failed only because mail could not be sent');
  assert.equal(await sluice.stop('SIGTERM'), 0, sluice.stderr);
});
