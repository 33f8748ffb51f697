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

export function printReport(report: BenchReport, out: NodeJS.WritableStream = process.stdout): void {
  const rows = report.measurements.map((m) => [m.name, `${formatRate(m.rate)} ${m.unit}`, m.operations.toLocaleString('en-US'), m.seconds.toFixed(2)]);
  const header = ['benchmark', 'rate', 'operations', 'seconds'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
  out.write(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const row of rows) out.write(`${line(row)}\n`);
  if (report.ratios.length > 0) out.write('\n');
  for (const ratio of report.ratios) out.write(`${ratio.name}: ${ratio.value.toFixed(2)}x (${ratio.note})\n`);
  for (const skipped of report.skipped) out.write(`skipped ${skipped.name}: ${skipped.reason}\n`);
}

export async function writeReport(report: BenchReport, file: string): Promise<void> {
  const document = {
    date: new Date().toISOString(),
    environment: { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' },
    ...report,
  };
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
}
