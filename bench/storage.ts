/**
 * (e) Storing messages: `sluice up` with one rule whose only action stores
 * every message, under a QoS 1 load from one client, either as one object per
 * message (the `s3` action on the `fs` driver: temp file, fsync, rename each)
 * or batched by the `archive` action (Parquet). Reports messages stored per
 * second (from the first publish until the queue is empty and every message
 * is in its object) beside the broker's raw QoS 1 publish rate measured in
 * the same run, so the ratios say whether storage keeps up with the broker.
 * Each row also gives the server's CPU per message (all threads, from
 * /proc): what storing costs, whatever the load generator's share of the cores.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { publishLoad, startSluice, type LoadOptions } from './broker.js';
import { cpuSeconds } from './proc.js';
import { result, type Measurement, type Ratio } from './report.js';
import { drained, startSluiceUp } from './sluice-up.js';

const RULE_SQL = "SELECT * FROM 'device/+/devicePayload'";

// startSluiceUp passes --param simulatorCertDir (for the reference stack); these stacks accept it and leave it unused.
const PARAMETERS = `parameters:
  simulatorCertDir: { default: unused }
`;

const STACKS = {
  // newuuid(): one object per message even when two arrive in the same millisecond.
  s3: `stack: bench-s3
${PARAMETERS}buckets:
  bench-objects: {}
rules:
  StoreEach:
    sql: ${RULE_SQL}
    actions:
      - s3: { bucket: bench-objects, key: '\${topic()}/\${newuuid()}' }
`,
  // A 1 s delay bounds the wait for the last, partial batch; full batches close at 10,000 messages.
  archive: `stack: bench-archive
${PARAMETERS}buckets:
  bench-archive: {}
rules:
  ArchiveAll:
    sql: ${RULE_SQL}
    actions:
      - archive: { bucket: bench-archive, prefix: readings, format: parquet, maxBatchDelay: 1s }
`,
} as const;

export interface StorageBench {
  measurements: Measurement[];
  ratios: Ratio[];
  /** Messages acknowledged but not found stored (should be none). */
  problems: string[];
}

export async function benchStorage(load: LoadOptions): Promise<StorageBench> {
  const broker = await startSluice();
  let raw: Measurement;
  try {
    const cpuBefore = broker.pid === undefined ? undefined : await cpuSeconds(broker.pid);
    raw = await publishLoad('storage: broker alone (no rules), QoS 1 publish', broker.url, load);
    if (broker.pid !== undefined && cpuBefore !== undefined) raw.cpuUsPerOperation = perMessage((await cpuSeconds(broker.pid)) - cpuBefore, raw.operations + (raw.warmupOperations ?? 0));
  } finally {
    await broker.stop();
  }
  const measurements: Measurement[] = [raw];
  const ratios: Ratio[] = [];
  const problems: string[] = [];
  const rows: Array<[keyof typeof STACKS, string]> = [
    ['s3', 's3 action, one object per message (fs)'],
    ['archive', 'archive action (Parquet, batched)'],
  ];
  for (const [kind, label] of rows) {
    const name = `storage: ${label}`;
    // One fsynced object per message stores a few hundred a second: fewer messages keep that row to seconds too.
    const { acks, row, stored, expected } = await storeRun(kind, name, kind === 's3' ? { ...load, messages: Math.min(load.messages, 1_000) } : load);
    measurements.push(acks, row);
    ratios.push(
      { name: `${kind} stored / broker QoS 1`, value: row.rate / raw.rate, note: `${label}: messages stored vs the broker alone, same run` },
      { name: `${kind} stored / its own PUBACKs`, value: row.rate / acks.rate, note: 'below 1: storing lags what the pipeline admits (rules and durable enqueue before each PUBACK)' },
    );
    if (stored !== expected) problems.push(`${kind}: ${expected} actions succeeded, ${stored} messages found stored`);
  }
  return { measurements, ratios, problems };
}

async function storeRun(kind: keyof typeof STACKS, name: string, load: LoadOptions): Promise<{ acks: Measurement; row: Measurement; stored: number; expected: number }> {
  const stackDir = await mkdtemp(join(tmpdir(), 'sluice-bench-stack-'));
  const stackFile = join(stackDir, `${kind}.yaml`);
  await writeFile(stackFile, STACKS[kind]);
  const sluice = await startSluiceUp({ stack: stackFile });
  try {
    const cpuBefore = await cpuSeconds(sluice.pid);
    const start = performance.now();
    const acks = await publishLoad(`${name}, QoS 1 PUBACKs`, sluice.endpoints.mqtt, load);
    await drained(sluice.endpoints.http);
    const seconds = (performance.now() - start) / 1000;
    const cpu = (await cpuSeconds(sluice.pid)) - cpuBefore;
    // publishLoad's warm-up messages (up to 2,000, within the budget) are stored in this window too: the server's count is the truth.
    const status = (await (await fetch(`${sluice.endpoints.http}/api/v1/status`)).json()) as { rules: Array<{ succeeded: number }> };
    const expected = status.rules.reduce((sum, rule) => sum + rule.succeeded, 0);
    const stored = kind === 's3' ? await countFiles(join(sluice.dataDir, 'buckets', 'bench-objects')) : await countArchived(join(sluice.dataDir, 'buckets', 'bench-archive', 'readings'));
    // All the server's CPU from the first publish until everything is stored, every thread (the archive encodes on a worker).
    return { acks, row: { ...result(`${name}, messages stored`, 'msg/s', stored, seconds), cpuUsPerOperation: perMessage(cpu, stored) }, stored, expected };
  } finally {
    await sluice.stop();
    await rm(stackDir, { recursive: true, force: true });
  }
}

function perMessage(cpuSecondsUsed: number, messages: number): number {
  return messages === 0 ? Number.NaN : (cpuSecondsUsed * 1e6) / messages;
}

/** Objects in an fs bucket (the driver's `.sluice-meta` sidecars are not objects). */
async function countFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const sidecars = join(dir, '.sluice-meta');
  return entries.filter((e) => e.isFile() && !e.parentPath.startsWith(sidecars)).length;
}

/** Records in the archive's Parquet objects, counted by DuckDB (an independent reader). */
async function countArchived(dir: string): Promise<number> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet('${dir.replaceAll("'", "''")}/**/*.parquet', union_by_name = true)`);
    return Number(reader.getRowObjectsJson()[0]?.n ?? 0);
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}
