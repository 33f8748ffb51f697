import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { encodeJob } from './codec.js';
import { manualClock, testJob } from './fixtures.js';
import { openSqliteActionQueue } from './sqlite.js';

const FAILURE = { failedAction: 'LambdaAction', failedResource: 'IoTFunction', errorMessage: 'boom' };

async function withDir(fn: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-queue-'));
  try {
    await fn(join(dir, 'nested', 'queue.db'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('sqlite: ready, retried and dead jobs survive close and reopen byte-exact', () =>
  withDir(async (file) => {
    const clock = manualClock();
    const t0 = clock.t;
    const binary = testJob('bin', { value: undefined, payload: Buffer.from([0, 1, 254, 255]) });
    const first = openSqliteActionQueue(file, { clock });
    await first.enqueue([binary, testJob('retried'), testJob('dead', { ruleName: 'r2' })]);
    await first.lease(3, t0);
    await first.retry('retried', t0 + 50, 'timeout');
    await first.deadLetter('dead', [FAILURE], t0 + 10);
    await first.retry('bin', t0, 'x');
    await first.close();

    const second = openSqliteActionQueue(file, { clock });
    const leased = await second.lease(10, t0 + 50);
    assert.deepEqual(leased, [
      { job: binary, attempts: 1, enqueuedAt: t0, notBefore: t0, lastError: 'x' },
      { job: testJob('retried'), attempts: 1, enqueuedAt: t0, notBefore: t0 + 50, lastError: 'timeout' },
    ]);
    assert.deepEqual(await second.getDeadLetter('dead'), { job: testJob('dead', { ruleName: 'r2' }), attempts: 1, enqueuedAt: t0, deadAt: t0 + 10, failures: [FAILURE] });
    await second.close();
  }));

test('sqlite: a job leased and never completed is ready again after reopen', () =>
  withDir(async (file) => {
    const clock = manualClock();
    const first = openSqliteActionQueue(file, { clock });
    await first.enqueue([testJob('a'), testJob('b')]);
    assert.equal((await first.lease(1, clock.t)).length, 1);
    await first.close(); // the executor "crashed" holding the lease on a

    const second = openSqliteActionQueue(file, { clock });
    assert.deepEqual(await second.stats(clock.t), { depthByRule: { SoilRule: 2 }, depth: 2, oldestAgeMs: 0, deadLetters: 0 }, 'counted again at open');
    const again = await second.lease(10, clock.t);
    assert.deepEqual(again.map((q) => [q.job.id, q.attempts]), [['a', 0], ['b', 0]]);
    await second.close();
  }));

test('sqlite: group commit writes 1,000 concurrent enqueues in far fewer transactions', () =>
  withDir(async (file) => {
    const commits: Array<{ calls: number; jobs: number }> = [];
    const queue = openSqliteActionQueue(file, { onCommit: (batch) => commits.push(batch) });
    const calls = Array.from({ length: 1000 }, (_, i) => queue.enqueue([testJob(`job-${i}`)]));
    await Promise.all(calls);
    const stats = await queue.stats(Date.now());
    assert.equal(stats.depth, 1000);
    assert.equal((await queue.lease(2000, Date.now())).length, 1000);
    assert.equal(commits.reduce((n, c) => n + c.calls, 0), 1000);
    assert.ok(commits.length <= 10, `${commits.length} transactions for 1,000 calls`);
    await queue.close();
  }));

test('sqlite: a job that cannot be encoded fails its own call only', () =>
  withDir(async (file) => {
    const commits: number[] = [];
    const queue = openSqliteActionQueue(file, { onCommit: (batch) => commits.push(batch.calls) });
    const good = queue.enqueue([testJob('good')]);
    const bad = queue.enqueue([testJob('bad', { value: 1n, payload: Buffer.from('1') })]);
    await assert.rejects(bad, /BigInt/);
    await good;
    assert.deepEqual(commits, [1]);
    assert.equal((await queue.stats(Date.now())).depth, 1);
    await queue.close();
  }));

test('sqlite: a failed commit rejects every call in the batch, and nothing is written', () =>
  withDir(async (file) => {
    const queue = openSqliteActionQueue(file, { busyTimeoutMs: 20 });
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE'); // another writer holds the lock past the busy timeout
    const results = await Promise.allSettled([queue.enqueue([testJob('a')]), queue.enqueue([testJob('b'), testJob('c')])]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    for (const r of results) if (r.status === 'rejected') assert.match(String(r.reason), /locked|busy/i);
    other.exec('ROLLBACK');
    other.close();
    assert.equal((await queue.stats(Date.now())).depth, 0);
    await queue.enqueue([testJob('a')]);
    assert.equal((await queue.stats(Date.now())).depth, 1);
    await queue.close();
  }));

test('sqlite: close commits an enqueue still waiting for its batch', () =>
  withDir(async (file) => {
    const first = openSqliteActionQueue(file);
    const pending = first.enqueue([testJob('late')]);
    await first.close();
    await pending;
    const second = openSqliteActionQueue(file);
    assert.equal((await second.stats(Date.now())).depth, 1);
    await second.close();
  }));

test('sqlite: a queue file from a newer Sluice is refused', () =>
  withDir(async (file) => {
    await openSqliteActionQueue(file).close();
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    assert.throws(() => openSqliteActionQueue(file), /schema version 99 is newer/);
  }));

test('sqlite: the queue file is in WAL mode', () =>
  withDir(async (file) => {
    const queue = openSqliteActionQueue(file);
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
    await queue.close();
  }));

const ARCHIVE = { kind: 'archive', bucket: 'lake', prefix: 'raw', format: 'parquet', maxBatchDelayMs: 60_000, maxBatchBytes: 5_000_000 } as const;
const ARCHIVE_KEY = 'archive:lake/raw/parquet';
const archiveJob = (id: string): ReturnType<typeof testJob> => testJob(id, { target: { ...ARCHIVE } });

test('sqlite: archive jobs go to the batch log, never through the jobs table, until one dies', () =>
  withDir(async (file) => {
    const clock = manualClock();
    const queue = openSqliteActionQueue(file, { clock });
    await queue.enqueue([archiveJob('a1'), archiveJob('a2'), testJob('s3')]);
    const peek = new Database(file, { readonly: true });
    const count = (table: string): number => (peek.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    assert.deepEqual([count('jobs'), count('batch_log')], [1, 2]);
    const leased = await queue.lease(10, clock.t, { target: ARCHIVE_KEY });
    assert.deepEqual(leased.map((q) => q.job), [archiveJob('a1'), archiveJob('a2')]);
    await queue.complete('a1');
    await queue.deadLetter('a2', [FAILURE], clock.t);
    assert.deepEqual([count('jobs'), count('batch_log')], [2, 0], 'the dead letter moved to jobs');
    assert.deepEqual((await queue.getDeadLetter('a2'))?.job, archiveJob('a2'));
    assert.deepEqual(await queue.replayDeadLetters({ jobId: 'a2' }, clock.t), ['a2']);
    assert.deepEqual((await queue.lease(10, clock.t, { target: ARCHIVE_KEY })).map((q) => q.job.id), ['a2'], 'a replayed archive job is leased from jobs');
    peek.close();
    await queue.close();
  }));

test('sqlite: archive jobs leased, retried and waiting survive a crash and reopen with their state', () =>
  withDir(async (file) => {
    const clock = manualClock();
    const t0 = clock.t;
    const first = openSqliteActionQueue(file, { clock });
    await first.enqueue(['held', 'retried', 'fresh'].map(archiveJob));
    assert.equal((await first.lease(2, t0, { target: ARCHIVE_KEY })).length, 2);
    await first.retry('retried', t0 + 1000, 'store unavailable');
    await first.close(); // crashed holding 'held', before its batch was written

    const second = openSqliteActionQueue(file, { clock });
    assert.deepEqual(await second.activeTargets(), new Map([[ARCHIVE_KEY, 3]]));
    assert.equal((await second.stats(t0)).depth, 3);
    const again = await second.lease(10, t0, { target: ARCHIVE_KEY });
    assert.deepEqual(again.map((q) => [q.job.id, q.attempts]), [['held', 0], ['fresh', 0]], 'the retried job waits for its time');
    assert.equal(await second.nextReadyAt(), t0 + 1000);
    assert.deepEqual((await second.get('retried'))?.state, 'ready');
    assert.deepEqual((await second.get('held'))?.state, 'leased');
    assert.deepEqual(
      (await second.lease(10, t0 + 1000, { target: ARCHIVE_KEY })).map((q) => [q.job.id, q.attempts, q.lastError]),
      [['retried', 1, 'store unavailable']],
    );
    await second.close();
  }));

test('sqlite: archive jobs queued in the jobs table by an older Sluice are still leased and completed', () =>
  withDir(async (file) => {
    const clock = manualClock();
    await openSqliteActionQueue(file, { clock }).close();
    const db = new Database(file);
    // A version-3 file: no batch log yet, archive jobs as ordinary rows.
    db.exec('DROP TABLE batch_log; DROP TABLE batch_segments');
    db.pragma('user_version = 3');
    db.prepare("INSERT INTO jobs (id, rule, target, body, enqueued_at, not_before, state) VALUES (?, 'SoilRule', ?, ?, ?, ?, 'ready')").run(
      'old',
      ARCHIVE_KEY,
      encodeJob(archiveJob('old')),
      clock.t,
      clock.t,
    );
    db.close();
    const queue = openSqliteActionQueue(file, { clock });
    await queue.enqueue([archiveJob('new')]);
    assert.deepEqual((await queue.lease(10, clock.t, { target: ARCHIVE_KEY })).map((q) => q.job.id), ['old', 'new']);
    await queue.complete('old');
    await queue.complete('new');
    assert.equal((await queue.stats(clock.t)).depth, 0);
    await queue.close();
  }));

test('sqlite: a waiting archive job is not lost behind thousands leased after it', () =>
  withDir(async (file) => {
    const clock = manualClock();
    const queue = openSqliteActionQueue(file, { clock });
    await queue.enqueue(Array.from({ length: 3000 }, (_, i) => archiveJob(`j${i}`)));
    const first = await queue.lease(1000, clock.t, { target: ARCHIVE_KEY });
    for (const q of first) await queue.retry(q.job.id, clock.t + 10, 'later');
    const rest = await queue.lease(5000, clock.t, { target: ARCHIVE_KEY });
    assert.equal(rest.length, 2000);
    assert.equal(await queue.nextReadyAt(), clock.t + 10);
    clock.t += 10;
    const retried = await queue.lease(5000, clock.t, { target: ARCHIVE_KEY });
    assert.deepEqual(retried.map((q) => q.job.id), first.map((q) => q.job.id), 'oldest first');
    await queue.close();
  }));

test('sqlite: jobs leased at enqueue are one segment row per commit and target, and ready again after a crash, minus those done', () =>
  withDir(async (file) => {
    const clock = manualClock();
    const t0 = clock.t;
    const first = openSqliteActionQueue(file, { clock });
    const jobs = ['a', 'b', 'c', 'd'].map(archiveJob);
    const other = testJob('o', { ruleName: 'OtherRule', target: { ...ARCHIVE } });
    await Promise.all([first.enqueueLeased(jobs.slice(0, 2)), first.enqueueLeased([...jobs.slice(2), other])]);
    const peek = new Database(file, { readonly: true });
    assert.deepEqual(peek.prepare('SELECT rule, length(jobs) > 0 AS filled, done FROM batch_segments ORDER BY seq').all(), [
      { rule: 'SoilRule', filled: 1, done: null },
      { rule: 'OtherRule', filled: 1, done: null },
    ], 'one row per (target, rule) in the commit, however many calls');
    assert.equal((peek.prepare('SELECT COUNT(*) AS n FROM batch_log').get() as { n: number }).n, 0);
    await first.complete('a');
    await first.retry('b', t0 + 100, 'SlowDown');
    await first.deadLetter('c', [FAILURE], t0 + 1);
    assert.deepEqual(peek.prepare('SELECT rule, done FROM batch_segments ORDER BY seq').all(), [
      { rule: 'SoilRule', done: '0,1,2' },
      { rule: 'OtherRule', done: null },
    ], 'what left the segment is recorded with the change that moved it');
    await first.complete('o');
    assert.deepEqual(peek.prepare('SELECT rule FROM batch_segments').all(), [{ rule: 'SoilRule' }], 'a segment with every job done is deleted');
    peek.close();
    await first.close(); // "crashed" holding d, leased at enqueue

    const second = openSqliteActionQueue(file, { clock });
    assert.deepEqual(await second.stats(t0), { depthByRule: { SoilRule: 2 }, depth: 2, oldestAgeMs: 0, deadLetters: 1 });
    assert.deepEqual(await second.lease(10, t0, { target: ARCHIVE_KEY }), [{ job: archiveJob('d'), attempts: 0, enqueuedAt: t0, notBefore: t0 }]);
    assert.deepEqual(await second.lease(10, t0 + 100, { target: ARCHIVE_KEY }), [
      { job: archiveJob('b'), attempts: 1, enqueuedAt: t0, notBefore: t0 + 100, lastError: 'SlowDown' },
    ]);
    assert.equal((await second.getDeadLetter('c'))?.attempts, 1);
    await second.close();
    const after = new Database(file, { readonly: true });
    assert.equal((after.prepare('SELECT COUNT(*) AS n FROM batch_segments').get() as { n: number }).n, 0, 'segments became log rows at open');
    after.close();
  }));

test('sqlite: a segment job keeps its place in the shared sequence when it moves to the log or dies', () =>
  withDir(async (file) => {
    const clock = manualClock();
    const queue = openSqliteActionQueue(file, { clock });
    await queue.enqueue([archiveJob('before')]);
    await queue.enqueueLeased([archiveJob('x'), archiveJob('y')]);
    await queue.enqueue([archiveJob('after')]);
    await queue.retry('y', clock.t, 'again');
    await queue.retry('x', clock.t, 'again');
    assert.deepEqual((await queue.lease(10, clock.t, { target: ARCHIVE_KEY })).map((q) => q.job.id), ['before', 'x', 'y', 'after']);
    await queue.close();
  }));

test('sqlite: enqueueLeased and enqueue calls of one turn share one group commit', () =>
  withDir(async (file) => {
    const commits: Array<{ calls: number; jobs: number }> = [];
    const queue = openSqliteActionQueue(file, { onCommit: (batch) => commits.push(batch) });
    await Promise.all([queue.enqueue([testJob('s')]), queue.enqueueLeased([archiveJob('l1'), archiveJob('l2')]), queue.enqueueLeased([archiveJob('l3')])]);
    assert.deepEqual(commits, [{ calls: 3, jobs: 4 }]);
    await queue.close();
  }));
