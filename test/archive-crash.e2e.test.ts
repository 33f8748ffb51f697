/**
 * A crash while the archive buffers loses nothing: QoS 1 readings are
 * acknowledged while their batch waits (an hour-long delay), the server is
 * killed with SIGKILL, restarted on the same data dir, and stopped with
 * SIGTERM, which writes the buffered batches. Every acknowledged message is
 * then in the archive, read back with DuckDB; nothing was written before the
 * crash, so nothing is duplicated either.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import mqtt from 'mqtt';
import { duckdbQuery, sqlString } from './support/duckdb.js';
import { SluiceServer } from './support/sluice-process.js';

const MESSAGES = 600;
const LANES = 20;

const STACK = `stack: archive-crash
buckets:
  archive: {}
rules:
  ArchiveReadings:
    sql: SELECT * FROM 'device/+/devicePayload'
    actions:
      - archive: { bucket: archive, prefix: readings, format: parquet, maxBatchDelay: 900s, maxBatchSize: 128MB }
`;

let dataDir = '';
const servers: SluiceServer[] = [];
after(async () => {
  for (const server of servers) await server.stop('SIGKILL');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function archiveFiles(): Promise<string[]> {
  const dir = join(dataDir, 'buckets', 'archive', 'readings');
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.name.endsWith('.parquet')).map((e) => join(e.parentPath, e.name));
}

async function waitForInFlight(server: SluiceServer, count: number): Promise<void> {
  for (;;) {
    const metrics = await (await fetch(`${server.endpoints.http}/metrics`)).text();
    const inFlight = Number(/^sluice_actions_in_flight (\d+)/m.exec(metrics)?.[1] ?? 0);
    if (inFlight >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('messages acknowledged while buffered survive a SIGKILL and are archived once after the restart', async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-archive-crash-'));
  const stackFile = join(dataDir, 'stack.yaml');
  await writeFile(stackFile, STACK);
  const args = ['--stack', stackFile, '--insecure'];

  const first = await SluiceServer.start(dataDir, args);
  servers.push(first);
  assert.ok(first.endpoints.mqtt);
  const client = await mqtt.connectAsync(first.endpoints.mqtt, { clientId: 'soilSensor1', reconnectPeriod: 0 });
  const acked: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: LANES }, async () => {
      while (next < MESSAGES) {
        const seq = next++;
        await client.publishAsync('device/soilSensor1/devicePayload', JSON.stringify({ name: 'soilSensor1', humidity: 20 + (seq % 26), seq }), { qos: 1 });
        acked.push(seq);
      }
    }),
  );
  client.end(true);
  assert.equal(acked.length, MESSAGES);
  // Every message is acknowledged and buffered (its job running, waiting for the batch); none is written yet.
  await waitForInFlight(first, MESSAGES);
  assert.deepEqual(await archiveFiles(), []);
  await first.stop('SIGKILL');

  const second = await SluiceServer.start(dataDir, args);
  servers.push(second);
  // Wait until the restarted executor holds every job (they run until their batch is written), then stop it.
  await waitForInFlight(second, MESSAGES);
  assert.deepEqual(await archiveFiles(), [], 'the restarted server buffers the messages again');
  assert.equal(await second.stop('SIGTERM'), 0);

  const files = await archiveFiles();
  assert.ok(files.length > 0, 'stopping wrote the buffered batch');
  const rows = await duckdbQuery(`SELECT seq, _id FROM read_parquet(${sqlString(join(dataDir, 'buckets', 'archive', 'readings'))} || '/**/*.parquet', union_by_name = true)`);
  assert.deepEqual(
    rows.map((r) => Number(r.seq)).sort((a, b) => a - b),
    [...acked].sort((a, b) => a - b),
  );
  assert.equal(new Set(rows.map((r) => r._id)).size, rows.length);
});
