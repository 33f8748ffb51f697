/**
 * `npm run bench`: rules engine (with `npm run bench:rules` in its quick mode), topic index vs linear scan, the function
 * runtime (warm invocations/s, overhead per invocation: bench/functions.ts), and the broker end
 * to end (against Mosquitto when installed), and the reference scenario's
 * whole pipeline. Each measurement is bounded by a
 * message count and a time budget so the whole run stays under a minute on two
 * cores. Prints a table; writes bench/results/latest.json.
 */
import { fileURLToPath } from 'node:url';
import { findExecutable, publishLoad, startMosquitto, startSluice, type LoadOptions, type RunningBroker } from './broker.js';
import { benchFunctions, printFunctionBench } from './functions.js';
import { printReport, writeResults, type BenchReport, type Measurement } from './report.js';
import { benchReferencePipeline } from './pipeline.js';
import { benchPolicy } from './policy.js';
import { benchRuleEvaluation, benchRulesEngine, benchTopicIndex, rulesBenchForReport } from './rules.js';

/** Time budgets, ms. */
const RULES_BUDGET_MS = 3_000;
const TOPICS_BUDGET_MS = 2_500;
const BROKER_LOAD: LoadOptions = { messages: 200_000, window: 100, budgetMs: 8_000 };

const report: BenchReport = { measurements: [], ratios: [], skipped: [] };
const progress = (text: string): void => void process.stderr.write(`${text}\n`);

progress('rules engine ...');
report.measurements.push(...benchRuleEvaluation({ messages: 1_000_000, budgetMs: RULES_BUDGET_MS }));
// `npm run bench:rules` in its quick mode (a few seconds): evaluations/s against the targets, and 10 vs 10,000 rules.
const engine = rulesBenchForReport(benchRulesEngine({ quick: true }));
report.measurements.push(...engine.measurements);
report.ratios.push(...engine.ratios);

progress('policy engine ...');
report.measurements.push(...benchPolicy({ messages: 2_000_000, budgetMs: RULES_BUDGET_MS }));

progress('topic index vs linear scan ...');
const topics = benchTopicIndex({ filters: 1_000, topics: 2_000, budgetMs: TOPICS_BUDGET_MS });
report.measurements.push(topics.index, topics.linear);
report.ratios.push({
  name: 'topic index / linear scan',
  value: topics.speedup,
  note: `${topics.filters} filters, ${topics.averageMatchesPerTopic.toFixed(2)} matching filters per topic on average`,
});

progress('functions: warm invocations and overhead per invocation ...');
const functions = await benchFunctions();
report.measurements.push(...functions.measurements);

async function load(name: string, start: () => Promise<RunningBroker>): Promise<Measurement> {
  const broker = await start();
  try {
    return await publishLoad(name, broker.url, BROKER_LOAD);
  } finally {
    await broker.stop();
  }
}

const loadLabel = `QoS 1 publish, ${BROKER_LOAD.window} in flight, 1 client`;
progress('broker end to end: Sluice ...');
const sluice = await load(`broker: Sluice (aedes), ${loadLabel}`, startSluice);
report.measurements.push(sluice);

const mosquittoBinary = await findExecutable('mosquitto');
if (mosquittoBinary) {
  progress(`broker end to end: Mosquitto (${mosquittoBinary}) ...`);
  try {
    const mosquitto = await load(`broker: Mosquitto, ${loadLabel}`, () => startMosquitto(mosquittoBinary));
    report.measurements.push(mosquitto);
    report.ratios.push({ name: 'Sluice / Mosquitto', value: sluice.rate / mosquitto.rate, note: 'same load; both brokers in their own process; Sluice runs a no-op onMessage hook' });
  } catch (error) {
    // The reference is optional: report why it is missing rather than lose Sluice's figures.
    report.skipped.push({ name: 'Mosquitto reference', reason: `${mosquittoBinary} failed: ${error instanceof Error ? error.message : String(error)}` });
  }
} else {
  report.skipped.push({
    name: 'Mosquitto reference',
    reason: "no 'mosquitto' executable on PATH or in /usr/sbin (install the Debian package `mosquitto`: apt-get install mosquitto)",
  });
}

progress('reference scenario pipeline, durable queue: sluice up with stacks/soil-moisture.yaml ...');
const durable = await benchReferencePipeline({ messages: 20_000, window: 100, budgetMs: 8_000 }, 'sqlite');
progress('reference scenario pipeline, memory queue (the cost of durability) ...');
const volatile = await benchReferencePipeline({ messages: 20_000, window: 100, budgetMs: 8_000 }, 'memory');
report.measurements.push(...durable, ...volatile);
const [durableAcks, durableDone] = durable;
const [volatileAcks, volatileDone] = volatile;
if (durableAcks && volatileAcks && durableDone && volatileDone) {
  report.ratios.push(
    { name: 'durable / memory queue, PUBACKs', value: durableAcks.rate / volatileAcks.rate, note: 'what the fsynced group commit before each PUBACK costs' },
    { name: 'durable / memory queue, processed', value: durableDone.rate / volatileDone.rate, note: 'end to end, with every action run' },
    { name: 'full pipeline / bare broker', value: durableDone.rate / sluice.rate, note: 'rules, fsynced object writes and a function invocation per message, against the no-op hook' },
  );
}

const file = fileURLToPath(new URL('./results/latest.json', import.meta.url));
printReport(report);
printFunctionBench(functions);
await writeResults(file, { ...report, functions: { latency: functions.latency, targets: functions.targets } });
process.stdout.write(`\nwrote ${file}\n`);
