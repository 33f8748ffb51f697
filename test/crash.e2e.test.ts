/**
 * Nothing acknowledged is lost: a QoS 1 load runs while the server is killed
 * with SIGKILL at random moments and restarted on the same data dir. At the
 * end every acknowledged message has its stored object and its alert, and no
 * message produced two alert emails.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import mqtt from 'mqtt';
import { prng } from './support/prng.js';
import { MailCatcher, findLink } from './support/smtp.js';
import { SluiceServer } from './support/sluice-process.js';

const ROUNDS = Number(process.env.SLUICE_CRASH_ROUNDS ?? 5);
const WINDOW = 20;
const SUBJECT = 'Attention:Humidity Under Threshold';

const reading = (seq: number) =>
  JSON.stringify({ name: `soilSensor-${seq}`, humidity: seq % 2 === 1 ? 29 : 40, timeStampEpoch: seq, timeStampIso: new Date(seq).toISOString() });

let dataDir = '';
const mail = new MailCatcher();
const servers: SluiceServer[] = [];
after(async () => {
  for (const server of servers) await server.stop('SIGKILL');
  await mail.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Publishes QoS 1 readings, WINDOW at a time, until the connection dies; returns the acknowledged sequence numbers. */
async function loadUntilKilled(url: string, firstSeq: number, killAfterMs: number, server: SluiceServer): Promise<{ acked: number[]; next: number }> {
  const client = await mqtt.connectAsync(url, { clientId: `crash-load-${firstSeq}`, reconnectPeriod: 0 });
  client.on('error', () => undefined);
  const acked: number[] = [];
  let next = firstSeq;
  let alive = true;
  const killer = setTimeout(() => {
    void server.stop('SIGKILL').then(() => (alive = false));
  }, killAfterMs);
  const lane = async () => {
    while (alive) {
      const seq = next++;
      try {
        await client.publishAsync(`device/s${seq}/devicePayload`, reading(seq), { qos: 1 });
        acked.push(seq);
      } catch {
        return;
      }
    }
  };
  await Promise.race([Promise.all(Array.from({ length: WINDOW }, lane)), new Promise<void>((r) => client.once('close', () => r()))]);
  clearTimeout(killer);
  await server.stop('SIGKILL');
  client.end(true);
  return { acked, next };
}

test(`acknowledged messages survive ${ROUNDS} SIGKILLs: every one stored and alerted, none alerted twice`, { timeout: 180_000 }, async () => {
  const seed = Number(process.env.SLUICE_CRASH_SEED ?? Date.now() % 1_000_000);
  const random = prng(seed);
  process.stderr.write(`crash test seed ${seed} (repeat with SLUICE_CRASH_SEED=${seed})\n`);
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-crash-'));
  const smtp = await mail.start();
  const args = ['--stack', 'stacks/soil-moisture.yaml', '--param', 'alertEmail=crash@example.org', '--smtp', smtp, '--insecure'];

  const first = await SluiceServer.start(dataDir, args);
  servers.push(first);
  const confirmation = await mail.waitFor((m) => m.to.includes('crash@example.org'));
  assert.equal((await fetch(findLink(confirmation.text, '/notify/confirm/'))).status, 200);
  await first.stop('SIGTERM');

  const acked: number[] = [];
  let next = 1;
  for (let round = 0; round < ROUNDS; round++) {
    const server = await SluiceServer.start(dataDir, args);
    servers.push(server);
    assert.ok(server.endpoints.mqtt);
    const killAfterMs = 300 + Math.floor(random() * 1_200);
    const result = await loadUntilKilled(server.endpoints.mqtt, next, killAfterMs, server);
    acked.push(...result.acked);
    next = result.next;
    process.stderr.write(`round ${round + 1}: killed after ${killAfterMs} ms, ${result.acked.length} acknowledged\n`);
  }
  assert.ok(acked.length > 50, `the load got going (${acked.length} acknowledged)`);

  const last = await SluiceServer.start(dataDir, args);
  servers.push(last);
  await last.settle(120_000);

  const bucket = join(dataDir, 'buckets', 'rule-filter-bucket', 'device');
  const missing: number[] = [];
  for (const seq of acked) {
    const dir = join(bucket, `s${seq}`, 'devicePayload');
    const files = await readdir(dir).catch(() => [] as string[]);
    const bodies = await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')));
    if (!bodies.includes(reading(seq))) missing.push(seq);
  }
  assert.deepEqual(missing, [], `acknowledged but not stored (of ${acked.length})`);

  // At most one distinct alert per message. A crash after the SMTP server took a mail but
  // before the delivery was recorded hands the SAME mail (same Message-ID) over again;
  // receivers show it once. Those re-handovers are counted and reported, not hidden.
  const alertsByDevice = new Map<string, Set<string>>();
  let handovers = 0;
  for (const m of mail.messages.filter((x) => x.subject === SUBJECT)) {
    const name = /device name (\S+)/.exec(m.text)?.[1] ?? '?';
    const ids = alertsByDevice.get(name) ?? new Set<string>();
    ids.add(m.messageId);
    alertsByDevice.set(name, ids);
    handovers += 1;
  }
  const twice = [...alertsByDevice].filter(([, ids]) => ids.size > 1).map(([name]) => name);
  assert.deepEqual(twice, [], 'no message produced two alert emails');
  process.stderr.write(`${alertsByDevice.size} alerts; ${handovers - alertsByDevice.size} handed to SMTP again after a crash with the same Message-ID\n`);
  const unalerted = acked.filter((seq) => seq % 2 === 1 && !alertsByDevice.has(`soilSensor-${seq}`));
  assert.deepEqual(unalerted, [], 'every acknowledged low reading produced its alert');
  assert.equal(await last.stop('SIGTERM'), 0);
});
