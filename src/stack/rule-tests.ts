/**
 * Running the `tests:` cases of a stack's rules locally, with the engine the
 * server uses (compileRule with the rule's sqlVersion, decodeMessage, the
 * FROM filter match). Pure: no I/O; `sluice test` reads the file and prints.
 */
import { SluiceError, errorMessage, isSluiceError, type ErrorPlace } from '../core/index.js';
import { BASIC_INGEST_PREFIX, basicIngestTarget, compileRule, decodeMessage, topicMatchesFilter, type CompiledRule, type RuleEvaluation } from '../rules/index.js';
import type { LocatedStack } from './parse.js';
import { canonicalJson } from './plan.js';
import { didYouMean } from './suggest.js';
import type { RuleTestSpec } from './types.js';

/** timestamp() of a case that gives none: fixed, so outputs are the same on every run (2020-08-27T13:47:52.677Z). */
export const DEFAULT_TEST_TIMESTAMP = 1_598_536_072_677;
/** clientid() of a case that gives none. */
export const DEFAULT_TEST_CLIENT_ID = 'sluice-test';

/** What a case expects, as written in the file (the JSON report's shape). */
export type ExpectedOutcome = { output: unknown } | { outputBase64: string } | { noMatch: true };

/**
 * What the rule made of the message, in the shape of `POST /api/v1/rules/test`:
 * `output` is absent when the output has no JSON value (a binary payload
 * passed through by SELECT *). `error` when evaluating it failed, as it would
 * on the server (where the rule then runs no action).
 */
export type ActualOutcome =
  | { matched: false; reason: 'topic' | 'where' }
  | { matched: true; output?: unknown; outputBase64: string }
  | { error: { code?: string; message: string } };

export interface RuleTestResult {
  rule: string;
  /** The case's `name`, or `case N` (1-based, in file order). */
  name: string;
  /** 0-based index in the rule's `tests:`. */
  index: number;
  /** Where the case is in the stack file. */
  place: ErrorPlace;
  passed: boolean;
  /** Why it failed, one line; absent when it passed. */
  failure?: string;
  expected: ExpectedOutcome;
  actual: ActualOutcome;
}

export interface RuleTestReport {
  file: string;
  stack: string;
  passed: number;
  failed: number;
  results: RuleTestResult[];
  /** Rules (of those run) that have no tests. */
  untested: string[];
}

export interface RunRuleTestsOptions {
  /** Run only this rule's tests; an unknown name is an error. */
  rule?: string;
}

/** Runs every case of every rule (or of `options.rule`), in file order. Never throws for a failing case. */
export function runRuleTests(stack: LocatedStack, options: RunRuleTestsOptions = {}): RuleTestReport {
  const { definition, locator, tests } = stack;
  const ruleNames = Object.keys(definition.rules);
  if (options.rule !== undefined && !Object.hasOwn(definition.rules, options.rule)) {
    const suggestion = didYouMean(options.rule, ruleNames);
    const hint = suggestion ? ` (did you mean '${suggestion}'?)` : ruleNames.length ? ` (rules: ${ruleNames.join(', ')})` : ' (the stack has no rules)';
    throw new SluiceError('SLUICE_ERR_STACK_REFERENCE', `--rule ${options.rule}: no such rule in this stack${hint}`, {
      place: { file: definition.fileName, field: 'rules' },
    });
  }
  const selected = options.rule === undefined ? ruleNames : [options.rule];
  const results: RuleTestResult[] = [];
  const untested: string[] = [];
  for (const ruleName of selected) {
    const spec = definition.rules[ruleName];
    const cases = tests[ruleName] ?? [];
    if (!spec || cases.length === 0) {
      untested.push(ruleName);
      continue;
    }
    // The stack parsed, so the SQL compiles.
    const rule = compileRule(spec.sql, { sqlVersion: spec.sqlVersion });
    cases.forEach((test, index) => {
      const place = locator.place(['rules', ruleName, 'tests', index]);
      const outcome = runCase(rule, ruleName, test);
      results.push({ rule: ruleName, name: test.name ?? `case ${index + 1}`, index, place, ...outcome });
    });
  }
  const passed = results.filter((r) => r.passed).length;
  return { file: definition.fileName, stack: definition.name, passed, failed: results.length - passed, results, untested };
}

type CaseOutcome = Pick<RuleTestResult, 'passed' | 'failure' | 'expected' | 'actual'>;

function runCase(rule: CompiledRule, ruleName: string, test: RuleTestSpec): CaseOutcome {
  const expected = expectedOutcome(test);
  const failed = (failure: string, actual: ActualOutcome): CaseOutcome => ({ passed: false, failure, expected, actual });
  // The broker would never hand this message to the rule: a test of it would prove nothing.
  const reached = reach(rule, ruleName, test.topic);
  if ('problem' in reached) return failed(reached.problem, { matched: false, reason: 'topic' });
  if (rule.invokesFunctions) {
    return failed('the rule calls aws_lambda(), and sluice test runs no functions: test it against a running server', {
      error: { message: 'aws_lambda() is not available in sluice test' },
    });
  }
  const message = decodeMessage({
    topic: reached.topic,
    payload: Buffer.from(test.payloadBase64, 'base64'),
    clientId: test.clientId ?? DEFAULT_TEST_CLIENT_ID,
    timestamp: test.timestamp ?? DEFAULT_TEST_TIMESTAMP,
    ...(test.principal === undefined ? {} : { principal: test.principal }),
  });
  let evaluation: RuleEvaluation;
  try {
    evaluation = rule.evaluate(message);
  } catch (error) {
    const reason = { ...(isSluiceError(error) ? { code: error.code } : {}), message: errorMessage(error) };
    return failed(`the rule failed on this message (on the server it would run no action): ${reason.message}`, { error: reason });
  }
  if (!evaluation.matched) {
    const actual: ActualOutcome = { matched: false, reason: 'where' };
    if (test.expect.kind === 'noMatch') return { passed: true, expected, actual };
    return failed('expected a match, but the WHERE clause is not true for this message', actual);
  }

  const { bytes, value } = evaluation.output;
  // Compared as JSON (round trip, then sorted keys): what an action receives, not JS details such as -0 or key order.
  const output = value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
  const actual: ActualOutcome = { matched: true, ...(output === undefined ? {} : { output }), outputBase64: bytes.toString('base64') };
  switch (test.expect.kind) {
    case 'noMatch':
      return failed('expected no match, but the rule matched', actual);
    case 'outputBytes':
      if (bytes.equals(Buffer.from(test.expect.base64, 'base64'))) return { passed: true, expected, actual };
      return failed(`the output bytes differ from expectBase64 (${bytes.length} bytes, expected ${Buffer.byteLength(test.expect.base64, 'base64')})`, actual);
    case 'output':
      if (output === undefined) {
        return failed(`the output has no JSON value (${bytes.length} bytes, such as a binary payload passed through by SELECT *): compare its bytes with expectBase64`, actual);
      }
      if (canonicalJson(output) === canonicalJson(test.expect.value)) return { passed: true, expected, actual };
      return failed('the output differs from the expected one', actual);
  }
}

/**
 * The topic the rule sees for a message published on `topic`, or why such a
 * message never reaches it. As on the server: `$aws/rules/<rule>/<topic>`
 * (Basic Ingest) goes to the named rule only, whatever its FROM, with the
 * prefix taken off; a rule without FROM gets nothing else; any other topic
 * must match the FROM filter.
 */
function reach(rule: CompiledRule, ruleName: string, topic: string): { topic: string } | { problem: string } {
  const ingest = basicIngestTarget(topic);
  if (ingest?.ruleName === ruleName) return { topic: ingest.topic };
  if (ingest) return { problem: `the topic '${topic}' is a Basic Ingest topic of rule '${ingest.ruleName}', so it never reaches rule '${ruleName}'` };
  if (rule.topicFilter === undefined) {
    return { problem: `the rule has no FROM clause, so only Basic Ingest messages reach it: publish on '${BASIC_INGEST_PREFIX}${ruleName}/...', not '${topic}'` };
  }
  if (topicMatchesFilter(rule.topicFilter, topic)) return { topic };
  return { problem: `the topic '${topic}' does not match the rule's FROM filter '${rule.topicFilter}'` };
}

function expectedOutcome(test: RuleTestSpec): ExpectedOutcome {
  switch (test.expect.kind) {
    case 'noMatch':
      return { noMatch: true };
    case 'outputBytes':
      return { outputBase64: test.expect.base64 };
    case 'output':
      return { output: test.expect.value };
  }
}
