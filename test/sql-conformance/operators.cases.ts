import type { ConformanceCase } from './cases.js';

const PAGE = 'iot-sql-operators.md';
const PAYLOAD = { n: 5, d: 2.5, s: 'abc', b: true, arr: [1, 2], obj: { a: 1, b: 2 }, nul: null };

/**
 * One operator-table row as `SELECT <expr> AS r FROM 'topic/subtopic'`;
 * `r === undefined` means the result is Undefined, so the output is `{}`.
 */
function row(anchor: string, rowName: string, expr: string, r: unknown, note?: string): ConformanceCase {
  return {
    source: `${PAGE}#${anchor} (derived: table row ${rowName})`,
    sql: `SELECT ${expr} AS r FROM 'topic/subtopic'`,
    payload: PAYLOAD,
    expect: { output: r === undefined ? {} : { r } },
    ...(note ? { note } : {}),
  };
}

/** The same row used in a WHERE clause: only Boolean true matches. */
function where(anchor: string, rowName: string, condition: string, matches: boolean): ConformanceCase {
  return {
    source: `${PAGE}#${anchor} (derived: table row ${rowName}, in WHERE)`,
    sql: `SELECT * FROM 'topic/subtopic' WHERE ${condition}`,
    payload: PAYLOAD,
    expect: matches ? { output: PAYLOAD } : { noMatch: true },
  };
}

const AND = 'iot-sql-operators-and';
const OR = 'iot-sql-operators-or';
const NOT = 'iot-sql-operators-not';
const GT = 'iot-sql-operators-greater';
const GE = 'iot-sql-operators-greater-equal';
const LT = 'iot-sql-operators-less';
const LE = 'iot-sql-operators-less-equal';
const NE = 'iot-sql-operators-not-eq';
const EQ = 'iot-sql-operators-eq';
const PLUS = 'iot-sql-operators-plus';
const SUB = 'iot-sql-operators-sub';
const MULT = 'iot-sql-operators-mult';
const DIV = 'iot-sql-operators-div';
const MOD = 'iot-sql-operators-mod';

const STRING_CONCAT_NOTE = 'The + table says String + any value converts the other operand to a String and concatenates, so a numeric string is not added.';

export const OPERATORS_CASES: ConformanceCase[] = [
  // AND
  row(AND, 'Boolean AND Boolean', 'true AND true', true),
  row(AND, 'Boolean AND Boolean', 'true AND false', false),
  row(AND, 'String/Boolean AND String/Boolean', "'true' AND b", true),
  row(AND, 'String/Boolean AND String/Boolean', "'TRUE' AND 'False'", false),
  row(AND, 'Other value AND Other value', 'n AND true', undefined),
  row(AND, 'Other value AND Other value', "'yes' AND true", undefined),
  row(AND, 'Other value AND Other value', 'false AND missing', undefined, 'Undefined is an "other value": the table gives Undefined even though false AND anything would be false.'),
  where(AND, 'Boolean AND Boolean', 'b AND n > 1', true),

  // OR
  row(OR, 'Boolean OR Boolean', 'false OR true', true),
  row(OR, 'Boolean OR Boolean', 'false OR false', false),
  row(OR, 'String/Boolean OR String/Boolean', "'FALSE' OR 'true'", true),
  row(OR, 'String/Boolean OR String/Boolean', "'false' OR false", false),
  row(OR, 'Other value OR Other value', 'd OR true', undefined),
  row(OR, 'Other value OR Other value', 'true OR missing', undefined, 'Undefined is an "other value": the table gives Undefined even though true OR anything would be true.'),
  where(OR, 'Boolean OR Boolean', 'n > 10 OR b', true),

  // NOT
  row(NOT, 'Boolean', 'NOT true', false),
  row(NOT, 'Boolean', 'NOT b', false),
  row(NOT, 'String', "NOT 'false'", true),
  row(NOT, 'String', "NOT 'True'", false),
  row(NOT, 'Other value', 'NOT n', undefined),
  row(NOT, 'Other value', 'NOT s', undefined),
  where(NOT, 'Other value', 'NOT missing', false),

  // >
  row(GT, 'Int/Decimal > Int/Decimal', 'n > d', true),
  row(GT, 'Int/Decimal > Int/Decimal', '2.5 > 3', false),
  row(GT, 'String/Int/Decimal > String/Int/Decimal', "'10' > 9", true),
  row(GT, 'String/Int/Decimal > String/Int/Decimal', "'10' > '9'", true, 'Both strings convert to Decimal: the comparison is numeric, not lexicographic.'),
  row(GT, 'Other value', "s > 1", undefined),
  row(GT, 'Other value', 'b > 0', undefined),
  row(GT, 'Undefined', 'missing > 1', undefined),
  where(GT, 'String/Int/Decimal', "'29' > n", true),

  // >=
  row(GE, 'Int/Decimal >= Int/Decimal', '3 >= 3', true),
  row(GE, 'Int/Decimal >= Int/Decimal', '2.5 >= d', true),
  row(GE, 'String/Int/Decimal >= String/Int/Decimal', "'3' >= 3.5", false),
  row(GE, 'Other value', 'arr >= 1', undefined),
  row(GE, 'Undefined', '1 >= missing', undefined),

  // <
  row(LT, 'Int/Decimal < Int/Decimal', '2 < 3', true),
  row(LT, 'Int/Decimal < Int/Decimal', 'd < 2.4', false),
  row(LT, 'String/Int/Decimal < String/Int/Decimal', "'29' < 35", true),
  row(LT, 'String/Int/Decimal < String/Int/Decimal', "'-1.5E1' < -14", true),
  row(LT, 'Other value', "1 < 'x'", undefined),
  row(LT, 'Other value (strings that are not numbers are not compared as text)', "'a' < 'b'", undefined),
  row(LT, 'Undefined', 'missing < 1', undefined),

  // <=
  row(LE, 'Int/Decimal <= Int/Decimal', '3 <= 3', true),
  row(LE, 'String/Int/Decimal <= String/Int/Decimal', "'3.0' <= 2", false),
  row(LE, 'Other value', 'nul <= 1', undefined),
  row(LE, 'Other value', 'obj <= 1', undefined),

  // <>
  row(NE, 'Int <> Int', '1 <> 2', true),
  row(NE, 'Int <> Int', 'n <> 5', false),
  row(NE, 'Decimal <> Decimal', '1.5 <> 1.5', false),
  row(NE, 'Decimal <> Decimal', 'd <> 2.4', true),
  row(NE, 'Decimal <> Decimal ("Int is converted to Decimal before being compared")', 'n <> 5.0', false),
  row(NE, 'String <> String', "'a' <> 'b'", true),
  row(NE, 'String <> String', "s <> 'abc'", false),
  row(NE, 'Array <> Array', 'arr <> [1, 2]', false),
  row(NE, 'Array <> Array', 'arr <> [2, 1]', true),
  row(NE, 'Object <> Object', "obj <> {'b': 2, 'a': 1}", false, 'The order of keys/values is unimportant.'),
  row(NE, 'Object <> Object', "obj <> {'a': 1}", true),
  row(NE, 'Null <> Null', 'nul <> null', false),
  row(NE, 'Any value <> Undefined', '1 <> missing', undefined),
  row(NE, 'Undefined <> Any value', 'missing <> 1', undefined),
  row(NE, 'Mismatched type <> Mismatched type', "1 <> '1'", true),
  row(NE, 'Mismatched type <> Mismatched type', "b <> 'true'", true),
  row(NE, 'Mismatched type <> Mismatched type', 'nul <> 0', true),
  where(NE, 'Mismatched type', "n <> '5'", true),
  where(NE, 'Undefined <> Any value', "missing <> 'x'", false),

  // =
  row(EQ, 'Int = Int', '1 = 1', true),
  row(EQ, 'Int = Int', 'n = 4', false),
  row(EQ, 'Decimal = Decimal', '1.5 = 1.50', true),
  row(EQ, 'Decimal = Decimal ("Int is converted to Decimal before being compared")', '2 = 2.0', true),
  row(EQ, 'String = String', "s = 'abc'", true),
  row(EQ, 'String = String', "s = 'ABC'", false),
  row(EQ, 'Array = Array', 'arr = [1, 2]', true),
  row(EQ, 'Array = Array', 'arr = [2, 1]', false, 'Items must be equal and in the same order.'),
  row(EQ, 'Object = Object', "obj = {'b': 2, 'a': 1}", true, 'The order of keys/values is unimportant.'),
  row(EQ, 'Object = Object', "{'a': [1, {'b': null}]} = {'a': [1, {'b': null}]}", true),
  row(EQ, 'Null = Null (no such row; <> says Null <> Null is false)', 'null = null', true, 'The = table has no Null row; the <> table says Null <> Null is false, so Null = Null is true.'),
  row(EQ, 'Any value = Undefined', '1 = missing', undefined),
  row(EQ, 'Undefined = Any value', 'missing = missing', undefined),
  row(EQ, 'Mismatched type = Mismatched type', "1 = '1'", false),
  row(EQ, 'Mismatched type = Mismatched type', 'arr = 1', false),
  row(EQ, 'Mismatched type = Mismatched type', 'nul = 0', false),
  where(EQ, 'Object = Object', "obj = {'a': 1, 'b': 2}", true),
  where(EQ, 'Undefined = Any value', 'missing = 1', false),

  // +
  row(PLUS, 'String + Any value', "'5' + 3", '53', STRING_CONCAT_NOTE),
  row(PLUS, 'String + Any value', "s + 1.5", 'abc1.5', STRING_CONCAT_NOTE),
  row(PLUS, 'String + Any value', "s + true", 'abctrue', STRING_CONCAT_NOTE),
  row(PLUS, 'String + Any value', "'con' + 'cat'", 'concat'),
  row(PLUS, 'Any value + String', "3 + '5'", '35', STRING_CONCAT_NOTE),
  row(PLUS, 'Any value + String', "b + '!'", 'true!', STRING_CONCAT_NOTE),
  row(PLUS, 'Int + Int', '2 + 3', 5),
  row(PLUS, 'Int + Int', 'n + 1', 6),
  row(PLUS, 'Int/Decimal + Int/Decimal', '1 + 0.5', 1.5),
  row(PLUS, 'Int/Decimal + Int/Decimal', '0.1 + 0.2', 0.3, 'Decimal arithmetic is exact decimal (34-digit Decimal), not binary floating point.'),
  row(PLUS, 'Int/Decimal + Int/Decimal', '1.1 + 2.2', 3.3, 'Exact decimal arithmetic (binary floating point gives 3.3000000000000003).'),
  row(PLUS, 'Other value + Other value', 'true + 1', undefined),
  row(PLUS, 'Other value + Other value', 'arr + 1', undefined),
  row(PLUS, 'Other value + Other value', 'nul + 1', undefined),
  row(PLUS, 'Other value + Other value', 'missing + 1', undefined),

  // -
  row(SUB, 'Int - Int', '5 - 3', 2),
  row(SUB, 'Int - Int', '3 - n', -2),
  row(SUB, 'Int/Decimal - Int/Decimal', '5 - 0.5', 4.5),
  row(SUB, 'Int/Decimal - Int/Decimal', '0.3 - 0.1', 0.2, 'Exact decimal arithmetic.'),
  row(SUB, 'String/Int/Decimal - String/Int/Decimal', "'5' - 3", 2),
  row(SUB, 'String/Int/Decimal - String/Int/Decimal', "'5' - '1.5'", 3.5),
  row(SUB, 'String/Int/Decimal - String/Int/Decimal (string not convertible)', 's - 1', undefined),
  row(SUB, 'Other value - Other value', 'true - 1', undefined),
  row(SUB, 'Other value - Other value', 'obj - 1', undefined),

  // *
  row(MULT, 'Int * Int', '6 * 7', 42),
  row(MULT, 'Int/Decimal * Int/Decimal', '1.1 * 3', 3.3, 'Exact decimal arithmetic.'),
  row(MULT, 'Int/Decimal * Int/Decimal', 'd * 2', 5),
  row(MULT, 'Int/Decimal * Int/Decimal', '4.35 * 100', 435, 'Exact decimal arithmetic (binary floating point gives 434.99999999999994).'),
  row(MULT, 'Int/Decimal * Int/Decimal', '0.07 * 100', 7, 'Exact decimal arithmetic (binary floating point gives 7.000000000000001).'),
  row(MULT, 'String/Int/Decimal * String/Int/Decimal', "'2' * '3'", 6),
  row(MULT, 'String/Int/Decimal * String/Int/Decimal (string not convertible)', "'x' * 2", undefined),
  row(MULT, 'Other value * Other value', 'arr * 2', undefined),

  // /
  row(DIV, 'Int / Int', '10 / 4', 2, 'Int / Int is an Int: the quotient is truncated.'),
  row(DIV, 'Int / Int', '7 / 2', 3),
  row(DIV, 'Int / Int', '-7 / 2', -3, 'Truncated toward zero (Java long division), not floored.'),
  row(DIV, 'Int/Decimal / Int/Decimal', '7.5 / 2', 3.75),
  row(DIV, 'Int/Decimal / Int/Decimal', 'n / d', 2),
  row(DIV, 'Int/Decimal / Int/Decimal', '1 / 0.4', 2.5),
  row(DIV, 'String/Int/Decimal / String/Int/Decimal', "'7.5' / 2.5", 3),
  row(DIV, 'String/Int/Decimal / String/Int/Decimal', "'10' / 4", 2.5, 'A String converts to a Decimal and the table says "a Decimal value is returned", so this is Decimal division. An engine that makes every whole Decimal an Int before dividing would give 2.'),
  row(DIV, 'String/Int/Decimal / String/Int/Decimal (string not convertible)', "s / 2", undefined),
  row(DIV, 'Other value / Other value', 'b / 2', undefined),

  // %
  row(MOD, 'Int % Int', '7 % 3', 1),
  row(MOD, 'Int % Int', '-7 % 3', -1, 'A remainder takes the sign of the dividend (Java %).'),
  row(MOD, 'String/Int/Decimal % String/Int/Decimal', "'7' % 3", 1),
  row(MOD, 'String/Int/Decimal % String/Int/Decimal', "'7.5' % 2", 1.5),
  row(MOD, 'String/Int/Decimal % String/Int/Decimal', '7.5 % d', 0),
  row(MOD, 'String/Int/Decimal % String/Int/Decimal (string not convertible)', "'x' % 2", undefined),
  row(MOD, 'Other value % Other value', 'true % 2', undefined),

  // grouping and precedence, from iot-sql-select.md's "(temperature - 32) * 5 / 9"
  row(MULT, '* binds tighter than +', '2 + 3 * 4', 14),
  row(MULT, 'parentheses group', '(2 + 3) * 4', 20),
  row(DIV, 'left to right: (temperature - 32) * 5 / 9 with 212', '(212 - 32) * 5 / 9', 100),
];
