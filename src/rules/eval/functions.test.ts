/**
 * Table-wide checks of the built-in functions. Each family's cases, with the
 * AWS documentation examples, are in ./functions/<family>.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SluiceError } from '../../core/index.js';
import { compileRule, decodeMessage } from '../index.js';
import { BUILTIN_FUNCTIONS, UNSUPPORTED_FUNCTIONS } from './functions.js';

function rejects(sql: string, fragment: string, place = { line: 2, column: 3 }): void {
  assert.throws(
    () => compileRule(sql),
    (error: unknown) => {
      assert.ok(error instanceof SluiceError);
      assert.equal(error.code, 'SLUICE_ERR_RULE_SQL_INVALID');
      assert.deepEqual(error.place, place, sql);
      assert.ok(error.message.includes(fragment), error.message);
      return true;
    },
  );
}

const WRONG_ARITY: Array<[string, string]> = [
  ['abs()', "function 'abs' takes 1 argument(s) but was given 0"],
  ['substring(s)', "function 'substring' takes 2 to 3 argument(s) but was given 1"],
  ['get(arr)', "function 'get' takes 2 argument(s) but was given 1"],
  ['newuuid(1)', "function 'newuuid' takes 0 argument(s) but was given 1"],
  ['log(10, 100)', "function 'log' takes 1 argument(s) but was given 2"],
  ["parse_time('yyyy')", "function 'parse_time' takes 2 to 3 argument(s) but was given 1"],
  ["decode(x, 'proto', 'bucket', 'key', 'file', 'Message')", "function 'decode' takes 2 argument(s) but was given 6"],
];

test('wrong argument counts are rejected at compile time with a position', () => {
  for (const [expression, fragment] of WRONG_ARITY) rejects(`SELECT\n  ${expression} FROM 'a'`, fragment);
});

test('concat() with no arguments compiles, and is Undefined (iot-sql-functions.md#iot-func-concat)', () => {
  const msg = decodeMessage({ topic: 'a', payload: Buffer.from('{}'), clientId: 'c', timestamp: 1 });
  const result = compileRule("SELECT concat() AS c, 1 AS one FROM 'a'").evaluate(msg);
  assert.ok(result.matched);
  assert.deepEqual(result.output.value, { one: 1 });
});

test('functions Sluice cannot offer are rejected at compile time, with the reason', () => {
  const calls: Record<string, string> = {
    get_dynamodb: `get_dynamodb("InServiceDevices", "deviceId", id, "arn:aws:iam::12345678910:role/getdynamo")`,
    get_secret: `get_secret('API_KEY', 'SecretString', 'API_KEY_VALUE', 'arn:aws:iam::12345678910:role/getsecret')`,
    get_thing_shadow: `get_thing_shadow("MyThing","arn:aws:iam::123456789012:role/AllowsThingShadowAccess")`,
    get_registry_data: `get_registry_data("DescribeThing", "MyThing", "arn:aws:iam::123456789012:role/r")`,
    machinelearning_predict: `machinelearning_predict('model', 'arn:aws:iam::123456789012:role/r', *)`,
    md2: `md2("hello")`,
  };
  assert.deepEqual(Object.keys(calls).sort(), [...UNSUPPORTED_FUNCTIONS.keys()].sort());
  for (const [name, call] of Object.entries(calls)) {
    rejects(`SELECT\n  ${call} AS x FROM 'a'`, `function '${name}' is not supported by Sluice: ${UNSUPPORTED_FUNCTIONS.get(name) ?? ''}`);
  }
  for (const name of UNSUPPORTED_FUNCTIONS.keys()) assert.equal(BUILTIN_FUNCTIONS.has(name), false, name);
});

test('docs/sql-functions.md lists every function, built in or not', () => {
  const doc = readFileSync(new URL('../../../docs/sql-functions.md', import.meta.url), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `([A-Za-z_0-9]+)\(/gm)].map((m) => (m[1] ?? '').toLowerCase()));
  const known = new Set([...BUILTIN_FUNCTIONS.keys(), ...UNSUPPORTED_FUNCTIONS.keys(), 'aws_lambda']);
  assert.deepEqual([...known].filter((name) => !documented.has(name)).sort(), [], 'functions missing from the docs table');
  assert.deepEqual([...documented].filter((name) => !known.has(name)).sort(), [], 'documented functions that do not exist');
});

test('names are lower case and arities sane', () => {
  for (const [name, fn] of BUILTIN_FUNCTIONS) {
    assert.equal(name, name.toLowerCase());
    assert.ok(fn.minArgs >= 0 && fn.minArgs <= fn.maxArgs, name);
  }
});

/** Every kind of value a function can receive, including the raw payload (`*`). */
const ODD_VALUES: unknown[] = [undefined, null, true, 0, -1, 2.5, 1e300, -1e-300, '', 'x', '12', '[1]', [], [1, 'a'], {}, { a: { b: 1 } }, Buffer.from([0xff])];

test('no function throws or returns a value without a JSON form, whatever it is given', () => {
  const msg = decodeMessage({ topic: 'a/b', payload: Buffer.from([0xff]), clientId: 'c', timestamp: 1 });
  const ctx = { msg, sqlVersion: '2016-03-23' as const };
  for (const [name, fn] of BUILTIN_FUNCTIONS) {
    const arity = Math.min(fn.maxArgs, Math.max(fn.minArgs, 2));
    // Every pair for the first two arguments; any further ones repeat the second.
    const argLists: unknown[][] =
      arity === 0
        ? [[]]
        : arity === 1
          ? ODD_VALUES.map((v) => [v])
          : ODD_VALUES.flatMap((a) => ODD_VALUES.map((b) => [a, b, ...Array.from({ length: arity - 2 }, () => b)]));
    for (const args of argLists) {
      const label = `${name}(${args.map((a) => (Buffer.isBuffer(a) ? '*' : JSON.stringify(a) ?? 'undefined')).join(', ')})`;
      const value = fn.call(args, ctx);
      if (value === undefined) continue;
      assert.ok(!Buffer.isBuffer(value), label);
      assert.deepEqual(JSON.parse(JSON.stringify(value)), value, label);
      if (typeof value === 'number') assert.ok(Number.isFinite(value) && !Object.is(value, -0), label);
    }
  }
});
