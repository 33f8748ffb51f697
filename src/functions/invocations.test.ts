import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvocationHistory } from './invocations.js';
import { fixture, setup } from './test-helpers.js';

test('the runtime keeps each invocation: request id, start, duration, status, error and trigger, newest first', async (t) => {
  const { runtime } = await setup(t);
  await runtime.deploy(await fixture('faulty.ts'));
  const before = Date.now();
  await runtime.invoke('faulty', { mode: 'ok' }, { requestId: 'first', trigger: 'api' });
  await runtime.invoke('faulty', { mode: 'throw' }, { requestId: 'second' });
  const [newest, oldest, ...rest] = runtime.invocations('faulty');
  assert.equal(rest.length, 0);
  assert.equal(newest?.requestId, 'second');
  assert.equal(newest?.status, 'error');
  assert.equal(newest?.error, 'ValidationError: humidity is not a number');
  assert.equal(newest?.trigger, undefined);
  assert.equal(oldest?.requestId, 'first');
  assert.equal(oldest?.status, 'ok');
  assert.equal(oldest?.error, undefined);
  assert.equal(oldest?.trigger, 'api');
  assert.ok(Date.parse(oldest?.startedAt ?? '') >= before - 1, 'startedAt is an ISO time of this run');
  assert.ok((oldest?.durationMs ?? -1) >= 0);
  assert.deepEqual(runtime.invocations('faulty', 1).map((i) => i.requestId), ['second']);
  assert.deepEqual(runtime.invocations('unknown'), []);
});

test('the history is bounded per function: the oldest invocations go first', () => {
  const history = new InvocationHistory(3);
  for (let i = 1; i <= 5; i++) history.record('f', { requestId: `r${i}`, startedAt: new Date(i).toISOString(), durationMs: i, status: 'ok' });
  history.record('g', { requestId: 'g1', startedAt: new Date(0).toISOString(), durationMs: 0, status: 'error', error: 'E: x' });
  assert.deepEqual(history.list('f').map((i) => i.requestId), ['r5', 'r4', 'r3']);
  assert.deepEqual(history.list('f', 2).map((i) => i.requestId), ['r5', 'r4']);
  assert.deepEqual(history.list('f', 0), []);
  assert.deepEqual(history.list('g').map((i) => i.requestId), ['g1']);
  // Finished out of order, listed by start.
  history.record('f', { requestId: 'early', startedAt: new Date(4).toISOString(), durationMs: 9, status: 'ok' });
  assert.deepEqual(history.list('f').map((i) => i.requestId), ['r5', 'early', 'r4']);
});
