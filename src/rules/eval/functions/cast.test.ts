import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_FUNCTIONS } from '../functions.js';
import { decodeMessage } from '../message.js';
import type { SqlVersion } from '../../sql/ast.js';
import { evaluate } from './eval.test-support.js';

// iot-sql-functions.md#iot-sql-function-cast, its four "Cast to ..." tables.
const castFn = BUILTIN_FUNCTIONS.get('cast');
const msg = decodeMessage({ topic: 'a/b', payload: Buffer.from('{}'), clientId: 'c', timestamp: 1 });

function cast(value: unknown, type: string, sqlVersion: SqlVersion = '2016-03-23'): unknown {
  assert.ok(castFn);
  return castFn.call([value, type], { msg, sqlVersion });
}

const CASES: Array<[value: unknown, type: string, expected: unknown]> = [
  [true, 'Int', 1], // #iot-sql-function-cast: cast(true as Int) = 1
  // Cast to decimal
  [5, 'Decimal', 5],
  [2.5, 'Decimal', 2.5],
  [true, 'Decimal', 1],
  [false, 'Decimal', 0],
  ['0', 'Decimal', 0],
  ['-1.2', 'Decimal', -1.2],
  ['5E-12', 'Decimal', 5e-12],
  ['x', 'Decimal', undefined],
  [[1], 'Decimal', undefined],
  [{ a: 1 }, 'Decimal', undefined],
  [null, 'Decimal', undefined],
  [undefined, 'Decimal', undefined],
  [2.5, 'Double', 2.5],
  // Cast to int: "rounded down"
  [5, 'Int', 5],
  [2.7, 'Int', 2],
  [-2.7, 'Int', -3],
  [false, 'Integer', 0],
  ['-1.2', 'Int', -2],
  ['5E-12', 'Int', 0],
  ['x', 'Int', undefined],
  [[1], 'Int', undefined],
  [null, 'Int', undefined],
  // Cast to Boolean
  [0, 'Boolean', false],
  [2.5, 'Boolean', true],
  [-1, 'Bool', true],
  [true, 'Boolean', true],
  ['TRUE', 'Boolean', true],
  ['false', 'Boolean', false],
  ['yes', 'Boolean', undefined],
  [{}, 'Boolean', undefined],
  [null, 'Boolean', undefined],
  // Cast to string (a String stays itself: the table's String row is a copy of the Boolean one)
  [5, 'String', '5'],
  [2.5, 'Varchar', '2.5'],
  [true, 'Nvarchar', 'true'],
  ['x', 'Text', 'x'],
  [[1, 'a'], 'Ntext', '[1,"a"]'],
  [{ k: 'v' }, 'String', '{"k":"v"}'],
  [null, 'String', undefined],
  [undefined, 'String', undefined],
  // Keywords are case-insensitive; unknown ones are Undefined.
  ['7', 'INT', 7],
  ['7', 'Float', undefined],
];

test('cast() follows the AWS cast tables', () => {
  for (const [value, type, expected] of CASES) assert.deepEqual(cast(value, type), expected, `cast(${JSON.stringify(value)} AS ${type})`);
});

test('cast() to Decimal or Boolean needs SQL 2016-03-23', () => {
  assert.equal(cast('1.5', 'Decimal', '2015-10-08'), undefined);
  assert.equal(cast(1, 'Bool', '2015-10-08'), undefined);
  assert.equal(cast('1.5', 'Double', '2015-10-08'), 1.5);
  assert.equal(cast('1.5', 'Int', '2015-10-08'), 1);
  assert.equal(cast(1, 7 as unknown as string), undefined);
});

test('cast(x AS Type) in SQL', () => {
  assert.equal(evaluate('cast(true AS Int)'), 1);
  assert.equal(evaluate("cast('-1.2' AS Decimal)"), -1.2);
  assert.equal(evaluate('cast(n AS String)'), '-2.5');
  assert.equal(evaluate('cast(0 as boolean)'), false);
});
