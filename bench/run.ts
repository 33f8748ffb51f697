/**
 * `npm run bench [-- --quick]`: every benchmark in one run, on this machine,
 * with Mosquitto (Debian's `mosquitto`, when installed) as the reference where
 * one applies:
 * - the rules engine (with `npm run bench:rules` in its quick mode), the
 *   policy engine, topic index vs linear scan, function invocations;
 * - the broker: N publishers → one subscriber, QoS 0 and 1, throughput and
 *   latency p50/p99, Sluice and Mosquitto under the same load;
 * - the reference pipeline end to end (`sluice up` with
 *   stacks/soil-moisture.yaml), durable and in-memory queue;
 * - storing messages (`storage.ts`): one object per message (s3 action, fs)
 *   and the archive action, each against the broker's QoS 1 rate alone;
 * - publish → alert in the dev mailbox at 1,000 readings/s, p50/p99;
 * - idle connections: RSS and CPU with 10,000, 18,000 (the most this machine's
 *   descriptor limit allows) and 50,000 connected clients.
 * Prints markdown tables; writes bench/results/<date>.json (and latest.json).
 * `--quick` shrinks every budget so the whole run takes under a minute: a
 * smoke run that shows the harness works, not figures to quote.
 */
import { fileURLToPath } from 'node:url';
import { benchAlertLatency, type AlertLatencyResult } from './alert-latency.js';
import { findExecutable, publishLoad, startMosquitto, startSluice, type RunningBroker } from './broker.js';
import { connectionsFit, measureIdleConnections, type IdleConnectionsResult, type MeasuredBroker } from './connections.js';
import { benchFunctions, printFunctionBench, FUNCTION_BENCH_DEFAULTS } from './functions.js';
import { brokerLoad, type BrokerLoadOptions } from './load.js';
import { printReport, result, writeResults, type BenchReport, type ConnectionsRow, type Measurement } from './report.js';
import { benchReferencePipeline } from './pipeline.js';
import { benchStorage } from './storage.js';
import { benchPolicy } from './policy.js';
import { benchRuleEvaluation, benchRulesEngine, benchTopicIndex, rulesBenchForReport } from './rules.js';
import { startSluiceUp } from './sluice-up.js';

const quick = process.argv.includes('--quick');

/** Budgets, ms, and sizes: full run, or `--quick`. */
const PLAN = quick
  ? { rulesMs: 500, topicsMs: 500, brokerMs: 1_000, brokerMessages: 20_000, pipelineMs: 1_000, pipelineMessages: 1_000, alertSeconds: 2, connections: [2_000] }
  : { rulesMs: 3_000, topicsMs: 2_500, brokerMs: 8_000, brokerMessages: 400_000, pipelineMs: 8_000, pipelineMessages: 20_000, alertSeconds: 10, connections: [10_000, 18_000, 50_000] };

const report: BenchReport = { measurements: [], ratios: [], skipped: [], connections: [] };
const progress = (text: string): void => void process.stderr.write(`${text}\n`);
const mosquittoBinary = await findExecutable('mosquitto');
const noMosquitto = "no 'mosquitto' executable on PATH or in /usr/sbin (install the Debian package `mosquitto`: apt-get install mosquitto)";
if (!mosquittoBinary) report.skipped.push({ name: 'Mosquitto reference', reason: noMosquitto });

// ---- micro-benchmarks ------------------------------------------------------

progress('rules engine ...');
report.measurements.push(...benchRuleEvaluation({ messages: 1_000_000, budgetMs: PLAN.rulesMs }));
// `npm run bench:rules` in its quick mode (a few seconds): evaluations/s against the targets, and 10 vs 10,000 rules.
const engine = rulesBenchForReport(benchRulesEngine({ quick: true }));
report.measurements.push(...engine.measurements);
report.ratios.push(...engine.ratios);

progress('policy engine ...');
report.measurements.push(...benchPolicy({ messages: 2_000_000, budgetMs: PLAN.rulesMs }));

progress('topic index vs linear scan ...');
const topics = benchTopicIndex({ filters: 1_000, topics: 2_000, budgetMs: PLAN.topicsMs });
report.measurements.push(topics.index, topics.linear);
report.ratios.push({
  name: 'topic index / linear scan',
  value: topics.speedup,
  note: `${topics.filters} filters, ${topics.averageMatchesPerTopic.toFixed(2)} matching filters per topic on average`,
});

progress('functions: warm invocations and overhead per invocation ...');
const functions = await benchFunctions(quick ? { ...FUNCTION_BENCH_DEFAULTS, budgetMs: 300, latencySamples: 1_000 } : FUNCTION_BENCH_DEFAULTS);
report.measurements.push(...functions.measurements);

// ---- the broker: Sluice and Mosquitto under the same load ------------------

async function loadRow(name: string, start: () => Promise<RunningBroker>, options: BrokerLoadOptions): Promise<Measurement> {
  const broker = await start();
  try {
    await brokerLoad(broker.url, { ...options, messages: Math.min(5_000, options.messages), budgetMs: 1_000 }); // warm-up: JIT, socket buffers
    const run = await brokerLoad(broker.url, options);
    if (run.received < run.published) progress(`  ${name}: ${run.published - run.received} of ${run.published} messages did not arrive`);
    return { ...result(name, 'msg/s', run.received, run.seconds), p50Ms: run.p50Ms, p99Ms: run.p99Ms };
  } finally {
    await broker.stop();
  }
}

for (const qos of [0, 1] as const) {
  const load: BrokerLoadOptions = { publishers: 4, window: 25, qos, messages: PLAN.brokerMessages, budgetMs: PLAN.brokerMs };
  const label = `QoS ${qos}, 4 publishers × ${load.window} in flight → 1 subscriber`;
  progress(`broker, ${label}: Sluice ...`);
  const sluice = await loadRow(`broker: Sluice, ${label}`, startSluice, load);
  report.measurements.push(sluice);
  if (!mosquittoBinary) continue;
  progress(`broker, ${label}: Mosquitto ...`);
  try {
    const mosquitto = await loadRow(`broker: Mosquitto, ${label}`, () => startMosquitto(mosquittoBinary), load);
    sluice.vsMosquitto = sluice.rate / mosquitto.rate;
    mosquitto.vsMosquitto = 1;
    report.measurements.push(mosquitto);
  } catch (error) {
    // The reference is optional: report why it is missing rather than lose Sluice's figures.
    report.skipped.push({ name: `Mosquitto, QoS ${qos}`, reason: `${mosquittoBinary} failed: ${error instanceof Error ? error.message : String(error)}` });
  }
}

// Mosquitto's raw QoS 1 publish rate under the pipeline's load (one client, 100 in flight, no subscriber):
// the reference the pipeline and storage rows are divided by.
let mosquittoPublish: Measurement | undefined;
if (mosquittoBinary) {
  progress('Mosquitto, raw QoS 1 publish (the pipeline\'s load) ...');
  const broker = await startMosquitto(mosquittoBinary);
  try {
    mosquittoPublish = await publishLoad('broker: Mosquitto, QoS 1 publish, 1 client × 100 in flight (the pipeline\'s load)', broker.url, {
      messages: PLAN.brokerMessages,
      window: 100,
      budgetMs: PLAN.brokerMs,
    });
    mosquittoPublish.vsMosquitto = 1;
    report.measurements.push(mosquittoPublish);
  } finally {
    await broker.stop();
  }
}
const versusMosquitto = (rows: Measurement[]): void => {
  if (mosquittoPublish) for (const row of rows) row.vsMosquitto = row.rate / mosquittoPublish.rate;
};

// ---- the reference pipeline --------------------------------------------------

const pipelineLoad = { messages: PLAN.pipelineMessages, window: 100, budgetMs: PLAN.pipelineMs };
progress('reference scenario pipeline, durable queue: sluice up with stacks/soil-moisture.yaml ...');
const durable = await benchReferencePipeline(pipelineLoad);
report.measurements.push(...durable);
versusMosquitto(durable);
const [durableAcks, durableDone] = durable;
if (!quick) {
  progress('reference scenario pipeline with every message archived too ...');
  const archived = await benchReferencePipeline(pipelineLoad, { archive: true });
  report.measurements.push(...archived);
  versusMosquitto(archived);
  progress('reference scenario pipeline, memory queue (the cost of durability) ...');
  const volatile = await benchReferencePipeline(pipelineLoad, { actionQueue: 'memory' });
  report.measurements.push(...volatile);
  const [volatileAcks, volatileDone] = volatile;
  if (durableAcks && volatileAcks && durableDone && volatileDone) {
    report.ratios.push(
      { name: 'durable / memory queue, PUBACKs', value: durableAcks.rate / volatileAcks.rate, note: 'what the fsynced group commit before each PUBACK costs' },
      { name: 'durable / memory queue, processed', value: durableDone.rate / volatileDone.rate, note: 'end to end, with every action run' },
    );
  }
}

// ---- storing messages: one object each vs the archive, against the broker alone -----

progress('storage: broker alone, s3 action (one object per message), archive action ...');
const storage = await benchStorage(quick ? { messages: 2_000, window: 100, budgetMs: 1_000 } : { messages: 40_000, window: 100, budgetMs: 5_000 });
report.measurements.push(...storage.measurements);
versusMosquitto(storage.measurements);
report.ratios.push(...storage.ratios);
for (const problem of storage.problems) report.skipped.push({ name: 'storage: messages not found stored', reason: problem });

// Both ends of the target "publish → alert p99 under 50 ms at 1,000 messages/s": every reading an alert
// (the most work), and alerts among ordinary readings. --quick runs the second only.
const alertRuns: Array<{ label: string; alertEvery: number }> = [
  ...(quick ? [] : [{ label: 'every reading dry (1,000 alerts/s)', alertEvery: 1 }]),
  { label: '1 reading in 100 dry (10 alerts/s)', alertEvery: 100 },
];
const alerts: Record<string, AlertLatencyResult> = {};
for (const { label, alertEvery } of alertRuns) {
  progress(`publish → alert in the dev mailbox, 1,000 readings/s for ${PLAN.alertSeconds} s, ${label} ...`);
  const run = await benchAlertLatency({ rate: 1_000, seconds: PLAN.alertSeconds, alertEvery });
  alerts[label] = run;
  report.measurements.push({
    ...result(`reference pipeline: publish → alert mailed, 1,000 readings/s, ${label}`, 'readings/s', run.published, run.published / run.publishRate),
    p50Ms: run.p50Ms,
    p99Ms: run.p99Ms,
  });
  if (run.mailed < run.alerts) {
    report.skipped.push({ name: `alerts not mailed (${label})`, reason: `${run.alerts - run.mailed} of ${run.alerts} dry readings had no alert in the mailbox 5 s after the last one arrived` });
  }
}

// ---- idle connections --------------------------------------------------------

async function measuredSluice(): Promise<MeasuredBroker> {
  const sluice = await startSluiceUp();
  return { name: 'Sluice (sluice up, reference stack)', pid: sluice.pid, port: sluice.mqttPort, stop: sluice.stop };
}

async function measuredMosquitto(binary: string): Promise<MeasuredBroker> {
  const broker = await startMosquitto(binary);
  if (broker.pid === undefined) throw new Error('mosquitto has no pid');
  return { name: 'Mosquitto', pid: broker.pid, port: Number(new URL(broker.url).port), stop: broker.stop };
}

function connectionsRow(measured: IdleConnectionsResult): ConnectionsRow {
  return {
    broker: measured.broker,
    connections: measured.connections,
    rssMb: measured.rssBytes / 2 ** 20,
    kbPerConnection: (measured.rssBytes - measured.baselineRssBytes) / 1024 / measured.connections,
    idleCpuPercent: measured.idleCpuShare * 100,
  };
}

for (const connections of PLAN.connections) {
  const fits = await connectionsFit(connections);
  if (!fits.ok) {
    report.skipped.push({ name: `${connections.toLocaleString('en-US')} idle connections`, reason: fits.reason });
    continue;
  }
  const rows: ConnectionsRow[] = [];
  const starts: Array<[string, () => Promise<MeasuredBroker>]> = [['Sluice', measuredSluice]];
  if (mosquittoBinary) starts.push(['Mosquitto', () => measuredMosquitto(mosquittoBinary)]);
  for (const [name, start] of starts) {
    progress(`${connections.toLocaleString('en-US')} idle connections: ${name} ...`);
    const broker = await start();
    try {
      rows.push(connectionsRow(await measureIdleConnections(broker, connections, quick ? 1_000 : 5_000)));
    } catch (error) {
      report.skipped.push({ name: `${connections} idle connections, ${name}`, reason: error instanceof Error ? error.message : String(error) });
    } finally {
      await broker.stop();
    }
  }
  const mosquittoRow = rows.find((r) => r.broker === 'Mosquitto');
  for (const row of rows) if (mosquittoRow) row.rssVsMosquitto = row.rssMb / mosquittoRow.rssMb;
  report.connections?.push(...rows);
}

// ---- report --------------------------------------------------------------------

const day = new Date().toISOString().slice(0, 10);
const dated = fileURLToPath(new URL(`./results/${day}${quick ? '-quick' : ''}.json`, import.meta.url));
const latest = fileURLToPath(new URL('./results/latest.json', import.meta.url));
printReport(report);
printFunctionBench(functions);
const body = { mode: quick ? 'quick' : 'full', ...report, alerts, functions: { latency: functions.latency, targets: functions.targets } };
await writeResults(dated, body);
await writeResults(latest, body);
process.stdout.write(`\nwrote ${dated} and ${latest}\n`);
