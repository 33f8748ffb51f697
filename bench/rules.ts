/**
 * Rules-engine benchmarks, in process, no I/O:
 * (a) the reference scenario's two rules evaluated against soil-moisture messages;
 * (b) the topic index against a linear scan over the same 1,000 filters;
 * (c) `npm run bench:rules` (this file run as a script): evaluations/s of the
 *     reference rule on a parsed payload, a heavier SELECT, parse+compile/s,
 *     and the publish-side cost per message with 10, 1,000 and 10,000 rules,
 *     against the targets; prints a markdown table, writes
 *     bench/results/rules-latest.json. `--quick` for a short run. The
 *     engine runs on one JS thread; `taskset -c 0 npm run bench:rules` keeps
 *     V8's GC helpers on that core too.
 */
import { cpus, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RuleSet } from '../src/actions/index.js';
import { TopicIndex, compileRule, decodeMessage, topicMatchesFilter, type DecodedMessage } from '../src/rules/index.js';
// Seeded, so every run sees the same messages and filters.
import { prng } from '../test/support/prng.js';
import {
  measure,
  measureRepeated,
  median,
  printMarkdownTable,
  result,
  writeResults,
  type Measurement,
  type Ratio,
  type RepeatedMeasurement,
  type RepeatedOptions,
} from './report.js';

const ARCHIVE_SQL = "SELECT * FROM 'device/+/devicePayload'";
const ALERT_SQL = "SELECT * FROM 'device/+/devicePayload' WHERE humidity < 35";

/** Payloads as the reference simulator sends them (environment/app.py): humidity 20..45. */
function soilPayloads(count: number): Buffer[] {
  const random = prng(42);
  return Array.from({ length: count }, (_, i) => {
    const name = `soilSensor${1 + (i % 3)}`;
    const epoch = 1598536072677 + i * 30_000;
    return Buffer.from(
      JSON.stringify({ name, humidity: 20 + Math.floor(random() * 26), timeStampEpoch: epoch, timeStampIso: new Date(epoch).toISOString().replace('Z', '') }),
    );
  });
}

function decode(payload: Buffer, i: number): DecodedMessage {
  const name = `soilSensor${1 + (i % 3)}`;
  return decodeMessage({ topic: `device/${name}/devicePayload`, payload, clientId: name, timestamp: 1598536072677 + i });
}

export interface RulesBenchOptions {
  messages: number;
  /** Upper bound on each measurement, ms. */
  budgetMs: number;
}

/** (a) Each message is decoded (JSON parsed at most once) and evaluated by both rules. */
export function benchRuleEvaluation(options: RulesBenchOptions): Measurement[] {
  const rules = [compileRule(ARCHIVE_SQL), compileRule(ALERT_SQL)];
  const payloads = soilPayloads(options.messages);
  let alerts = 0;
  const evaluate = measure('rules: evaluate 2 soil-moisture rules', 'msg/s', options, (i) => {
    const message = decode(payloads[i % payloads.length] ?? Buffer.alloc(0), i);
    for (const rule of rules) {
      const result = rule.evaluate(message);
      if (result.matched && rule === rules[1]) alerts++;
    }
  });
  if (alerts === 0) throw new Error('benchmark sanity: no message was under the humidity threshold');

  // The same messages through the deployed rule set: index match, evaluate, render the S3 key.
  const ruleSet = new RuleSet();
  ruleSet.put({ name: 'SoilHumidityTestRule', sql: ARCHIVE_SQL, enabled: true, actions: [{ kind: 's3', bucket: 'RuleFilterBucket', key: '${topic()}/${timestamp()}' }] });
  ruleSet.put({ name: 'SoilHumidityAlertRule', sql: ALERT_SQL, enabled: true, actions: [{ kind: 'function', functionName: 'IoTFunction' }] });
  let jobs = 0;
  const route = measure('rules: RuleSet.route (match, evaluate, render jobs)', 'msg/s', options, (i) => {
    jobs += ruleSet.route(decode(payloads[i % payloads.length] ?? Buffer.alloc(0), i), `m${i}`).jobs.length;
  });
  if (jobs === 0) throw new Error('benchmark sanity: routing produced no jobs');
  return [evaluate, route];
}

/** 1,000 filters of the shapes fleets use: exact, '+' levels, '#' tails, leading wildcards, '$aws' topics. */
export function variedFilters(count: number, seed = 7): string[] {
  const random = prng(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const shapes: Array<() => string> = [
    () => `device/sensor${pick(200)}/devicePayload`,
    () => `device/+/devicePayload`,
    () => `device/sensor${pick(200)}/+`,
    () => `fleet/f${pick(20)}/+/telemetry/#`,
    () => `building/b${pick(10)}/floor/${pick(30)}/room/${pick(50)}/temperature`,
    () => `building/b${pick(10)}/floor/+/room/+/humidity`,
    () => `building/b${pick(10)}/#`,
    () => `+/sensor${pick(200)}/alarm`,
    () => `$aws/rules/rule${pick(100)}/device/+/data`,
    () => `site${pick(50)}/line${pick(10)}/machine${pick(40)}/status`,
  ];
  const filters = new Set<string>();
  while (filters.size < count) filters.add(shapes[pick(shapes.length)]?.() ?? '#');
  return [...filters];
}

function variedTopics(count: number, seed = 11): string[] {
  const random = prng(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const shapes: Array<() => string> = [
    () => `device/sensor${pick(250)}/devicePayload`,
    () => `device/sensor${pick(250)}/status`,
    () => `fleet/f${pick(25)}/truck${pick(100)}/telemetry/gps/fix`,
    () => `building/b${pick(12)}/floor/${pick(30)}/room/${pick(50)}/temperature`,
    () => `building/b${pick(12)}/floor/${pick(30)}/room/${pick(50)}/humidity`,
    () => `home/sensor${pick(250)}/alarm`,
    () => `$aws/rules/rule${pick(120)}/device/d${pick(10)}/data`,
    () => `site${pick(60)}/line${pick(10)}/machine${pick(40)}/status`,
  ];
  return Array.from({ length: count }, () => shapes[pick(shapes.length)]?.() ?? 'a');
}

export interface TopicBench {
  index: Measurement;
  linear: Measurement;
  /** index matches/s ÷ linear-scan matches/s */
  speedup: number;
  filters: number;
  averageMatchesPerTopic: number;
}

/** (b) matches/s of TopicIndex.match against `filters.filter(topicMatchesFilter)`, same filters, same topics. */
export function benchTopicIndex(options: { filters: number; topics: number; budgetMs: number }): TopicBench {
  const filters = variedFilters(options.filters);
  const topics = variedTopics(options.topics);
  const index = new TopicIndex<string>();
  for (const filter of filters) index.add(filter, filter);

  // Both must find the same filters, or the comparison means nothing.
  let totalMatches = 0;
  for (const topic of topics) {
    const viaIndex = index.match(topic).sort();
    const viaScan = filters.filter((f) => topicMatchesFilter(f, topic)).sort();
    if (viaIndex.join('\n') !== viaScan.join('\n')) throw new Error(`benchmark sanity: index and scan disagree on '${topic}'`);
    totalMatches += viaScan.length;
  }

  // Bounded by the time budget in practice: the index gets as long to show its rate as the scan.
  const n = { messages: 10_000_000, budgetMs: options.budgetMs };
  let sink = 0;
  const viaIndex = measure(`topics: TopicIndex.match, ${filters.length} filters`, 'match/s', n, (i) => {
    sink += index.match(topics[i % topics.length] ?? '').length;
  });
  const viaScan = measure(`topics: linear scan (topicMatchesFilter), ${filters.length} filters`, 'match/s', n, (i) => {
    const topic = topics[i % topics.length] ?? '';
    for (const filter of filters) if (topicMatchesFilter(filter, topic)) sink++;
  });
  if (sink === 0) throw new Error('benchmark sanity: nothing matched');
  return { index: viaIndex, linear: viaScan, speedup: viaIndex.rate / viaScan.rate, filters: filters.length, averageMatchesPerTopic: totalMatches / topics.length };
}

// ---------------------------------------------------------------------------
// (c) `npm run bench:rules`

/** The reference rule (the scenario's alert rule) and a heavier one: a few expressions and functions. */
export const REFERENCE_SQL = ALERT_SQL;
export const HEAVY_SQL =
  "SELECT name, humidity * 1.5 AS h, upper(name) AS n, topic(2) AS device FROM 'device/+/devicePayload' WHERE humidity < 35 AND startswith(name, 'soil')";
/** The seed reading of the reference scenario (humidity 32: under the threshold). */
const SEED_PAYLOAD = '{"name":"soilSensor2","humidity":32,"timeStampEpoch":1598536072677,"timeStampIso":"2020-08-27T13:47:52.677Z"}';
const NORMAL_PAYLOAD = '{"name":"soilSensor2","humidity":41,"timeStampEpoch":1598536102677,"timeStampIso":"2020-08-27T13:48:22.677Z"}';

export const RULES_TARGETS = {
  /** evaluations/s of the reference rule on a parsed payload, matching or not */
  referenceEvaluationsPerSecond: 2_000_000,
  /** publish-side cost per message with 10,000 rules ÷ with 10 rules */
  scaleRatio: 2,
};

/** Rule counts of the scaling figures. */
const SCALE_SIZES = [10, 1_000, 10_000] as const;

export interface RulesFigure {
  name: string;
  value: number;
  unit: string;
  target?: { op: '>=' | '<='; value: number };
  pass?: boolean;
  /** operations timed, all runs together */
  operations?: number;
  /** each timed run's value, in `unit` */
  runs?: number[];
  /** median CPU time ÷ wall time of the runs; well under 1 means the machine was busy and the value is pessimistic */
  cpuShare?: number;
}

export interface RulesBenchResult {
  mode: 'full' | 'quick';
  settings: RepeatedOptions;
  /** 1-minute load average when the run started, and the CPU count: other work on the machine skews wall-clock figures. */
  load: { average: number; cpus: number };
  figures: RulesFigure[];
}

const FULL: RepeatedOptions = { runs: 5, runMs: 250, warmupMs: 300 };
const QUICK: RepeatedOptions = { runs: 5, runMs: 30, warmupMs: 50 };

/** A message whose payload is already parsed: json() ran once, and every evaluation reuses the cached result. */
function parsedMessage(topic: string, payload: string): DecodedMessage {
  const message = decodeMessage({ topic, payload: Buffer.from(payload), clientId: 'soilSensor2', timestamp: 1598536072677 });
  if (!message.json().ok) throw new Error('benchmark sanity: the payload is not JSON');
  return message;
}

/**
 * Filters of the shapes fleets use, all distinct: `device/<i>/+/data`,
 * `site/<i>/#`, `fleet/<i>/+/telemetry/+`, `building/<i>/floor/+/room/+/temperature`.
 * Of these, only `device/0/+/data` matches SCALE_TOPIC.
 */
function scaleFilter(i: number): string {
  const id = Math.floor(i / 4);
  switch (i % 4) {
    case 0:
      return `device/${id}/+/data`;
    case 1:
      return `site/${id}/#`;
    case 2:
      return `fleet/${id}/+/telemetry/+`;
    default:
      return `building/${id}/floor/+/room/+/temperature`;
  }
}
const SCALE_TOPIC = 'device/0/soilSensor2/data';

/** A rule set as the server holds it: each rule the reference WHERE on its own filter, one function action. */
function scaleRuleSet(count: number): RuleSet {
  const rules = new RuleSet();
  for (let i = 0; i < count; i++) {
    rules.put({ name: `rule${i}`, sql: `SELECT * FROM '${scaleFilter(i)}' WHERE humidity < 35`, enabled: true, actions: [{ kind: 'function', functionName: 'alert' }] });
  }
  return rules;
}

function common(m: RepeatedMeasurement): Pick<RulesFigure, 'operations' | 'cpuShare'> {
  return { operations: m.operations.reduce((a, b) => a + b, 0), cpuShare: median(m.cpuShare) };
}

function perSecond(name: string, unit: string, m: RepeatedMeasurement, target?: number): RulesFigure {
  const value = 1e9 / m.medianNs;
  return {
    name,
    value,
    unit,
    ...(target === undefined ? {} : { target: { op: '>=' as const, value: target }, pass: value >= target }),
    runs: m.nsPerOperation.map((ns) => 1e9 / ns),
    ...common(m),
  };
}

function sanity(condition: boolean, what: string): void {
  if (!condition) throw new Error(`benchmark sanity: ${what}`);
}

/** Every figure of `npm run bench:rules`, measured in this process (one JS thread). */
export function benchRulesEngine(options: { quick: boolean; progress?: (text: string) => void }): RulesBenchResult {
  const settings = options.quick ? QUICK : FULL;
  const progress = options.progress ?? (() => undefined);
  const load = { average: loadavg()[0] ?? 0, cpus: cpus().length };
  const figures: RulesFigure[] = [];
  const topic = 'device/soilSensor2/devicePayload';

  const reference = compileRule(REFERENCE_SQL);
  const heavy = compileRule(HEAVY_SQL);
  const dry = parsedMessage(topic, SEED_PAYLOAD);
  const normal = parsedMessage(topic, NORMAL_PAYLOAD);
  // Each result is kept (in a small ring) so it escapes, as it does on the server: V8 may not optimise its allocation away.
  const kept: unknown[] = new Array(1024);
  const evaluations = (rule: typeof reference, message: DecodedMessage) => (n: number) => {
    let matched = 0;
    for (let i = 0; i < n; i++) {
      const evaluation = rule.evaluate(message);
      kept[i & 1023] = evaluation;
      if (evaluation.matched) matched++;
    }
    return matched;
  };

  progress('reference rule, matching payload ...');
  const match = measureRepeated(settings, evaluations(reference, dry));
  sanity(match.lastResult === match.iterations, 'the seed reading must match the reference rule');
  figures.push(perSecond('reference rule, matching payload (parsed)', 'evals/s', match, RULES_TARGETS.referenceEvaluationsPerSecond));

  progress('reference rule, non-matching payload ...');
  const miss = measureRepeated(settings, evaluations(reference, normal));
  sanity(miss.lastResult === 0, 'a normal reading must not match the reference rule');
  figures.push(perSecond('reference rule, non-matching payload (parsed)', 'evals/s', miss, RULES_TARGETS.referenceEvaluationsPerSecond));

  progress('heavier SELECT ...');
  const heavyOutput = heavy.evaluate(dry);
  sanity(heavyOutput.matched && JSON.stringify(heavyOutput.output.value) === '{"name":"soilSensor2","h":48,"n":"SOILSENSOR2","device":"soilSensor2"}', 'the heavier SELECT gives its expected output');
  const heavyRun = measureRepeated(settings, evaluations(heavy, dry));
  sanity(heavyRun.lastResult === heavyRun.iterations, 'the seed reading must match the heavier rule');
  figures.push(perSecond('heavier SELECT (4 expressions, upper, topic, startswith), matching', 'evals/s', heavyRun));

  for (const [label, sql] of [
    ['reference rule', REFERENCE_SQL],
    ['heavier SELECT', HEAVY_SQL],
  ] as const) {
    progress(`parse+compile, ${label} ...`);
    const compiles = measureRepeated(settings, (n) => {
      let items = 0;
      for (let i = 0; i < n; i++) items += compileRule(sql).ast.items.length;
      return items;
    });
    figures.push(perSecond(`parse+compile, ${label}`, 'compiles/s', compiles));
  }

  // Publish side, as the server routes a message: topic index match, evaluate the matching rules, render their jobs.
  const message = parsedMessage(SCALE_TOPIC, SEED_PAYLOAD);
  const costs = new Map<number, number>();
  for (const size of SCALE_SIZES) {
    progress(`publish cost with ${size.toLocaleString('en-US')} rules ...`);
    const rules = scaleRuleSet(size);
    const routed = rules.route(message, 'm');
    sanity(routed.matchedRules.join() === 'rule0' && routed.jobs.length === 1 && routed.failures.length === 0, `exactly one of ${size} rules matches`);
    const m = measureRepeated(settings, (n) => {
      let jobs = 0;
      for (let i = 0; i < n; i++) jobs += rules.route(message, 'm').jobs.length;
      return jobs;
    });
    sanity(m.lastResult === m.iterations, 'one job per message');
    costs.set(size, m.medianNs);
    figures.push({ name: `publish cost, ${size.toLocaleString('en-US')} rules (match + evaluate + jobs)`, value: m.medianNs, unit: 'ns/msg', runs: m.nsPerOperation, ...common(m) });
  }
  const ratio = (costs.get(10_000) ?? NaN) / (costs.get(10) ?? NaN);
  figures.push({ name: 'publish cost, 10,000 rules / 10 rules', value: ratio, unit: 'x', target: { op: '<=', value: RULES_TARGETS.scaleRatio }, pass: ratio <= RULES_TARGETS.scaleRatio });

  return { mode: options.quick ? 'quick' : 'full', settings, load, figures };
}

function formatValue(value: number, unit: string): string {
  if (unit === 'x') return `${value.toFixed(2)}x`;
  const digits = value < 100 ? 1 : 0;
  return `${value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${unit}`;
}

export function printRulesBench(bench: RulesBenchResult, out: NodeJS.WritableStream = process.stdout): void {
  const { runs, runMs, warmupMs } = bench.settings;
  out.write(
    `\nrules engine, in process, one JS thread (${bench.mode}: median of ${runs} runs of at least ${runMs} ms each, after ${warmupMs} ms of warm-up;` +
      ` load average ${bench.load.average.toFixed(2)} on ${bench.load.cpus} CPUs at the start)\n\n`,
  );
  printMarkdownTable(
    ['figure', 'value', 'target', 'result'],
    bench.figures.map((f) => [
      f.name,
      formatValue(f.value, f.unit),
      f.target ? `${f.target.op === '>=' ? '≥' : '≤'} ${formatValue(f.target.value, f.unit)}` : '',
      f.pass === undefined ? '' : f.pass ? 'pass' : 'FAIL',
    ]),
    out,
  );
  const missed = bench.figures.filter((f) => f.pass === false);
  out.write(missed.length === 0 ? '\nall targets met\n' : `\nMISSED ${missed.length} target(s): ${missed.map((f) => f.name).join('; ')}\n`);
  // The load average trails by a minute; the CPU share of the runs themselves says whether this run had its core.
  const starved = bench.figures.filter((f) => f.cpuShare !== undefined && f.cpuShare < 0.8);
  if (starved.length > 0) {
    out.write(
      `warning: the machine was busy: ${starved.map((f) => `${f.name} (${Math.round((f.cpuShare ?? 0) * 100)}% of a CPU)`).join('; ')} ` +
        `got under 80% of a CPU, so their wall-clock figures understate the engine; run again on a quiet machine\n`,
    );
  }
}

/** The figures as `npm run bench` reports them: rates as measurements, the scaling ratio as a ratio. */
export function rulesBenchForReport(bench: RulesBenchResult): { measurements: Measurement[]; ratios: Ratio[] } {
  const measurements: Measurement[] = [];
  const ratios: Ratio[] = [];
  for (const f of bench.figures) {
    const verdict = f.pass === undefined ? '' : `, target ${f.target?.op === '>=' ? '≥' : '≤'} ${formatValue(f.target?.value ?? 0, f.unit)}: ${f.pass ? 'pass' : 'FAIL'}`;
    if (f.unit === 'x') {
      ratios.push({ name: `rules: ${f.name}`, value: f.value, note: `publish-side cost per message${verdict} (${bench.mode} run)` });
      continue;
    }
    const operations = f.operations ?? 0;
    const nsPerOperation = f.unit === 'ns/msg' ? f.value : 1e9 / f.value;
    const name = `rules: ${f.name}${verdict}`;
    measurements.push({ ...result(name, f.unit === 'ns/msg' ? 'msg/s' : f.unit, operations, (operations * nsPerOperation) / 1e9), rate: 1e9 / nsPerOperation });
  }
  return { measurements, ratios };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const quick = process.argv.includes('--quick');
  const bench = benchRulesEngine({ quick, progress: (text) => void process.stderr.write(`${text}\n`) });
  printRulesBench(bench);
  const file = fileURLToPath(new URL('./results/rules-latest.json', import.meta.url));
  await writeResults(file, { ...bench, targets: RULES_TARGETS });
  process.stdout.write(`\nwrote ${file}\n`);
}
