import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '../../core/index.js';
import { compileRule, decodeMessage } from '../index.js';

const PAYLOAD = { n: -2.5, s: 'Hello', num: '3.7', arr: [1, 'a'], obj: { k: 'v' }, nul: null, t: true };

/** Evaluates `SELECT VALUE <expression>` against PAYLOAD. */
function evaluate(expression: string): unknown {
  const msg = decodeMessage({ topic: 'a/b', payload: Buffer.from(JSON.stringify(PAYLOAD)), clientId: 'c', timestamp: 1 });
  const result = compileRule(`SELECT VALUE (${expression}) FROM 'a/b'`).evaluate(msg);
  assert.ok(result.matched);
  return result.output.value;
}

// [expression, expected]; undefined = SQL Undefined (wrong argument types, as on AWS).
const CASES: Array<[string, unknown]> = [
  ['abs(n)', 2.5],
  ['abs(-3)', 3],
  ["abs('-4')", 4],
  ["abs('x')", undefined],
  ['abs(t)', undefined],
  ['abs(missing)', undefined],
  ['ceil(1.2)', 2],
  ['ceil(-1.2)', -1],
  ['ceil(num)', 4],
  ['floor(1.8)', 1],
  ['floor(-1.2)', -2],
  ['floor(arr)', undefined],
  ['round(1.5)', 2],
  ['round(1.4)', 1],
  ['round(n)', -3],
  ['round(-0.4)', 0],
  ["round('2.5')", 3],
  ['round(nul)', undefined],
  ['upper(s)', 'HELLO'],
  ['LOWER(s)', 'hello'],
  ['upper(1)', undefined],
  ['lower(obj)', undefined],
  ["startswith(s, 'He')", true],
  ["startswith(s, 'lo')", false],
  ["endswith(s, 'lo')", true],
  ['startswith(s, 1)', undefined],
  ["endswith(missing, 'x')", undefined],
  ['length(s)', 5],
  ['length(arr)', 2],
  ["length('')", 0],
  ["length('a😀')", 2],
  ['length(5)', undefined],
  ['length(obj)', undefined],
  ["concat(s, ' ', 'world')", 'Hello world'],
  ["concat('n', 1, true)", 'n1true'],
  ['concat(arr, [2], 3)', [1, 'a', 2, 3]],
  ["concat(s, missing)", undefined],
  ["concat(s, obj)", undefined],
  ['concat(s)', 'Hello'],
  ['substring(s, 1)', 'ello'],
  ['substring(s, 1, 3)', 'el'],
  ['substring(s, 1.9, 3.2)', 'el'],
  ['substring(s, -1)', 'Hello'],
  ['substring(s, 3, 1)', ''],
  ['substring(s, 2, 99)', 'llo'],
  ['substring(123, 2)', '3'],
  ["substring(s, 'x')", undefined],
  ['substring(arr, 1)', undefined],
  ['isNull(nul)', true],
  ['isnull(missing)', false],
  ['isNull(0)', false],
  ['isUndefined(missing)', true],
  ['isundefined(nul)', false],
  ['get(arr, 1)', 'a'],
  ['get(arr, 5)', undefined],
  ["get(obj, 'k')", 'v'],
  ["get(obj, 'x')", undefined],
  ['get(s, 0)', 'H'],
  ["get(arr, 'k')", undefined],
  ['get(5, 0)', undefined],
];

test('built-in functions follow AWS semantics, Undefined for wrong types', () => {
  for (const [expression, expected] of CASES) assert.deepEqual(evaluate(expression), expected, expression);
});

test('newuuid() gives a fresh v4 UUID each time', () => {
  const a = evaluate('newuuid()');
  const b = evaluate('newuuid()');
  assert.match(String(a), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(a, b);
});

const WRONG_ARITY: Array<[string, string]> = [
  ['abs()', "function 'abs' takes 1 argument(s) but was given 0"],
  ['substring(s)', "function 'substring' takes 2 to 3 argument(s) but was given 1"],
  ['concat()', "function 'concat' takes at least 1 argument(s) but was given 0"],
  ['get(arr)', "function 'get' takes 2 argument(s) but was given 1"],
  ['newuuid(1)', "function 'newuuid' takes 0 argument(s) but was given 1"],
];

test('wrong argument counts are rejected at compile time with a position', () => {
  for (const [expression, fragment] of WRONG_ARITY) {
    assert.throws(
      () => compileRule(`SELECT\n  ${expression} FROM 'a'`),
      (error: unknown) => {
        assert.ok(error instanceof SluiceError);
        assert.equal(error.code, 'SLUICE_ERR_RULE_SQL_INVALID');
        assert.deepEqual(error.place, { line: 2, column: 3 }, expression);
        assert.ok(error.message.includes(fragment), error.message);
        return true;
      },
    );
  }
});
