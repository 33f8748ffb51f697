import type { Command } from 'commander';
import { SluiceError, errorMessage } from '../core/index.js';
import { compileRule, decodeMessage, DEFAULT_SQL_VERSION, SQL_VERSIONS, topicMatchesFilter, validateTopicName, type SqlVersion } from '../rules/index.js';

/** Exit codes of `sluice sql eval`, so a script can tell "no match" from "broken rule". */
const EXIT_MATCH = 0;
const EXIT_NO_MATCH = 1;
const EXIT_ERROR = 2;

interface EvalFlags {
  sql: string;
  topic: string;
  payload: string;
  clientid: string;
  timestamp?: string;
  sqlVersion: string;
}

/**
 * `sluice sql eval`: runs one rule against one message locally, with the same
 * engine the server uses, so a rule can be tried (and scripted into tests)
 * before it is deployed. No server is needed.
 */
export function registerSqlCommands(program: Command): void {
  const sql = program.command('sql').description('rule SQL tools that run locally (no server needed)');
  sql
    .command('eval')
    .description(
      'evaluate a rule against one message: prints the output on stdout and exits 0; exits 1 when the rule does not match; exits 2 when the SQL or the input is invalid',
    )
    .requiredOption('--sql <sql>', 'the rule statement, e.g. "SELECT * FROM \'device/+/data\' WHERE humidity < 35"')
    .requiredOption('--topic <topic>', 'the topic the message is published on')
    .requiredOption('--payload <payload>', 'the message payload: JSON, or any other text, which is passed as raw bytes')
    .option('--clientid <id>', 'the publishing client id (for clientid())', 'sluice-cli')
    .option('--timestamp <ms>', 'receive time in ms since the epoch (for timestamp()); default now')
    .option('--sql-version <version>', `AWS IoT SQL version: ${SQL_VERSIONS.join(' or ')}`, DEFAULT_SQL_VERSION)
    .action((flags: EvalFlags) => {
      process.exitCode = evaluate(flags);
    });
}

function evaluate(flags: EvalFlags): number {
  try {
    const timestamp = parseTimestamp(flags.timestamp);
    const topicProblem = validateTopicName(flags.topic);
    if (topicProblem !== undefined) {
      throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `--topic: ${topicProblem}`, { place: { field: 'topic' } });
    }
    const rule = compileRule(flags.sql, { sqlVersion: parseSqlVersion(flags.sqlVersion) });
    if (rule.topicFilter !== undefined && !topicMatchesFilter(rule.topicFilter, flags.topic)) {
      process.stderr.write(`no match: the topic '${flags.topic}' does not match the rule's FROM filter '${rule.topicFilter}'\n`);
      return EXIT_NO_MATCH;
    }
    // A JSON payload and a non-JSON one are both just bytes to the engine, as on the broker.
    const message = decodeMessage({ topic: flags.topic, payload: Buffer.from(flags.payload, 'utf8'), clientId: flags.clientid, timestamp });
    const result = rule.evaluate(message);
    if (!result.matched) {
      process.stderr.write('no match: the WHERE clause is false for this message\n');
      return EXIT_NO_MATCH;
    }
    const { value, bytes } = result.output;
    // A binary passthrough (SELECT * of a non-JSON payload) has no value: print what an action would receive.
    if (value === undefined) process.stdout.write(bytes);
    else process.stdout.write(`${JSON.stringify(value)}\n`);
    return EXIT_MATCH;
  } catch (error) {
    reportError(error, flags.sql);
    return EXIT_ERROR;
  }
}

function parseSqlVersion(text: string): SqlVersion {
  const version = SQL_VERSIONS.find((v) => v === text);
  if (version === undefined) {
    throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `expected ${SQL_VERSIONS.join(' or ')}, got '${text}'`, { place: { field: '--sql-version' } });
  }
  return version;
}

function parseTimestamp(text: string | undefined): number {
  if (text === undefined) return Date.now();
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) {
    throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `--timestamp: expected ms since the epoch, got '${text}'`, { place: { field: 'timestamp' } });
  }
  return value;
}

/** The `output.ts` error line, then (for a positioned SQL error) the statement line with a caret under the column. */
function reportError(error: unknown, sql: string): void {
  if (!(error instanceof SluiceError)) {
    process.stderr.write(`error: ${errorMessage(error)}\n`);
    return;
  }
  process.stderr.write(`error: ${error.toString()} [${error.code}]\n`);
  const { line, column } = error.place ?? {};
  if (!error.code.startsWith('SLUICE_ERR_RULE_SQL') || line === undefined || column === undefined) return;
  const source = sql.split(/\r?\n/)[line - 1];
  if (source === undefined) return;
  // Keep tabs so the caret lines up with the statement as the terminal shows it.
  const pad = source.slice(0, Math.max(0, column - 1)).replace(/[^\t]/g, ' ');
  process.stderr.write(`  ${source}\n  ${pad}^\n`);
}
