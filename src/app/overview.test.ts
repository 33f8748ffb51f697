import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Metrics, silentLogger } from '../core/index.js';
import { OverviewSampler, readTotals, type OverviewTotals } from './overview.js';
import { RuleFailures, ruleMetrics } from './rule-metrics.js';

test('totals come from the counters: rule actions without notification jobs and error actions; alerts are sent deliveries', async () => {
  const metrics = new Metrics({ defaultMetrics: false });
  metrics.messagesReceived.inc({ qos: '0' }, 3);
  metrics.messagesReceived.inc({ qos: '1' }, 2);
  metrics.ruleMatches.inc({ rule: 'A' }, 4);
  metrics.actions.inc({ rule: 'A', kind: 's3', outcome: 'success' }, 3);
  metrics.actions.inc({ rule: 'A', kind: 's3', outcome: 'retry' }, 7);
  metrics.actions.inc({ rule: 'A', kind: 'function', outcome: 'failure' }, 1);
  metrics.actions.inc({ rule: 'A', kind: 'error:republish', outcome: 'success' }, 1);
  metrics.actions.inc({ rule: '$notify/alerts', kind: 'notification', outcome: 'success' }, 5);
  metrics.actions.inc({ rule: '$invoke', kind: 'function', outcome: 'success' }, 4);
  metrics.notificationsSent.inc({ protocol: 'email', outcome: 'sent' }, 2);
  metrics.notificationsSent.inc({ protocol: 'http', outcome: 'sent' }, 1);
  metrics.notificationsSent.inc({ protocol: 'email', outcome: 'failed' }, 9);
  const totals = await readTotals(metrics, async () => ({ depth: 6, deadLetters: 2 }));
  assert.deepEqual(totals, { messagesReceived: 5, ruleMatches: 4, actionSuccesses: 3, actionFailures: 1, alertsSent: 3, queuePending: 6, deadLetters: 2 });

  const failures = new RuleFailures();
  failures.settled(
    { id: 'm:A:1', ruleName: 'A', actionIndex: 1, target: { kind: 'function', functionName: 'IoTFunction' }, input: { topic: 't', clientId: 'c', timestamp: 0, payload: Buffer.alloc(0), value: null }, originalPayload: Buffer.alloc(0) },
    { ok: false, error: 'TypeError: boom' },
  );
  const perRule = await ruleMetrics(metrics, failures);
  const a = perRule.get('A');
  assert.equal(a?.matches, 4);
  assert.equal(a?.actionSuccesses, 3);
  assert.equal(a?.actionFailures, 1);
  assert.equal(a?.lastFailure?.action, 'function IoTFunction');
  assert.equal(a?.lastFailure?.error, 'TypeError: boom');
});

test('each sample holds the rates since the one before; the history keeps the newest `capacity`, oldest first', async () => {
  let now = 1_000_000;
  const totals: OverviewTotals = { messagesReceived: 0, ruleMatches: 0, actionSuccesses: 0, actionFailures: 0, alertsSent: 0, queuePending: 0, deadLetters: 0 };
  const sampler = new OverviewSampler({ totals: async () => ({ ...totals }), connectedClients: () => 7, logger: silentLogger(), capacity: 3, now: () => now });
  await sampler.sample();
  assert.deepEqual((await sampler.overview()).history, [], 'the first reading is the baseline');
  for (let i = 1; i <= 4; i++) {
    now += 2_000;
    totals.messagesReceived += 10 * i;
    totals.ruleMatches += i;
    totals.alertsSent += 1;
    totals.queuePending = i;
    await sampler.sample();
  }
  const overview = await sampler.overview();
  assert.equal(overview.connectedClients, 7);
  assert.equal(overview.totals.messagesReceived, 100);
  assert.deepEqual(overview.history.map((s) => s.t), [1_004_000, 1_006_000, 1_008_000]);
  assert.deepEqual(overview.history.map((s) => s.messagesPerSecond), [10, 15, 20]);
  assert.deepEqual(overview.history.map((s) => s.ruleMatchesPerSecond), [1, 1.5, 2]);
  assert.deepEqual(overview.history.map((s) => s.alertsPerSecond), [0.5, 0.5, 0.5]);
  assert.deepEqual(overview.history.map((s) => s.queuePending), [2, 3, 4]);
});

test('started, the sampler adds samples on its own until stopped', async () => {
  let reads = 0;
  const totals: OverviewTotals = { messagesReceived: 0, ruleMatches: 0, actionSuccesses: 0, actionFailures: 0, alertsSent: 0, queuePending: 0, deadLetters: 0 };
  let grown: () => void = () => {};
  const threeSamples = new Promise<void>((resolve) => (grown = resolve));
  const sampler = new OverviewSampler({
    totals: async () => {
      reads++;
      // start()'s baseline, then three samples.
      if (reads === 4) grown();
      return { ...totals };
    },
    connectedClients: () => 0,
    logger: silentLogger(),
    intervalMs: 10,
  });
  // The sampler's timer is unref'd: something else must keep this test's event loop alive.
  const keepAlive = setInterval(() => {}, 1_000);
  await sampler.start();
  await threeSamples;
  await sampler.stop();
  const after = (await sampler.overview()).history.length;
  assert.ok(after >= 3, `history has ${after} samples`);
  // overview() read the totals once more; no timer reads them after stop().
  const readsAfterStop = reads;
  await new Promise((resolve) => setTimeout(resolve, 50));
  clearInterval(keepAlive);
  assert.equal(reads, readsAfterStop);
});
