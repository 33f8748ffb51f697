/** Measuring helpers, the printed table and the JSON written to bench/results/latest.json. */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';

export interface Measurement {
  name: string;
  unit: string;
  operations: number;
  seconds: number;
  /** operations per second */
  rate: number;
  /** Latency percentiles, ms, where the row measures latency too. */
  p50Ms?: number;
  p99Ms?: number;
  /** This row's rate ÷ Mosquitto's under the same load in the same run, where one applies. */
  vsMosquitto?: number;
  /** Operations of the untimed warm-up before the timed run, where there was one. */
  warmupOperations?: number;
  /** CPU the measured server used per operation, all its threads, µs, where measured (`bench/proc.ts`). */
  cpuUsPerOperation?: number;
}

/** Idle connections held by one broker: memory and CPU (bench/connections.ts). */
export interface ConnectionsRow {
  broker: string;
  connections: number;
  rssMb: number;
  /** RSS growth per connection, KB. */
  kbPerConnection: number;
  /** CPU used while the clients sat idle, % of one core. */
  idleCpuPercent: number;
  /** This broker's RSS ÷ Mosquitto's with as many connections, where measured. */
  rssVsMosquitto?: number;
}

export interface Ratio {
  name: string;
  /** numerator ÷ denominator, of their rates */
  value: number;
  note: string;
}

export interface Skipped {
  name: string;
  reason: string;
}

export interface BenchReport {
  measurements: Measurement[];
  ratios: Ratio[];
  skipped: Skipped[];
  connections?: ConnectionsRow[];
}

/**
 * Runs `step(i)` for i = 0, 1, ... until `messages` steps or `budgetMs` ms (checked
 * every 256 steps), after a short warm-up so the JIT has compiled the hot path.
 */
export function measure(name: string, unit: string, options: { messages: number; budgetMs: number }, step: (i: number) => void): Measurement {
  const warmup = Math.min(2_000, Math.ceil(options.messages / 10));
  for (let i = 0; i < warmup; i++) step(i);
  const start = performance.now();
  const deadline = start + options.budgetMs;
  let i = 0;
  while (i < options.messages) {
    step(i);
    i++;
    if ((i & 255) === 0 && performance.now() > deadline) break;
  }
  return result(name, unit, i, (performance.now() - start) / 1000);
}

export function result(name: string, unit: string, operations: number, seconds: number): Measurement {
  return { name, unit, operations, seconds, rate: operations / seconds };
}

function formatRate(rate: number): string {
  return Math.round(rate).toLocaleString('en-US');
}

const fixed = (value: number | undefined, digits: number): string => (value === undefined || Number.isNaN(value) ? '' : value.toFixed(digits));

/** The report as markdown tables (they read well in a terminal too), then the ratios and what was skipped. */
export function printReport(report: BenchReport, out: NodeJS.WritableStream = process.stdout): void {
  out.write('\n');
  printMarkdownTable(
    ['benchmark', 'rate', 'p50 ms', 'p99 ms', '× Mosquitto', 'server CPU µs/op', 'operations', 'seconds'],
    report.measurements.map((m) => [
      m.name,
      `${formatRate(m.rate)} ${m.unit}`,
      fixed(m.p50Ms, 2),
      fixed(m.p99Ms, 2),
      m.vsMosquitto === undefined ? '' : `${m.vsMosquitto.toFixed(2)}x`,
      fixed(m.cpuUsPerOperation, 1),
      m.operations.toLocaleString('en-US'),
      m.seconds.toFixed(2),
    ]),
    out,
  );
  if (report.connections && report.connections.length > 0) {
    out.write('\n');
    printMarkdownTable(
      ['idle connections', 'broker', 'RSS MB', 'KB / connection', 'idle CPU %', 'RSS × Mosquitto'],
      report.connections.map((c) => [
        c.connections.toLocaleString('en-US'),
        c.broker,
        c.rssMb.toFixed(0),
        c.kbPerConnection.toFixed(1),
        c.idleCpuPercent.toFixed(1),
        c.rssVsMosquitto === undefined ? '' : `${c.rssVsMosquitto.toFixed(2)}x`,
      ]),
      out,
    );
  }
  if (report.ratios.length > 0) out.write('\n');
  for (const ratio of report.ratios) out.write(`${ratio.name}: ${ratio.value.toFixed(2)}x (${ratio.note})\n`);
  for (const skipped of report.skipped) out.write(`skipped ${skipped.name}: ${skipped.reason}\n`);
}

/** Where the figures were measured, for every results file. */
export function environment(): { node: string; platform: string; cpus: number; cpuModel: string } {
  return { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' };
}

/** Writes `{date, environment, ...body}` as pretty JSON, creating the folder. */
export async function writeResults(file: string, body: Record<string, unknown>): Promise<void> {
  const document = { date: new Date().toISOString(), environment: environment(), ...body };
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
}

export async function writeReport(report: BenchReport, file: string): Promise<void> {
  await writeResults(file, { ...report });
}

/** A markdown table, columns padded so it also reads well in a terminal. */
export function printMarkdownTable(headers: string[], rows: string[][], out: NodeJS.WritableStream = process.stdout): void {
  const widths = headers.map((h, c) => Math.max(h.length, 3, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`;
  out.write(`${line(headers)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const row of rows) out.write(`${line(row)}\n`);
}

export interface RepeatedOptions {
  /** Timed runs; the figure is their median. */
  runs: number;
  /** Each run lasts at least this long, ms. */
  runMs: number;
  /** Untimed warm-up before the runs, ms, so the JIT has compiled the hot path. */
  warmupMs: number;
}

export interface RepeatedMeasurement {
  /** Operations per batch: `batch(iterations)` takes about a millisecond. */
  iterations: number;
  /** Operations in each timed run. */
  operations: number[];
  /** ns per operation of each run, in run order. */
  nsPerOperation: number[];
  /** The median of `nsPerOperation`. */
  medianNs: number;
  /**
   * CPU time ÷ wall time of each run (process.cpuUsage, so GC helper threads
   * count too): well under 1 means the process waited for a CPU, and the
   * wall-clock figure understates the code's speed.
   */
  cpuShare: number[];
  /** What the last batch returned, for the caller's sanity check. */
  lastResult: number;
}

/** A batch this long makes the clock reads around it negligible. */
const BATCH_NS = 1e6;

/**
 * Times `batch(n)` (which runs the operation n times in its own loop, so the
 * harness adds no call per operation) with process.hrtime.bigint(): calibrate
 * n so one batch takes about 1 ms (the fastest of three tries, as a pause
 * only ever makes a try slower), warm up for `warmupMs`, then `runs` runs of
 * whole batches, each at least `runMs` long. `batch` returns a value the
 * caller checks, so no work can be optimised away.
 */
export function measureRepeated(options: RepeatedOptions, batch: (n: number) => number): RepeatedMeasurement {
  let lastResult = 0;
  const time = (n: number): number => {
    const start = process.hrtime.bigint();
    lastResult = batch(n);
    return Number(process.hrtime.bigint() - start);
  };
  let iterations = 1;
  while (iterations < 2 ** 30 && Math.min(time(iterations), time(iterations), time(iterations)) < BATCH_NS) iterations *= 2;
  const run = (ms: number): { operations: number; ns: number; cpuShare: number } => {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    const end = start + BigInt(Math.round(ms * 1e6));
    let operations = 0;
    let now = start;
    do {
      lastResult = batch(iterations);
      operations += iterations;
      now = process.hrtime.bigint();
    } while (now < end);
    const ns = Number(now - start);
    const used = process.cpuUsage(cpu);
    return { operations, ns, cpuShare: ((used.user + used.system) * 1000) / ns };
  };
  run(options.warmupMs);
  const runs = Array.from({ length: options.runs }, () => run(options.runMs));
  const nsPerOperation = runs.map((r) => r.ns / r.operations);
  return {
    iterations,
    operations: runs.map((r) => r.operations),
    nsPerOperation,
    medianNs: median(nsPerOperation),
    cpuShare: runs.map((r) => r.cpuShare),
    lastResult,
  };
}

/** The p-th percentile (0 to 100, nearest rank) of values sorted ascending; NaN for none. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
