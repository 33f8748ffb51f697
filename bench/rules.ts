/**
 * Rules-engine benchmarks, in process, no I/O:
 * (a) the reference scenario's two rules evaluated against soil-moisture messages;
 * (b) the topic index against a linear scan over the same 1,000 filters.
 */
import { RuleSet } from '../src/actions/index.js';
import { TopicIndex, compileRule, decodeMessage, topicMatchesFilter, type DecodedMessage } from '../src/rules/index.js';
// Seeded, so every run sees the same messages and filters.
import { prng } from '../test/support/prng.js';
import { measure, type Measurement } from './report.js';


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
