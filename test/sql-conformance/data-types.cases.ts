import type { ConformanceCase } from './cases.js';

const PAGE = 'iot-sql-data-types.md#iot-sql-data-types';
const CONV = 'iot-sql-data-types.md#iot-sql-conversions';
const FROM = "FROM 'topic/subtopic'";

/** `SELECT <expr> AS r FROM 'topic/subtopic'` on `payload`, expecting `{ r }` ({} when r is Undefined). */
function conv(table: string, expr: string, r: unknown, note?: string, payload: unknown = { s: 'x' }): ConformanceCase {
  return {
    source: `${CONV} (derived: "${table}" table row)`,
    sql: `SELECT ${expr} AS r ${FROM}`,
    payload,
    expect: { output: r === undefined ? {} : { r } },
    ...(note ? { note } : {}),
  };
}

export const DATA_TYPES_CASES: ConformanceCase[] = [
  {
    source: PAGE,
    sql: "SELECT NULL AS n FROM 'topic/subtopic'",
    expect: { output: { n: null } },
  },
  {
    source: `${PAGE} (derived: Undefined row: {"foo": null} has foo = Null and bar = Undefined)`,
    sql: `SELECT foo, bar ${FROM}`,
    payload: { foo: null },
    expect: { output: { foo: null } },
  },
  {
    source: `${PAGE} (derived: "Undefined is converted to an empty string when serialized by itself")`,
    sql: `SELECT VALUE bar ${FROM}`,
    payload: { foo: null },
    expect: { outputBase64: '' },
  },
  {
    source: `${PAGE} (derived: Decimal row: with SQL 2016-03-23 whole numbers such as 10.0 are processed as Int)`,
    sql: `SELECT x / 4 AS r ${FROM}`,
    payloadText: '{"x": 10.0}',
    expect: { output: { r: 2 } },
  },
  {
    source: `${PAGE} (derived: Decimal row: SQL 2015-10-08 keeps 10.0 a Decimal)`,
    sql: `SELECT x / 4 AS r ${FROM}`,
    sqlVersion: '2015-10-08',
    payloadText: '{"x": 10.0}',
    expect: { output: { r: 2 } },
    note: 'Deliberate difference (docs/sql.md): AWS gives 2.5 (10.0 stays Decimal in 2015-10-08); JavaScript\'s JSON parser does not keep the written form of a payload number, so 10.0 is the Int 10 here. A 10.0 written in the SQL does stay Decimal (next cases).',
  },
  {
    source: `${PAGE} (derived: Decimal row: SQL 2015-10-08 keeps a 10.0 literal a Decimal)`,
    sql: `SELECT 10.0 / 4 AS r ${FROM}`,
    sqlVersion: '2015-10-08',
    expect: { output: { r: 2.5 } },
  },
  {
    source: `${PAGE} (derived: Decimal row, for a literal 10.0 under SQL 2016-03-23)`,
    sql: `SELECT 10.0 / 4 AS r ${FROM}`,
    expect: { output: { r: 2 } },
  },
  {
    source: `${PAGE} (derived: Decimal row, for a literal 10.0 under SQL 2015-10-08)`,
    sql: `SELECT 10.0 / 4 AS r ${FROM}`,
    sqlVersion: '2015-10-08',
    expect: { output: { r: 2.5 } },
  },
  {
    source: `${PAGE} (derived: Decimal row: 3.0 is an Int under SQL 2016-03-23, so 1 / 3.0 is Int division)`,
    sql: `SELECT 1 / 3.0 AS r ${FROM}`,
    expect: { output: { r: 0 } },
  },
  {
    source: `${PAGE} (derived: Decimal row: under SQL 2015-10-08, 1 / 3.0 is a 34-digit Decimal)`,
    sql: `SELECT 1 / 3.0 AS r ${FROM}`,
    sqlVersion: '2015-10-08',
    expect: { output: { r: 0.3333333333333333 } },
    note: 'The 34-digit Decimal 0.3333...3 becomes the nearest JSON/JS number.',
  },
  {
    source: `${PAGE} (derived: "Functions called with invalid arguments (for example, wrong types ...) return Undefined")`,
    sql: `SELECT abs('abc') AS a, 1 AS b ${FROM}`,
    expect: { output: { b: 1 } },
  },

  // To decimal (abs expects a Decimal; the page's own example)
  {
    source: CONV,
    sql: `SELECT abs("-5.123") AS r ${FROM}`,
    expect: { output: { r: 5.123 } },
  },
  conv('To decimal', 'abs(-7)', 7),
  conv('To decimal', 'abs(true)', undefined),
  conv('To decimal', "abs('0')", 0),
  conv('To decimal', "abs('-1.2')", 1.2),
  conv('To decimal', "abs('5E-12')", 5e-12),
  conv('To decimal', "abs('5e-12')", 5e-12, 'The regular expression has (?i) before E: the exponent letter is case-insensitive.'),
  conv('To decimal', "abs('+5')", undefined, 'The documented regular expression ^-?\\d+(\\.\\d+)?((?i)E-?\\d+)?$ has no leading +.'),
  conv('To decimal', "abs(' 5')", undefined, 'The documented regular expression does not allow surrounding white space.'),
  conv('To decimal', "abs('.5')", undefined, 'The documented regular expression needs a digit before the decimal point.'),
  conv('To decimal', "abs('5.')", undefined, 'The documented regular expression needs a digit after the decimal point.'),
  conv('To decimal', "abs('1e+3')", undefined, 'The documented regular expression allows E-12 but not E+3.'),
  conv('To decimal', "abs('0x1A')", undefined),
  conv('To decimal', 'abs([1])', undefined),
  conv('To decimal', "abs({'a': 1})", undefined),
  conv('To decimal', 'abs(null)', undefined, 'The conversion table says Null converts to Null, but the abs() table says Null gives Undefined; the function table wins.'),
  conv('To decimal', 'abs(missing)', undefined),

  // To int (get() converts its index to Int)
  conv('To int', "get(['a', 'b', 'c'], 2)", 'c'),
  conv('To int', "get(['a', 'b', 'c'], '1')", 'b'),
  conv('To int', "get(['a', 'b', 'c'], '1.9')", 'b', 'A String is converted to Decimal and then its decimal places are truncated.'),
  conv('To int', "get(['a', 'b', 'c'], true)", undefined),
  conv('To int', "get(['a', 'b', 'c'], [1])", undefined),
  conv('To int', "get(['a', 'b', 'c'], {'i': 1})", undefined),
  conv('To int', "get(['a', 'b', 'c'], missing)", undefined),

  // To Boolean (NOT takes a Boolean)
  conv('To Boolean', 'NOT 0', undefined),
  conv('To Boolean', 'NOT 1.5', undefined),
  conv('To Boolean', 'NOT false', true),
  conv('To Boolean', "NOT 'TRUE'", false),
  conv('To Boolean', "NOT 'False'", true),
  conv('To Boolean', "NOT 'yes'", undefined),
  conv('To Boolean', 'NOT [true]', undefined),
  conv('To Boolean', "NOT {'a': true}", undefined),
  conv('To Boolean', 'NOT null', undefined),
  conv('To Boolean', 'NOT missing', undefined),

  // To string (upper/lower/concat convert their arguments to String)
  conv('To string', "concat('n', 12)", 'n12'),
  conv('To string', "concat('d', 1.5)", 'd1.5'),
  conv('To string', "concat('b', true)", 'btrue'),
  conv('To string', 'upper(false)', 'FALSE'),
  conv('To string', 'lower(s)', 'x'),
  conv('To string', "lower(['A', 1, null, 2.5])", '["a",1,null,2.5]', 'Array: "A String is quoted. A Decimal, Int, Boolean, and Null is not." Compact JSON, as lower(["HELLO"]) = "[\\"hello\\"]".'),
  conv('To string', "lower({'K': 'V', 'n': 1})", '{"k":"v","n":1}', 'Object: serialized to JSON; key order as written.'),
  conv('To string', 'upper(null)', undefined),
  conv('To string', 'upper(missing)', undefined),
];
