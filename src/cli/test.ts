import type { Command } from 'commander';
import { formatPlace, parseParams, SluiceError } from '../core/index.js';
import { loadStackFile, runRuleTests, type RuleTestReport, type RuleTestResult } from '../stack/index.js';
import { collect, errorLine, printJson } from './output.js';

/** Exit codes of `sluice test`, so CI can tell a failing rule from a broken stack file. */
const EXIT_PASSED = 0;
const EXIT_FAILED = 1;
const EXIT_INVALID = 2;

interface TestFlags {
  param: string[];
  rule?: string;
  json: boolean;
}

/**
 * `sluice test STACK.yaml`: runs the `tests:` cases of the stack's rules
 * locally, with the engine the server uses. No server is needed.
 */
export function registerTestCommand(program: Command): void {
  program
    .command('test')
    .description(
      "run the stack file's rule tests (the `tests:` under each rule) locally, with the server's engine (no server needed); exits 0 when all pass, 1 when any fails, 2 when the file is invalid",
    )
    .argument('<file>', 'stack file (YAML)')
    .option('--param <key=value>', 'stack parameter (repeatable); others take their defaults', collect, [])
    .option('--rule <name>', "run only this rule's tests")
    .option('--json', 'print a machine-readable report on stdout', false)
    // A usage error (unknown option, no file) is bad input too: 2, never 1, which means a case failed.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : EXIT_INVALID))
    .action(async (file: string, flags: TestFlags) => {
      process.exitCode = await runTests(file, flags);
    });
}

async function runTests(file: string, flags: TestFlags): Promise<number> {
  let report: RuleTestReport;
  try {
    const stack = await loadStackFile(file, parseParams(flags.param));
    report = runRuleTests(stack, flags.rule === undefined ? {} : { rule: flags.rule });
  } catch (error) {
    process.stderr.write(`${errorLine(error)}\n`);
    if (flags.json) printJson({ error: error instanceof SluiceError ? error.toJSON() : { message: String(error) } });
    return EXIT_INVALID;
  }
  if (flags.json) printJson({ ok: report.failed === 0, ...report });
  else process.stdout.write(formatReport(report));
  return report.failed === 0 ? EXIT_PASSED : EXIT_FAILED;
}

/** One line per case, details under each failure, then `N passed, M failed`. */
export function formatReport(report: RuleTestReport): string {
  const lines: string[] = [];
  for (const result of report.results) {
    lines.push(`${result.passed ? '✔' : '✖'} ${result.rule} › ${result.name}`);
    if (!result.passed) lines.push(...failureDetails(result).map((line) => `    ${line}`));
  }
  if (report.untested.length > 0) lines.push(`- no tests: ${report.untested.join(', ')}`);
  if (lines.length > 0) lines.push('');
  lines.push(`${report.passed} passed, ${report.failed} failed`);
  return `${lines.join('\n')}\n`;
}

function failureDetails(result: RuleTestResult): string[] {
  const lines = [`${formatPlace(result.place)}: ${result.failure ?? 'failed'}`];
  const { expected, actual } = result;
  if ('error' in actual || !actual.matched) return lines;
  if ('output' in expected && 'output' in actual) {
    lines.push('diff (- expected, + actual):', ...lineDiff(prettyJson(expected.output), prettyJson(actual.output)));
  } else if ('outputBase64' in expected) {
    lines.push(`expected: ${describeBytes(expected.outputBase64)}`, `actual:   ${describeBytes(actual.outputBase64)}`);
  } else {
    // Expected no match, or a JSON output the rule did not give: show what it gave.
    lines.push(`actual output: ${'output' in actual ? JSON.stringify(actual.output) : describeBytes(actual.outputBase64)}`);
  }
  return lines;
}

/** Base64, plus the text when the bytes are printable UTF-8, which is what people can read. */
function describeBytes(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  const text = bytes.toString('utf8');
  const readable = Buffer.from(text, 'utf8').equals(bytes) && [...text].every(isPrintable);
  return `${bytes.length} bytes, base64 '${base64}'${readable && bytes.length > 0 ? ` (text ${JSON.stringify(text)})` : ''}`;
}

/** Not a control character (tab and line breaks aside). */
function isPrintable(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return code >= 0x20 ? code !== 0x7f : code === 0x09 || code === 0x0a || code === 0x0d;
}

/** JSON with sorted keys, one element per line: key order is not part of equality, so it must not show up in the diff. */
function prettyJson(value: unknown): string[] {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, sorted(x)]));
    return v;
  };
  return (JSON.stringify(sorted(value), null, 2) ?? 'undefined').split('\n');
}

/** Cells of the longest-common-subsequence table above this are not worth it; the two sides are shown whole instead. */
const MAX_DIFF_CELLS = 4_000_000;

/**
 * A line diff: `  ` both, `- ` expected only, `+ ` actual only (longest
 * common subsequence). Lines are compared without a trailing comma, so the
 * last member of an object does not show up as changed when another is added.
 */
export function lineDiff(expectedLines: string[], actualLines: string[]): string[] {
  const key = (line: string) => line.replace(/,$/, '');
  const expected = expectedLines.map(key);
  const actual = actualLines.map(key);
  const n = expected.length;
  const m = actual.length;
  if (n * m > MAX_DIFF_CELLS) return [...expectedLines.map((l) => `- ${l}`), ...actualLines.map((l) => `+ ${l}`)];
  // lcs[i][j]: length of the LCS of expected[i..] and actual[j..].
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i] as Uint32Array;
    const below = lcs[i + 1] as Uint32Array;
    for (let j = m - 1; j >= 0; j--) row[j] = expected[i] === actual[j] ? (below[j + 1] ?? 0) + 1 : Math.max(below[j] ?? 0, row[j + 1] ?? 0);
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] === actual[j]) {
      out.push(`  ${actualLines[j]}`);
      i++;
      j++;
    } else if (i < n && (j === m || (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))) {
      out.push(`- ${expectedLines[i]}`);
      i++;
    } else {
      out.push(`+ ${actualLines[j]}`);
      j++;
    }
  }
  return out;
}
