/**
 * The archive action wired as the server wires it: its stack shape (defaults
 * and errors that point at the place), and the executor holding archive jobs
 * until their batch is written without taking the slots other actions need.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { ActionExecutor, ARCHIVE_MAX_BATCH_MESSAGES, createMemoryActionQueue, openSqliteActionQueue, type ActionJob, type ArchiveTarget } from '../actions/index.js';
import { Metrics, SluiceError, silentLogger } from '../core/index.js';
import { parseStack } from '../stack/index.js';
import { createMemoryObjectStore } from '../storage/index.js';
import { createArchive } from './archive.js';

const stackWith = (action: string[]): string =>
  ['stack: s', 'buckets:', '  archive: {}', 'rules:', '  R:', "    sql: SELECT * FROM 'device/+/devicePayload'", '    actions:', ...action].join('\n');

describe('stack file: the archive action', () => {
  test('defaults: parquet, 60 s, 5 MB', () => {
    const stack = parseStack({ fileName: 'x.yaml', source: stackWith(['      - archive: { bucket: archive, prefix: raw }']) }, {});
    assert.deepEqual(stack.rules.R?.actions, [
      { kind: 'archive', bucket: 'archive', prefix: 'raw', format: 'parquet', maxBatchDelayMs: 60_000, maxBatchBytes: 5 * 1024 ** 2 },
    ]);
  });

  test('sizes and durations with units', () => {
    const stack = parseStack(
      { fileName: 'x.yaml', source: stackWith(['      - archive: { bucket: archive, prefix: a/b, format: ndjson, maxBatchDelay: 500ms, maxBatchSize: 1.5KB }']) },
      {},
    );
    assert.deepEqual(stack.rules.R?.actions, [{ kind: 'archive', bucket: 'archive', prefix: 'a/b', format: 'ndjson', maxBatchDelayMs: 500, maxBatchBytes: 1536 }]);
  });

  const bad: Array<{ name: string; action: string; field: string; message: RegExp; code?: SluiceError['code'] }> = [
    { name: 'size without unit', action: 'maxBatchSize: 5', field: 'maxBatchSize', message: /size with a unit, such as 512KB or 5MB/ },
    { name: 'size with a space', action: "maxBatchSize: '5 MB'", field: 'maxBatchSize', message: /size with a unit/ },
    { name: 'size over 128 MB', action: 'maxBatchSize: 200MB', field: 'maxBatchSize', message: /at most 128MB/ },
    { name: 'delay without unit', action: 'maxBatchDelay: 60', field: 'maxBatchDelay', message: /duration with a unit/ },
    { name: 'delay over 900 s', action: 'maxBatchDelay: 20m', field: 'maxBatchDelay', message: /at most 900s/ },
    { name: 'unknown format', action: 'format: csv', field: 'format', message: /ndjson or parquet/ },
    { name: 'templated prefix', action: "prefix: '${topic()}'", field: 'prefix', message: /templates are not allowed/ },
    { name: 'prefix with a leading /', action: 'prefix: /raw', field: 'prefix', message: /no leading, trailing or double/ },
    { name: 'prefix with ..', action: 'prefix: a/../b', field: 'prefix', message: /no \. or \.\. segments/ },
    { name: 'unknown bucket', action: 'bucket: elsewhere', field: 'bucket', message: /elsewhere/, code: 'SLUICE_ERR_STACK_REFERENCE' },
  ];
  for (const c of bad) {
    test(`bad: ${c.name}`, () => {
      const fields = ['bucket: archive', 'prefix: raw'].filter((f) => !c.action.startsWith(f.split(':')[0] ?? ''));
      const source = stackWith(['      - archive:', ...[...fields, c.action].map((f) => `          ${f}`)]);
      assert.throws(
        () => parseStack({ fileName: 'x.yaml', source }, {}),
        (error: unknown) => {
          assert.ok(error instanceof SluiceError, String(error));
          assert.equal(error.code, c.code ?? 'SLUICE_ERR_STACK_INVALID', String(error));
          assert.equal(error.place?.field, `rules.R.actions[0].archive.${c.field}`, String(error));
          assert.equal(error.place?.line, source.split('\n').findIndex((l) => l.includes(c.action)) + 1, String(error));
          assert.match(error.message, c.message);
          return true;
        },
      );
    });
  }

  test('bad: no prefix', () => {
    assert.throws(() => parseStack({ fileName: 'x.yaml', source: stackWith(['      - archive: { bucket: archive }']) }, {}), {
      code: 'SLUICE_ERR_STACK_INVALID',
      message: /prefix/,
    });
  });
});

describe('executor and archive', () => {
  const target: ArchiveTarget = { kind: 'archive', bucket: 'archive', prefix: 'raw', format: 'ndjson', maxBatchDelayMs: 3_600_000, maxBatchBytes: 128 * 1024 ** 2 };
  const job = (i: number, over: Partial<ActionJob> = {}): ActionJob => ({
    id: `m${i}:R:0`,
    ruleName: 'R',
    actionIndex: 0,
    target,
    input: { topic: 'device/s/devicePayload', clientId: 's', timestamp: Date.UTC(2020, 7, 27, 13), payload: Buffer.from(`{"i":${i}}`), value: { i } },
    originalPayload: Buffer.from(`{"i":${i}}`),
    ...over,
  });

  /** Every port idle but the archive's (and the object store, for the s3 job). */
  const portsWith = (store: ReturnType<typeof createMemoryObjectStore>, archivePort: ReturnType<typeof createArchive>['port']) => ({
    objects: store,
    functions: { invokeAsync: async () => ({ ok: true as const }) },
    broker: { publish: async () => undefined },
    notifications: { deliver: async () => ({ ok: true as const }) },
    archive: archivePort,
  });

  test('full batches are written by count, other actions still run, and stopping writes the rest', async () => {
    const store = createMemoryObjectStore();
    await store.createBucket('archive');
    await store.createBucket('objects');
    const queue = createMemoryActionQueue();
    const archive = createArchive(store, silentLogger());
    let settled = 0;
    let s3Done: () => void = () => undefined;
    const s3Settled = new Promise<void>((resolve) => (s3Done = resolve));
    let twoBatches: () => void = () => undefined;
    const twoBatchesSettled = new Promise<void>((resolve) => (twoBatches = resolve));
    const executor = new ActionExecutor({
      queue,
      logger: silentLogger(),
      metrics: new Metrics(),
      ports: portsWith(store, archive.port),
      onSettled: (settledJob, outcome) => {
        assert.ok(outcome.ok);
        if (settledJob.target.kind === 's3') s3Done();
        else if (++settled === 2 * ARCHIVE_MAX_BATCH_MESSAGES) twoBatches();
      },
    });
    const total = 2 * ARCHIVE_MAX_BATCH_MESSAGES + 500;
    await executor.enqueue(Array.from({ length: total }, (_, i) => job(i)), 1);
    await executor.start();
    // The archive holds up to 10,000 jobs waiting for their batch; an s3 action gets a slot all the same.
    await executor.enqueue([job(-1, { id: 's3-job', target: { kind: 's3', bucket: 'objects', key: 'k' } })], 1);
    await s3Settled;
    await twoBatchesSettled;
    const written = await store.listObjects('archive');
    assert.equal(written.length, 2, 'two full batches, written by count');
    assert.equal((await queue.stats(Date.now())).depth, 500, 'the last 500 wait for their batch, still queued');
    const stopping = executor.stop();
    await archive.close();
    await stopping;
    assert.equal((await queue.stats(Date.now())).depth, 0);
    assert.equal(settled, total);
    let records = 0;
    for (const { key } of await store.listObjects('archive')) {
      records += gunzipSync((await store.getObject('archive', key)).body).toString().trim().split('\n').length;
    }
    assert.equal(records, total);
  });

  test('jobs leased at enqueue whose object write failed are retried through the queue, and archived once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-archive-retry-'));
    const store = createMemoryObjectStore();
    await store.createBucket('archive');
    let failures = 1;
    const flaky = {
      putObject: async (...args: Parameters<typeof store.putObject>) => {
        if (failures-- > 0) throw Object.assign(new Error('SlowDown: try again'), { retryable: true });
        return store.putObject(...args);
      },
    };
    const queue = openSqliteActionQueue(join(dir, 'queue.db'));
    const archive = createArchive(flaky, silentLogger());
    const outcomes: string[] = [];
    const executor = new ActionExecutor({
      queue,
      logger: silentLogger(),
      metrics: new Metrics(),
      ports: portsWith(store, archive.port),
      onAttempt: (_job, report) => outcomes.push(report.outcome),
    });
    try {
      await executor.start();
      const quick = { ...target, maxBatchDelayMs: 20 };
      await Promise.all(Array.from({ length: 30 }, (_, i) => executor.enqueue([job(i, { target: quick })], 1)));
      for (let waited = 0; outcomes.filter((o) => o === 'ok').length < 30; waited += 20) {
        assert.ok(waited < 10_000, `archived ${outcomes.filter((o) => o === 'ok').length} of 30 (${outcomes.join(', ')})`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(outcomes.filter((o) => o === 'retrying').length, 30, 'the whole failed batch was retried once');
      assert.deepEqual(await queue.stats(Date.now()).then((s) => [s.depth, s.deadLetters]), [0, 0]);
      let records = 0;
      const ids = new Set<string>();
      for (const { key } of await store.listObjects('archive')) {
        for (const line of gunzipSync((await store.getObject('archive', key)).body).toString().trim().split('\n')) {
          records += 1;
          ids.add((JSON.parse(line) as { _id: string })._id);
        }
      }
      assert.equal(records, 30);
      assert.equal(ids.size, 30);
    } finally {
      const stopping = executor.stop();
      await archive.close();
      await stopping;
      await queue.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
