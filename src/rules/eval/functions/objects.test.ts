import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRule, decodeMessage } from '../../index.js';
import { evaluate, testFunctions } from './eval.test-support.js';

// Doc examples cite /work/awsdocs/developerguide/iot-sql-functions.md#<anchor>.
testFunctions({
  get: [
    ['get(["a", "b", "c"], 1)', 'b'], // #iot-sql-function-get
    ['get({"a":"b"}, "a")', 'b'], // #iot-sql-function-get
    // #iot-sql-function-get says get("abc", 1) = "a", against its own 0-based table and the array example.
    ['get("abc", 1)', 'b'],
    ['get(arr, 0)', 1],
    ["get(arr, '1')", 'a'], // the index is converted to Int
    ['get(arr, 1.9)', 'a'],
    ['get(arr, 5)', undefined],
    ['get(arr, -1)', undefined],
    ["get(arr, 'k')", undefined],
    ['get(arr, t)', undefined],
    ["get(obj, 'k')", 'v'],
    ["get(obj, 'x')", undefined],
    ['get(obj, 1)', undefined], // an object key is a String, not converted
    ['get(emoji, 1)', '😀'],
    ['get(5, 0)', undefined],
    ['get(nul, 0)', undefined],
    ['get(*, 0)', undefined], // the raw payload is not a collection
  ],
  get_or_default: [
    ["get_or_default(s, 'd')", 'Hello'],
    ["get_or_default(missing, 'd')", 'd'],
    ["get_or_default(nul, 'd')", 'd'],
    ["get_or_default(floor('x'), 0)", 0],
    ['get_or_default(missing)', undefined],
    ["get_or_default(t, 'd')", true],
  ],
  isnull: [
    ['isNull(5)', false], // #iot-sql-function-isNull
    ['isNull(Null)', true], // #iot-sql-function-isNull
    ['isNull(nul)', true],
    ['isnull(missing)', false],
    ["isNull('')", false],
  ],
  isundefined: [
    ['isUndefined(5)', false], // #iot-sql-function-isUndefined
    ['isUndefined(floor([1,2,3]))', true], // #iot-sql-function-isUndefined
    ['isUndefined(missing)', true],
    ['isundefined(nul)', false],
  ],
  nanvl: [
    ['Nanvl(8, 3)', 8], // #iot-func-nanvl
    ['nanvl(missing, 3)', 3],
    ['nanvl(nul, 3)', 3],
    ['nanvl(sqrt(-1), 0)', 0], // NaN reaches nanvl as Undefined
    ["nanvl('x', 3)", 'x'], // "Other value": the first argument
    ['nanvl(arr, 3)', [1, 'a']],
  ],
  transform: [
    ['transform("enrichArray", {"k": 1}, [{"a": 1}, {"b": 2}])', [{ a: 1, k: 1 }, { b: 2, k: 1 }]],
    ['transform("enrichArray", {"a": 9}, [{"a": 1}])', [{ a: 9 }]], // the object's attributes win
    ['transform("enrichArray", obj, [])', []],
    ['transform("other", obj, [{"a": 1}])', undefined], // #iot-func-transform: any other mode
    ['transform("enrichArray", arr, [{"a": 1}])', undefined],
    ['transform("enrichArray", obj, obj)', undefined],
    ['transform("enrichArray", obj, [1])', undefined], // elements must be objects
  ],
});

const TRANSFORM_PAYLOAD = { attributes: { data1: 1, data2: 2 }, values: [{ a: 3 }, { b: 4 }, { c: 5 }] };

function select(sql: string, payload: unknown): unknown {
  const msg = decodeMessage({ topic: 'A/B', payload: Buffer.from(JSON.stringify(payload)), clientId: 'c', timestamp: 1 });
  const result = compileRule(sql).evaluate(msg);
  assert.ok(result.matched);
  return result.output.value;
}

test('transform() example 1 (#iot-func-transform-example1)', () => {
  assert.deepEqual(select(`select value transform("enrichArray", attributes, values) from 'A/B'`, TRANSFORM_PAYLOAD), [
    { a: 3, data1: 1, data2: 2 },
    { b: 4, data1: 1, data2: 2 },
    { c: 5, data1: 1, data2: 2 },
  ]);
});

test('transform() example 2 (#iot-func-transform-example2)', () => {
  assert.deepEqual(select(`select value transform("enrichArray", {"key": attributes.data1}, values) from 'A/B'`, TRANSFORM_PAYLOAD), [
    { a: 3, key: 1 },
    { b: 4, key: 1 },
    { c: 5, key: 1 },
  ]);
});

test('transform() example 3 (#iot-func-transform-example3)', () => {
  const payload = {
    data1: 'example',
    data2: {
      a: 'first attribute',
      b: 'second attribute',
      c: [
        { x: { someInt: 5, someString: 'hello' }, y: true },
        { x: { someInt: 10, someString: 'world' }, y: false },
      ],
    },
  };
  assert.deepEqual(select(`select value transform('enrichArray', (select a, b from data2), (select value c from data2)) from 'A/B'`, payload), [
    { x: { someInt: 5, someString: 'hello' }, y: true, a: 'first attribute', b: 'second attribute' },
    { x: { someInt: 10, someString: 'world' }, y: false, a: 'first attribute', b: 'second attribute' },
  ]);
});

test('a `*` argument handed back by get_or_default or nanvl is the JSON payload, not its bytes', () => {
  assert.deepEqual(evaluate('get_or_default(missing, *)', { payload: { a: 1 } }), { a: 1 });
  assert.deepEqual(evaluate('nanvl(*, 0)', { payload: [1] }), [1]);
  assert.equal(evaluate('get_or_default(missing, *)', { payload: Buffer.from([0xff]) }), undefined);
});

test('transform() gives Undefined past 128 KiB', () => {
  const big = 'x'.repeat(1024);
  const values = Array.from({ length: 130 }, (_, i) => ({ i }));
  assert.equal(select(`select value transform('enrichArray', {'big': '${big}'}, values) from 'A/B'`, { values }), undefined);
  assert.equal((select(`select value transform('enrichArray', {'big': '${big}'}, values) from 'A/B'`, { values: values.slice(0, 100) }) as unknown[]).length, 100);
});
