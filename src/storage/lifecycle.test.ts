import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger, type Clock } from '../core/index.js';
import { BucketRouter, LifecycleSweeper, createFsObjectStore, createMemoryObjectStore, expiresAt, sweepLifecycle } from './index.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 10, 15, 30); // 2026-01-10T15:30Z

/** A clock tests move by hand. */
function simulatedClock(start: number): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms) };
}

test('expiry is last-modified plus the days, rounded up to the next midnight UTC (S3)', () => {
  const table: Array<[string, number, string]> = [
    ['2026-01-10T15:30:00Z', 1, '2026-01-12T00:00:00.000Z'],
    ['2026-01-10T00:00:00Z', 1, '2026-01-11T00:00:00.000Z'],
    ['2026-01-10T23:59:59Z', 30, '2026-02-10T00:00:00.000Z'],
    ['2026-12-31T12:00:00Z', 1, '2027-01-02T00:00:00.000Z'],
  ];
  for (const [written, days, expires] of table) {
    assert.equal(new Date(expiresAt(new Date(written), days)).toISOString(), expires, `${written} + ${days}d`);
  }
});

test('the sweeper deletes what its rules expire, at the simulated time, and never an object under no rule', async () => {
  const clock = simulatedClock(T0);
  const store = createMemoryObjectStore({ now: clock.now });
  await store.createBucket('telemetry');
  await store.createBucket('other');
  for (const key of ['logs/a', 'logs/b', 'tmp/x', 'keep/forever', 'logsX/not-under-logs-slash']) await store.putObject('telemetry', key, Buffer.from(key));
  await store.putObject('other', 'logs/a', Buffer.from('no rules in this bucket'));
  const rules = new Map([['telemetry', [{ prefix: 'logs/', expireAfterDays: 1 }, { prefix: 'tmp/', expireAfterDays: 7 }, { prefix: 'tmp/', expireAfterDays: 3 }]]]);
  const swept: Array<Map<string, number>> = [];
  const sweeper = new LifecycleSweeper({ store, rules: () => rules, clock, logger: silentLogger(), onSweep: (d) => swept.push(d) });
  sweeper.start();
  await sweeper.sweep();
  const keys = async (bucket: string) => (await store.listObjects(bucket)).map((o) => o.key);
  assert.deepEqual(await keys('telemetry'), ['keep/forever', 'logs/a', 'logs/b', 'logsX/not-under-logs-slash', 'tmp/x'], 'nothing has expired at start');

  // 2026-01-11T23:59:59.999Z: logs/ (1 day) expire at 2026-01-12T00:00Z, not yet.
  clock.advance(Date.UTC(2026, 0, 12) - T0 - 1);
  await sweeper.sweep();
  assert.equal((await keys('telemetry')).length, 5);

  clock.advance(1);
  await sweeper.sweep();
  assert.deepEqual(await keys('telemetry'), ['keep/forever', 'logsX/not-under-logs-slash', 'tmp/x']);
  assert.equal(swept.at(-1)?.get('telemetry'), 2);

  // Overlapping rules: the shorter (3 days) wins, as on S3 — tmp/x goes at 2026-01-14T00:00Z.
  clock.advance(2 * DAY);
  await sweeper.sweep();
  assert.deepEqual(await keys('telemetry'), ['keep/forever', 'logsX/not-under-logs-slash']);

  // Years later, objects under no rule, and buckets without rules, are untouched.
  clock.advance(3650 * DAY);
  await sweeper.sweep();
  assert.deepEqual(await keys('telemetry'), ['keep/forever', 'logsX/not-under-logs-slash']);
  assert.deepEqual(await keys('other'), ['logs/a']);
  await sweeper.close();
});

test('a rule without a prefix covers the whole bucket; more than a page of expired objects all go', async () => {
  const clock = simulatedClock(T0);
  const store = createMemoryObjectStore({ now: clock.now });
  await store.createBucket('bulk');
  for (let i = 0; i < 2_345; i++) await store.putObject('bulk', `k/${String(i).padStart(5, '0')}`, Buffer.from('x'));
  clock.advance(5 * DAY);
  await store.putObject('bulk', 'fresh', Buffer.from('written later'));
  const deleted = await sweepLifecycle(store, new Map([['bulk', [{ expireAfterDays: 2 }]]]), clock.now());
  assert.equal(deleted.get('bulk'), 2_345);
  assert.deepEqual((await store.listObjects('bulk')).map((o) => o.key), ['fresh']);
});

test('fs buckets: rules come from the bucket settings the router holds, and expiry follows the files\' last-modified time', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-lifecycle-'));
  try {
    const router = new BucketRouter({ fs: createFsObjectStore(dir) });
    router.configure('archive', { lifecycle: [{ prefix: 'old/', expireAfterDays: 30 }] });
    router.configure('plain', {});
    await router.createBucket('archive');
    await router.createBucket('plain');
    await router.putObject('archive', 'old/a', Buffer.from('a'), { metadata: { topic: 't' } });
    await router.putObject('archive', 'new/b', Buffer.from('b'));
    await router.putObject('plain', 'old/a', Buffer.from('a'));
    // Written 40 days ago (as a restored backup would be): the file's mtime is what S3 calls last-modified.
    const then = new Date(Date.now() - 40 * DAY);
    await utimes(join(dir, 'archive', 'old', 'a'), then, then);
    await utimes(join(dir, 'plain', 'old', 'a'), then, then);
    assert.deepEqual([...router.lifecycleRules().keys()], ['archive']);
    const clock = simulatedClock(Date.now());
    const sweeper = new LifecycleSweeper({ store: router, rules: () => router.lifecycleRules(), clock, logger: silentLogger() });
    await sweeper.sweep();
    assert.deepEqual((await router.listObjects('archive')).map((o) => o.key), ['new/b']);
    assert.deepEqual((await router.listObjects('plain')).map((o) => o.key), ['old/a']);
    // 31 days on, new/b is still kept: no rule covers new/.
    clock.advance(31 * DAY);
    await sweeper.sweep();
    assert.deepEqual((await router.listObjects('archive')).map((o) => o.key), ['new/b'], 'new/b is not under old/');
    await sweeper.close();
    router.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
