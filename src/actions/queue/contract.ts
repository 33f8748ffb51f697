import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Clock } from '../../core/index.js';
import type { ActionTarget } from '../model.js';
import { manualClock, testJob as fixtureJob } from './fixtures.js';
import type { ActionQueue } from './port.js';

export type OpenQueue = (options: { clock: Clock }) => Promise<{ queue: ActionQueue; cleanup?: () => Promise<void> }>;

const FAILURE = { failedAction: 'S3Action', failedResource: 'RuleFilterBucket', errorMessage: 'NoSuchBucket' };

/** Every action queue driver runs this suite (mqemitter's abstractTest habit). */
export function actionQueueContract(driver: string, open: OpenQueue, options: { defaultTarget?: ActionTarget } = {}): void {
  // `defaultTarget` runs the suite with another kind of job where a test does not pick one
  // (the SQLite driver keeps archive jobs in a table of their own, and must pass it there too).
  const defaultTarget = options.defaultTarget;
  const testJob: typeof fixtureJob = (id, overrides = {}) =>
    fixtureJob(id, defaultTarget && !overrides.target ? { ...overrides, target: defaultTarget } : overrides);
  const withQueue = (name: string, fn: (queue: ActionQueue, clock: Clock & { t: number }) => Promise<void>): void => {
    test(`${driver}: ${name}`, async () => {
      const clock = manualClock();
      const { queue, cleanup } = await open({ clock });
      try {
        await fn(queue, clock);
      } finally {
        await queue.close();
        await cleanup?.();
      }
    });
  };
  const ids = (jobs: ReadonlyArray<{ job: { id: string } }>): string[] => jobs.map((queued) => queued.job.id);

  withQueue('enqueue, lease and complete; jobs come back byte-exact', async (queue, clock) => {
    const binary = testJob('bin', { value: undefined, payload: Buffer.from([0x00, 0xff, 0x10, 0x80]) });
    const json = testJob('json', { target: { kind: 'republish', topic: 'alerts/x', qos: 1 } });
    await queue.enqueue([binary, json]);
    const leased = await queue.lease(10, clock.t);
    assert.deepEqual(leased, [
      { job: binary, attempts: 0, enqueuedAt: clock.t, notBefore: clock.t },
      { job: json, attempts: 0, enqueuedAt: clock.t, notBefore: clock.t },
    ]);
    assert.ok('value' in (leased[0]?.job.input ?? {}), 'value stays a key, undefined');
    await queue.complete('bin');
    await queue.complete('json');
    assert.equal((await queue.stats(clock.t)).depth, 0);
    assert.deepEqual(await queue.lease(10, clock.t), []);
  });

  withQueue('stored jobs are copies, not the caller objects', async (queue, clock) => {
    const job = testJob('a');
    await queue.enqueue([job]);
    job.originalPayload[0] = 0x7f;
    job.ruleName = 'mutated';
    const [leased] = await queue.lease(1, clock.t);
    assert.equal(leased?.job.ruleName, 'SoilRule');
    assert.equal(leased?.job.originalPayload[0], 0x00);
  });

  withQueue('enqueueing an id already queued, leased or dead is a no-op; after complete it is new', async (queue, clock) => {
    await queue.enqueue([testJob('a'), testJob('a')]);
    await Promise.all([queue.enqueue([testJob('a')]), queue.enqueue([testJob('a')])]);
    assert.equal((await queue.stats(clock.t)).depth, 1);
    assert.deepEqual(ids(await queue.lease(10, clock.t)), ['a']);
    await queue.enqueue([testJob('a')]);
    assert.deepEqual(await queue.lease(10, clock.t), [], 'a leased job is not made ready by a re-enqueue');
    await queue.deadLetter('a', [FAILURE], clock.t);
    await queue.enqueue([testJob('a')]);
    assert.deepEqual(await queue.lease(10, clock.t), []);
    assert.equal((await queue.stats(clock.t)).deadLetters, 1);
    await queue.purgeDeadLetters({ jobId: 'a' }, clock.t);
    await queue.enqueue([testJob('a')]);
    assert.deepEqual(ids(await queue.lease(10, clock.t)), ['a']);
  });

  withQueue('lease respects notBefore', async (queue, clock) => {
    await queue.enqueue([testJob('a')]);
    assert.deepEqual(await queue.lease(10, clock.t - 1), [], 'not before it was enqueued');
    const [first] = await queue.lease(10, clock.t);
    await queue.retry('a', clock.t + 5000, 'timeout');
    assert.equal(first?.attempts, 0);
    assert.deepEqual(await queue.lease(10, clock.t + 4999), []);
    assert.deepEqual(ids(await queue.lease(10, clock.t + 5000)), ['a']);
  });

  withQueue('lease takes oldest first, enqueue order among equals, up to limit', async (queue, clock) => {
    await queue.enqueue([testJob('c1'), testJob('c2')]);
    clock.t -= 10;
    await queue.enqueue([testJob('b')]);
    clock.t -= 10;
    await queue.enqueue([testJob('a')]);
    const now = clock.t + 20;
    assert.deepEqual(await queue.lease(0, now), []);
    assert.deepEqual(ids(await queue.lease(2, now)), ['a', 'b']);
    assert.deepEqual(ids(await queue.lease(5, now)), ['c1', 'c2']);
  });

  withQueue('lease skips busy targets', async (queue, clock) => {
    const s3 = testJob('s3', { target: { kind: 's3', bucket: 'busy', key: 'k' } });
    const fn = testJob('fn', { target: { kind: 'function', functionName: 'IoTFunction' } });
    const re = testJob('re', { target: { kind: 'republish', topic: 't', qos: 0 } });
    await queue.enqueue([s3, fn, re]);
    assert.deepEqual(ids(await queue.lease(10, clock.t, { skipTargets: new Set(['s3:busy', 'republish']) })), ['fn']);
    assert.deepEqual(ids(await queue.lease(10, clock.t, { skipTargets: new Set() })), ['s3', 're']);
  });

  withQueue('lease by target takes only that target\'s oldest due jobs; activeTargets counts what is not done', async (queue, clock) => {
    const a1 = testJob('a1', { target: { kind: 's3', bucket: 'bucket-a', key: '1' } });
    const b1 = testJob('b1', { target: { kind: 's3', bucket: 'bucket-b', key: '1' } });
    const a2 = testJob('a2', { target: { kind: 's3', bucket: 'bucket-a', key: '2' } });
    const f1 = testJob('f1', { target: { kind: 'function', functionName: 'IoTFunction' } });
    await queue.enqueue([a1, b1, a2, f1]);
    assert.deepEqual(Object.fromEntries(await queue.activeTargets()), { 's3:bucket-a': 2, 's3:bucket-b': 1, 'function:IoTFunction': 1 });
    assert.deepEqual(ids(await queue.lease(1, clock.t, { target: 's3:bucket-a' })), ['a1']);
    await queue.retry('a1', clock.t + 1_000, 'later');
    assert.deepEqual(ids(await queue.lease(5, clock.t, { target: 's3:bucket-a' })), ['a2'], 'a1 is not due yet');
    assert.deepEqual(ids(await queue.lease(5, clock.t, { target: 's3:nowhere' })), []);
    await queue.complete('a2');
    await queue.deadLetter('f1', [], clock.t);
    assert.deepEqual(Object.fromEntries(await queue.activeTargets()), { 's3:bucket-a': 1, 's3:bucket-b': 1 }, 'leased and waiting count; done and dead do not');
  });

  withQueue('leased jobs are not leased twice, even by concurrent leases', async (queue, clock) => {
    await queue.enqueue(['a', 'b', 'c', 'd', 'e'].map((id) => testJob(id)));
    const [one, two] = await Promise.all([queue.lease(3, clock.t), queue.lease(3, clock.t)]);
    const all = [...ids(one ?? []), ...ids(two ?? [])].sort();
    assert.deepEqual(all, ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(await queue.lease(10, clock.t), []);
    assert.equal(await queue.nextReadyAt(), undefined, 'leased jobs are not ready');
  });

  withQueue('a retry with countAttempt false keeps the attempt count (a throttle is not an attempt)', async (queue, clock) => {
    await queue.enqueue([testJob('a')]);
    await queue.lease(1, clock.t);
    await queue.retry('a', clock.t + 100, 'failed');
    await queue.lease(1, clock.t + 100);
    await queue.retry('a', clock.t + 200, 'throttled', { countAttempt: false });
    const [again] = await queue.lease(1, clock.t + 200);
    assert.deepEqual({ attempts: again?.attempts, lastError: again?.lastError, notBefore: again?.notBefore }, { attempts: 1, lastError: 'throttled', notBefore: clock.t + 200 });
  });

  withQueue('a dead letter with countAttempt false keeps the attempt count (an event that expired unrun)', async (queue, clock) => {
    await queue.enqueue([testJob('a')]);
    await queue.lease(1, clock.t);
    await queue.deadLetter('a', [], clock.t, { countAttempt: false });
    assert.equal((await queue.getDeadLetter('a'))?.attempts, 0);
  });

  withQueue('retry counts an attempt and keeps the last error', async (queue, clock) => {
    await queue.enqueue([testJob('a')]);
    await queue.lease(1, clock.t);
    await queue.retry('a', clock.t + 100, 'first');
    assert.equal(await queue.nextReadyAt(), clock.t + 100);
    await queue.lease(1, clock.t + 100);
    await queue.retry('a', clock.t + 300, 'second');
    const [again] = await queue.lease(1, clock.t + 300);
    assert.deepEqual({ attempts: again?.attempts, lastError: again?.lastError, notBefore: again?.notBefore, enqueuedAt: again?.enqueuedAt }, {
      attempts: 2,
      lastError: 'second',
      notBefore: clock.t + 300,
      enqueuedAt: clock.t,
    });
  });

  withQueue('unknown ids are no-ops; a dead letter is not completed or retried', async (queue, clock) => {
    await queue.complete('nope');
    await queue.retry('nope', clock.t, 'x');
    await queue.deadLetter('nope', [FAILURE], clock.t);
    assert.equal(await queue.getDeadLetter('nope'), undefined);
    await queue.enqueue([testJob('a')]);
    await queue.deadLetter('a', [FAILURE], clock.t);
    await queue.complete('a');
    await queue.retry('a', clock.t, 'x');
    assert.equal((await queue.getDeadLetter('a'))?.attempts, 1);
    assert.deepEqual(await queue.lease(10, clock.t), []);
  });

  withQueue('dead letters keep the job, attempts and failures, and are listed by filter', async (queue, clock) => {
    const t0 = clock.t;
    await queue.enqueue([testJob('r1-old', { ruleName: 'r1' }), testJob('r2-mid', { ruleName: 'r2' }), testJob('r1-new', { ruleName: 'r1' })]);
    await queue.lease(3, t0);
    await queue.retry('r1-old', t0, 'first');
    await queue.deadLetter('r1-old', [FAILURE], t0 + 1000);
    await queue.deadLetter('r2-mid', [FAILURE], t0 + 2000);
    await queue.deadLetter('r1-new', [FAILURE, { ...FAILURE, errorMessage: 'again' }], t0 + 3000);
    const now = t0 + 4000;
    assert.deepEqual(await queue.getDeadLetter('r1-old'), { job: testJob('r1-old', { ruleName: 'r1' }), attempts: 2, enqueuedAt: t0, deadAt: t0 + 1000, failures: [FAILURE] });
    assert.equal(await queue.getDeadLetter('missing'), undefined);
    const list = (filter: Parameters<ActionQueue['listDeadLetters']>[0]): Promise<string[]> => queue.listDeadLetters(filter, now).then(ids);
    assert.deepEqual(await list({}), ['r1-old', 'r2-mid', 'r1-new'], 'oldest dead first');
    assert.deepEqual(await list({ ruleName: 'r1' }), ['r1-old', 'r1-new']);
    assert.deepEqual(await list({ olderThanMs: 2000 }), ['r1-old', 'r2-mid'], 'bounds are inclusive');
    assert.deepEqual(await list({ newerThanMs: 2000 }), ['r2-mid', 'r1-new']);
    assert.deepEqual(await list({ olderThanMs: 1500, newerThanMs: 2500 }), ['r2-mid']);
    assert.deepEqual(await list({ ruleName: 'r1', limit: 1 }), ['r1-old']);
    assert.deepEqual(await list({ limit: 0 }), []);
    assert.deepEqual(await queue.lease(10, now), [], 'dead letters are not leased');
    assert.equal(await queue.nextReadyAt(), undefined);
  });

  withQueue('replay by id and by filter makes fresh attempts', async (queue, clock) => {
    const t0 = clock.t;
    await queue.enqueue([testJob('a', { ruleName: 'r1' }), testJob('b', { ruleName: 'r2' }), testJob('c', { ruleName: 'r2' })]);
    await queue.lease(3, t0);
    await queue.retry('a', t0, 'boom');
    await queue.lease(3, t0);
    for (const id of ['a', 'b', 'c']) await queue.deadLetter(id, [FAILURE], t0 + 10);
    const now = t0 + 1000;
    assert.deepEqual(await queue.replayDeadLetters({ jobId: 'a' }, now), ['a']);
    assert.deepEqual(await queue.replayDeadLetters({ jobId: 'a' }, now), [], 'no longer dead');
    const [replayed] = await queue.lease(10, now);
    assert.deepEqual(replayed, { job: testJob('a', { ruleName: 'r1' }), attempts: 0, enqueuedAt: t0, notBefore: now });
    assert.deepEqual(await queue.replayDeadLetters({ ruleName: 'r2', limit: 1 }, now), ['b']);
    assert.deepEqual(await queue.replayDeadLetters({ ruleName: 'r2' }, now), ['c']);
    assert.deepEqual(await queue.listDeadLetters({}, now), []);
    assert.deepEqual(ids(await queue.lease(10, now)), ['b', 'c']);
  });

  withQueue('purge deletes dead letters by id and by filter', async (queue, clock) => {
    const t0 = clock.t;
    await queue.enqueue(['a', 'b', 'c', 'live'].map((id) => testJob(id)));
    await queue.deadLetter('a', [FAILURE], t0);
    await queue.deadLetter('b', [FAILURE], t0 + 100);
    await queue.deadLetter('c', [FAILURE], t0 + 200);
    assert.equal(await queue.purgeDeadLetters({ jobId: 'b' }, t0 + 200), 1);
    assert.equal(await queue.purgeDeadLetters({ jobId: 'live' }, t0 + 200), 0, 'a live job is not purged');
    assert.equal(await queue.purgeDeadLetters({ olderThanMs: 100 }, t0 + 200), 1);
    assert.deepEqual(ids(await queue.listDeadLetters({}, t0 + 200)), ['c']);
    assert.equal(await queue.purgeDeadLetters({}, t0 + 200), 1);
    assert.deepEqual(await queue.stats(t0 + 200), { depthByRule: { SoilRule: 1 }, depth: 1, oldestAgeMs: 200, deadLetters: 0 });
  });

  withQueue('stats count depth per rule, the oldest job and dead letters', async (queue, clock) => {
    assert.deepEqual(await queue.stats(clock.t), { depthByRule: {}, depth: 0, oldestAgeMs: 0, deadLetters: 0 });
    const t0 = clock.t;
    await queue.enqueue([testJob('a', { ruleName: 'r1' }), testJob('b', { ruleName: 'r1' })]);
    clock.t += 500;
    await queue.enqueue([testJob('c', { ruleName: 'r2' }), testJob('d', { ruleName: 'r2' })]);
    await queue.lease(2, clock.t);
    await queue.deadLetter('d', [FAILURE], clock.t);
    assert.deepEqual(await queue.stats(t0 + 2000), { depthByRule: { r1: 2, r2: 1 }, depth: 3, oldestAgeMs: 2000, deadLetters: 1 });
    assert.equal(await queue.nextReadyAt(), t0 + 500, 'earliest ready: leased ones do not count');
  });

  withQueue('stats follow every change: duplicate enqueues, completes, dead letters, replays, purges, completing a dead job', async (queue, clock) => {
    const t0 = clock.t;
    await queue.enqueue([testJob('a', { ruleName: 'r1' }), testJob('b', { ruleName: 'r1' }), testJob('c', { ruleName: 'r2' })]);
    await queue.enqueue([testJob('a', { ruleName: 'r1' }), testJob('c', { ruleName: 'r2' })]);
    assert.deepEqual((await queue.stats(t0)).depthByRule, { r1: 2, r2: 1 }, 'an id already queued is not counted twice');
    await queue.lease(3, t0);
    await queue.complete('a');
    await queue.complete('a');
    await queue.deadLetter('b', [FAILURE], t0);
    await queue.deadLetter('b', [FAILURE], t0);
    assert.deepEqual(await queue.stats(t0), { depthByRule: { r2: 1 }, depth: 1, oldestAgeMs: 0, deadLetters: 1 });
    await queue.complete('b');
    assert.equal((await queue.stats(t0)).deadLetters, 1, 'completing a dead letter does not remove it');
    assert.deepEqual(await queue.replayDeadLetters({}, t0), ['b']);
    assert.deepEqual(await queue.stats(t0), { depthByRule: { r1: 1, r2: 1 }, depth: 2, oldestAgeMs: 0, deadLetters: 0 });
    await queue.deadLetter('c', [FAILURE], t0);
    assert.equal(await queue.purgeDeadLetters({}, t0), 1);
    clock.t += 50;
    assert.deepEqual(await queue.stats(clock.t), { depthByRule: { r1: 1 }, depth: 1, oldestAgeMs: 50, deadLetters: 0 });
  });

  withQueue('get shows a job in every state, and nothing once it is done', async (queue, clock) => {
    const t0 = clock.t;
    const job = testJob('a');
    assert.equal(await queue.get('a'), undefined, 'never queued');
    await queue.enqueue([job]);
    assert.deepEqual(await queue.get('a'), { job, state: 'ready', attempts: 0, enqueuedAt: t0, notBefore: t0 });
    await queue.lease(1, t0);
    assert.deepEqual(await queue.get('a'), { job, state: 'leased', attempts: 0, enqueuedAt: t0, notBefore: t0 });
    await queue.retry('a', t0 + 500, 'SMTP down');
    assert.deepEqual(await queue.get('a'), { job, state: 'ready', attempts: 1, enqueuedAt: t0, notBefore: t0 + 500, lastError: 'SMTP down' });
    await queue.lease(1, t0 + 500);
    await queue.deadLetter('a', [FAILURE], t0 + 600);
    assert.deepEqual(await queue.get('a'), {
      job, state: 'dead', attempts: 2, enqueuedAt: t0, notBefore: t0 + 500, lastError: 'SMTP down', deadAt: t0 + 600, failures: [FAILURE],
    });
    await queue.replayDeadLetters({ jobId: 'a' }, t0 + 700);
    assert.deepEqual(await queue.get('a'), { job, state: 'ready', attempts: 0, enqueuedAt: t0, notBefore: t0 + 700 }, 'replay clears the error');
    await queue.lease(1, t0 + 700);
    await queue.complete('a');
    assert.equal(await queue.get('a'), undefined, 'done');
  });

  withQueue('dead letters filter by target key (one subscription\'s deliveries)', async (queue, clock) => {
    const sub = (id: string, subscriptionId: string) => testJob(id, { ruleName: '$notify/alerts', target: { kind: 'notification', topic: 'alerts', subscriptionId, protocol: 'email' } });
    await queue.enqueue([sub('m1:s1', 's1'), sub('m1:s2', 's2'), sub('m2:s1', 's1')]);
    for (const id of ['m1:s1', 'm1:s2', 'm2:s1']) await queue.deadLetter(id, [FAILURE], clock.t);
    assert.deepEqual(ids(await queue.listDeadLetters({ target: 'notify:s1' }, clock.t)), ['m1:s1', 'm2:s1']);
    assert.deepEqual(ids(await queue.listDeadLetters({ ruleName: '$notify/alerts', target: 'notify:s2' }, clock.t)), ['m1:s2']);
    assert.deepEqual(await queue.replayDeadLetters({ target: 'notify:s2' }, clock.t), ['m1:s2']);
    assert.equal(await queue.purgeDeadLetters({ target: 'notify:s1' }, clock.t), 2);
    assert.deepEqual(await queue.listDeadLetters({}, clock.t), []);
  });

  // enqueueLeased takes archive jobs only, whatever the suite's default target: these run once per driver.
  if (!defaultTarget) enqueueLeasedContract(withQueue);

  withQueue('calls after close are refused', async (queue) => {
    await queue.close();
    await queue.close();
    await assert.rejects(queue.enqueue([testJob('a')]), /closed/);
    await assert.rejects(queue.lease(1, 0), /closed/);
  });
}

const ARCHIVE: ActionTarget = { kind: 'archive', bucket: 'lake', prefix: 'readings', format: 'parquet', maxBatchDelayMs: 60_000, maxBatchBytes: 5_000_000 };
const OTHER_ARCHIVE: ActionTarget = { ...ARCHIVE, prefix: 'other' };

type WithQueue = (name: string, fn: (queue: ActionQueue, clock: Clock & { t: number }) => Promise<void>) => void;

/** The archive's fast path: jobs leased to the caller at enqueue (`ActionQueue.enqueueLeased`). */
function enqueueLeasedContract(withQueue: WithQueue): void {
  const archived = (id: string, overrides: Parameters<typeof fixtureJob>[1] = {}) => fixtureJob(id, { target: ARCHIVE, ...overrides });

  withQueue('enqueueLeased: the caller holds the jobs at once; lease never hands them out; stats and targets count them', async (queue, clock) => {
    const a = archived('a');
    const b = archived('b', { ruleName: 'Other', target: OTHER_ARCHIVE });
    const leased = await queue.enqueueLeased([a, b]);
    assert.deepEqual(leased, [
      { job: a, attempts: 0, enqueuedAt: clock.t, notBefore: clock.t },
      { job: b, attempts: 0, enqueuedAt: clock.t, notBefore: clock.t },
    ]);
    assert.equal(leased[0]?.job, a, "the caller's own object, not a decoded copy");
    assert.deepEqual(await queue.lease(10, clock.t + 1_000), []);
    assert.deepEqual(await queue.lease(10, clock.t + 1_000, { target: 'archive:lake/readings/parquet' }), []);
    assert.equal(await queue.nextReadyAt(), undefined, 'nothing is waiting to be leased');
    assert.deepEqual(await queue.activeTargets(), new Map([['archive:lake/readings/parquet', 1], ['archive:lake/other/parquet', 1]]));
    clock.t += 40;
    assert.deepEqual(await queue.stats(clock.t), { depthByRule: { Other: 1, SoilRule: 1 }, depth: 2, oldestAgeMs: 40, deadLetters: 0 });
    assert.equal((await queue.get('a'))?.state, 'leased');
    assert.deepEqual((await queue.get('a'))?.job, a);
    await queue.complete('a');
    await queue.complete('b');
    assert.deepEqual(await queue.stats(clock.t), { depthByRule: {}, depth: 0, oldestAgeMs: 0, deadLetters: 0 });
    assert.equal(await queue.get('a'), undefined);
    assert.deepEqual(await queue.activeTargets(), new Map());
  });

  withQueue('enqueueLeased: an id already queued, leased or dead is left out, in one call or across calls; once done it is new', async (queue, clock) => {
    assert.deepEqual(ids(await queue.enqueueLeased([archived('a'), archived('a')])), ['a']);
    assert.deepEqual(ids(await queue.enqueueLeased([archived('a')])), []);
    await queue.enqueue([archived('a')]);
    assert.deepEqual(await queue.lease(10, clock.t), [], 'enqueue does not add a second job beside the leased one');
    await queue.enqueue([archived('q')]);
    assert.deepEqual(ids(await queue.enqueueLeased([archived('q')])), [], 'queued by enqueue');
    await queue.deadLetter('a', [FAILURE], clock.t);
    assert.deepEqual(ids(await queue.enqueueLeased([archived('a')])), [], 'dead');
    await queue.purgeDeadLetters({ jobId: 'a' }, clock.t);
    assert.deepEqual(ids(await queue.enqueueLeased([archived('a')])), ['a'], 'purged, so new again');
    await queue.complete('a');
    assert.deepEqual(ids(await queue.enqueueLeased([archived('a')])), ['a'], 'done, so new again');
    // Two calls in the same turn share one commit, and still make one job.
    const [first, second] = await Promise.all([queue.enqueueLeased([archived('c')]), queue.enqueueLeased([archived('c')])]);
    assert.deepEqual([...ids(first ?? []), ...ids(second ?? [])], ['c']);
    assert.equal((await queue.stats(clock.t)).depth, 3);
  });

  withQueue('enqueueLeased: a retried job waits for its time, counts the attempt, and comes back byte-exact', async (queue, clock) => {
    const binary = archived('bin', { value: undefined, payload: Buffer.from([0, 255, 16, 128]) });
    await queue.enqueueLeased([binary, archived('x'), archived('y')]);
    await queue.retry('bin', clock.t + 500, 'SlowDown');
    await queue.complete('x');
    assert.deepEqual(await queue.lease(10, clock.t + 499), []);
    assert.equal(await queue.nextReadyAt(), clock.t + 500);
    assert.deepEqual(await queue.get('bin'), { job: binary, state: 'ready', attempts: 1, enqueuedAt: clock.t, notBefore: clock.t + 500, lastError: 'SlowDown' });
    const again = await queue.lease(10, clock.t + 500);
    assert.deepEqual(again, [{ job: binary, attempts: 1, enqueuedAt: clock.t, notBefore: clock.t + 500, lastError: 'SlowDown' }]);
    await queue.retry('bin', clock.t + 900, 'again', { countAttempt: false });
    assert.equal((await queue.lease(10, clock.t + 900))[0]?.attempts, 1, 'an uncounted retry keeps the count');
    await queue.complete('bin');
    await queue.complete('y');
    assert.equal((await queue.stats(clock.t)).depth, 0);
  });

  withQueue('enqueueLeased: a dead-lettered job is listed, replayed and leased like any other', async (queue, clock) => {
    const job = archived('d');
    await queue.enqueueLeased([job, archived('e')]);
    await queue.deadLetter('d', [FAILURE], clock.t + 5);
    assert.deepEqual(await queue.getDeadLetter('d'), { job, attempts: 1, enqueuedAt: clock.t, deadAt: clock.t + 5, failures: [FAILURE] });
    assert.deepEqual(await queue.stats(clock.t + 5), { depthByRule: { SoilRule: 1 }, depth: 1, oldestAgeMs: 5, deadLetters: 1 });
    assert.deepEqual(await queue.replayDeadLetters({ jobId: 'd' }, clock.t + 10), ['d']);
    assert.deepEqual(await queue.lease(10, clock.t + 10, { target: 'archive:lake/readings/parquet' }), [{ job, attempts: 0, enqueuedAt: clock.t, notBefore: clock.t + 10 }]);
  });

  withQueue('enqueueLeased: takes archive jobs only', async (queue) => {
    await assert.rejects(queue.enqueueLeased([fixtureJob('s3-job')]), /archive jobs only; job s3-job is for s3:RuleFilterBucket/);
    assert.equal((await queue.stats(0)).depth, 0);
  });

  withQueue('enqueueLeased and enqueue in the same turn each take their own jobs', async (queue, clock) => {
    const [, leased] = await Promise.all([queue.enqueue([fixtureJob('s')]), queue.enqueueLeased([archived('l')])]);
    assert.deepEqual(ids(leased ?? []), ['l']);
    assert.deepEqual(ids(await queue.lease(10, clock.t)), ['s']);
  });
}

function ids(jobs: ReadonlyArray<{ job: { id: string } }>): string[] {
  return jobs.map((queued) => queued.job.id);
}
