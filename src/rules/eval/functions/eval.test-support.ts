/** Test helpers: evaluate SQL expressions through the public rules surface. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRule, decodeMessage, type MessageContext } from '../../index.js';
import type { SqlVersion } from '../../sql/ast.js';

/** The default payload: one field of each type. */
export const PAYLOAD = { n: -2.5, i: 7, s: 'Hello', num: '3.7', arr: [1, 'a'], obj: { k: 'v' }, nul: null, t: true, emoji: 'a😀b' };

export interface EvalOptions {
  /** A JSON value, or raw bytes as a Buffer. */
  payload?: unknown;
  message?: Partial<MessageContext>;
  sqlVersion?: SqlVersion;
}

/** Evaluates `SELECT VALUE (<expression>)`; also checks the value survives JSON (no NaN, Infinity or -0). */
export function evaluate(expression: string, options: EvalOptions = {}): unknown {
  const payload = options.payload === undefined ? PAYLOAD : options.payload;
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  const msg = decodeMessage({ topic: 'a/b', payload: bytes, clientId: 'c', timestamp: 1, ...options.message });
  const rule = compileRule(`SELECT VALUE (${expression}) FROM 'a/b'`, options.sqlVersion ? { sqlVersion: options.sqlVersion } : {});
  const result = rule.evaluate(msg);
  assert.ok(result.matched);
  const value = result.output.value;
  if (value !== undefined) assert.deepEqual(JSON.parse(result.output.bytes.toString()), value, `${expression} is not JSON-safe`);
  return value;
}

/** [expression, expected]; expected `undefined` is SQL Undefined. */
export type Case = readonly [expression: string, expected: unknown];

/** One test per function: every case of its table. */
export function testFunctions(table: Readonly<Record<string, readonly Case[]>>, options: EvalOptions = {}): void {
  for (const [name, cases] of Object.entries(table)) {
    test(`${name}()`, () => {
      for (const [expression, expected] of cases) assert.deepEqual(evaluate(expression, options), expected, expression);
    });
  }
}
