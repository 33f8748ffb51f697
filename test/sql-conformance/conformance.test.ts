/**
 * AWS IoT SQL conformance: one test per case of ./*.cases.ts, each citing the
 * page of the AWS IoT developer guide it comes from. Only the rules engine's
 * public surface is used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '../../src/core/index.js';
import { compileRule, decodeMessage, topicMatchesFilter, type CompiledRule, type RuleEvaluation } from '../../src/rules/index.js';
import { ALL_CASES, CASES_BY_PAGE } from './all-cases.js';
import type { ConformanceCase } from './cases.js';

const MIN_CASES = 250;
const DEFAULT_CLIENT_ID = 'conformance-client';
const DEFAULT_TIMESTAMP = 1_700_000_000_000;

function payloadOf(c: ConformanceCase): Buffer {
  if (c.payloadBase64 !== undefined) return Buffer.from(c.payloadBase64, 'base64');
  if (c.payloadText !== undefined) return Buffer.from(c.payloadText, 'utf8');
  return Buffer.from(JSON.stringify(c.payload ?? {}), 'utf8');
}

/** A topic the FROM filter matches: every wildcard level becomes `x`. */
function topicFor(filter: string | undefined): string {
  return (filter ?? 'x').replaceAll('+', 'x').replaceAll('#', 'x');
}

/** JSON semantics: what the value looks like once serialized (no -0, no undefined keys). */
function asJson(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

function describe(c: ConformanceCase): string {
  const input = c.payloadBase64 !== undefined ? `base64 ${c.payloadBase64}` : c.payloadText !== undefined ? JSON.stringify(c.payloadText) : JSON.stringify(c.payload ?? {});
  return `${c.sql}\n  payload: ${input}${c.note ? `\n  note: ${c.note}` : ''}`;
}

function compile(c: ConformanceCase): CompiledRule {
  return compileRule(c.sql, c.sqlVersion ? { sqlVersion: c.sqlVersion } : {});
}

function runCase(c: ConformanceCase): void {
  const { expect } = c;
  if ('error' in expect) {
    const want = expect.error;
    let rule: CompiledRule;
    try {
      rule = compile(c);
    } catch (error) {
      assert.ok(error instanceof SluiceError, `expected a SluiceError, got ${String(error)}\n${describe(c)}`);
      assert.deepStrictEqual(
        { code: error.code, line: error.place?.line, column: error.place?.column },
        { code: want.code, line: want.line, column: want.column },
        `${error.message}\n${describe(c)}`,
      );
      return;
    }
    assert.fail(`expected ${want.code} at ${want.line}:${want.column}, but the rule compiled (FROM '${rule.topicFilter ?? ''}')\n${describe(c)}`);
  }

  const rule = compile(c);
  const topic = c.topic ?? topicFor(rule.topicFilter);
  const msg = decodeMessage({
    topic,
    payload: payloadOf(c),
    clientId: c.clientId ?? DEFAULT_CLIENT_ID,
    timestamp: c.timestamp ?? DEFAULT_TIMESTAMP,
    ...(c.principal !== undefined ? { principal: c.principal } : {}),
  });
  // The broker hands a message only to the rules whose FROM filter matches its topic.
  const routed = rule.topicFilter === undefined || topicMatchesFilter(rule.topicFilter, topic);
  const result: RuleEvaluation = routed ? rule.evaluate(msg) : { matched: false };

  if ('noMatch' in expect) {
    assert.equal(result.matched, false, `expected no match, got ${result.matched ? JSON.stringify(result.output.value) : ''}\n${describe(c)}`);
    return;
  }
  assert.ok(result.matched, `expected a match, the rule did not act on the message\n${describe(c)}`);
  const { output } = result;
  if ('outputBase64' in expect) {
    assert.equal(output.bytes.toString('base64'), expect.outputBase64, describe(c));
    return;
  }
  assert.deepStrictEqual(asJson(output.value), expect.output, describe(c));
  // What actions receive: the bytes carry the same JSON.
  assert.deepStrictEqual(JSON.parse(output.bytes.toString('utf8')) as unknown, expect.output, `output.bytes\n${describe(c)}`);
}

for (const c of ALL_CASES) {
  test(`${c.source} :: ${c.sql.replace(/\s*\n\s*/g, ' ')}`, () => runCase(c));
}

test(`the conformance suite has at least ${MIN_CASES} cases`, () => {
  const perPage = Object.entries(CASES_BY_PAGE).map(([page, cases]) => `${page}: ${cases.length}`);
  assert.ok(ALL_CASES.length >= MIN_CASES, `${ALL_CASES.length} cases (${perPage.join(', ')})`);
});
