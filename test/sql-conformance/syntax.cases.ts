import { invalidAt, syntaxErrorAt, type ConformanceCase } from './cases.js';

/*
 * Keywords and function names are case-insensitive: the guide itself writes
 * `as` and `AS` (iot-sql-select.md), `select value ... from` (transform
 * examples), `from` (decode example), Round/Ltrim/Nanvl/Trim (function
 * examples). Invalid statements report the place of the first error.
 */

const SELECT = 'iot-sql-select.md#iot-sql-select';
const FUNCTIONS = 'iot-sql-functions.md#iot-sql-functions';
const REFERENCE = 'iot-sql-reference.md#iot-sql-reference';
const PAYLOAD = { color: 'red', temperature: 50 };

export const SYNTAX_CASES: ConformanceCase[] = [
  // case-insensitive keywords
  {
    source: `${SELECT} (derived: keywords in lower case, as in "temperature as fahrenheit")`,
    sql: "select color as my_color from 'topic/subtopic' where temperature > 40",
    payload: PAYLOAD,
    expect: { output: { my_color: 'red' } },
  },
  {
    source: `${SELECT} (derived: keywords in mixed case)`,
    sql: "SeLeCt VaLuE color FrOm 'topic/subtopic' WhErE temperature = 50",
    payload: PAYLOAD,
    expect: { output: 'red' },
  },
  {
    source: `${SELECT} (derived: AND, OR, NOT in lower case)`,
    sql: "SELECT * FROM 'topic/subtopic' where not (color = 'blue') and temperature > 10 or false",
    payload: PAYLOAD,
    expect: { output: PAYLOAD },
  },
  {
    source: 'iot-sql-data-types.md#iot-sql-data-types (derived: TRUE, FALSE and NULL in any case, as in "SELECT NULL AS n")',
    sql: "SELECT TRUE AS a, false AS b, True AS c, null AS d, Null AS e FROM 'topic/subtopic'",
    expect: { output: { a: true, b: false, c: true, d: null, e: null } },
  },
  // case-insensitive function names
  {
    source: `${FUNCTIONS} (derived: function names in any case, as in Round(1.2) and Ltrim(" h i "))`,
    sql: "SELECT ABS(-5) AS a, Abs(-5) AS b, abs(-5) AS c FROM 'topic/subtopic'",
    expect: { output: { a: 5, b: 5, c: 5 } },
  },
  {
    source: `${FUNCTIONS} (derived: function names in any case; isNull is written in camel case)`,
    sql: "SELECT isnull(null) AS a, ISNULL(null) AS b, IsUndefined(nothing) AS c, UPPER('x') AS d FROM 'topic/subtopic'",
    payload: PAYLOAD,
    expect: { output: { a: true, b: true, c: true, d: 'X' } },
  },
  {
    source: `${FUNCTIONS} (derived: function names in any case)`,
    sql: "SELECT CONCAT('a', 'b') AS a, Topic(1) AS b, TIMESTAMP() AS c FROM 'topic/subtopic'",
    timestamp: 1481825251155,
    expect: { output: { a: 'ab', b: 'topic', c: 1481825251155 } },
  },
  {
    source: `${SELECT} (derived: attribute names are case-sensitive, unlike keywords)`,
    sql: "SELECT Color AS a, color AS b FROM 'topic/subtopic'",
    payload: PAYLOAD,
    expect: { output: { b: 'red' } },
  },
  {
    source: `${SELECT} (derived: the statement may span lines)`,
    sql: "SELECT color\n  AS c\nFROM 'topic/subtopic'\nWHERE temperature\n  > 10",
    payload: PAYLOAD,
    expect: { output: { c: 'red' } },
  },

  // invalid statements: syntax errors
  {
    source: `${REFERENCE} (derived: SELECT is required and needs an item)`,
    sql: "SELECT FROM 'topic/subtopic'",
    expect: syntaxErrorAt(1, 8),
  },
  {
    source: `${REFERENCE} (derived: the topic filter follows FROM)`,
    sql: "SELECT * 'topic/subtopic'",
    expect: syntaxErrorAt(1, 10),
  },
  {
    source: `${REFERENCE} (derived: FROM needs a topic filter)`,
    sql: 'SELECT * FROM',
    expect: syntaxErrorAt(1, 14),
  },
  {
    source: `${REFERENCE} (derived: WHERE needs a condition)`,
    sql: "SELECT color FROM 'topic/subtopic' WHERE",
    expect: syntaxErrorAt(1, 41),
  },
  {
    source: `${REFERENCE} (derived: an operator needs its right operand; the error is on line 3)`,
    sql: "SELECT *\nFROM 'topic/subtopic'\nWHERE temperature >",
    expect: syntaxErrorAt(3, 20),
  },
  {
    source: `${REFERENCE} (derived: AND needs its right operand)`,
    sql: "SELECT * FROM 'topic/subtopic' WHERE temperature > 50 AND",
    expect: syntaxErrorAt(1, 58),
  },
  {
    source: `${SELECT} (derived: an unclosed parenthesis)`,
    sql: "SELECT (temperature - 32 * 5 AS c FROM 'topic/subtopic'",
    expect: syntaxErrorAt(1, 30),
  },
  {
    source: `${SELECT} (derived: AS needs an alias)`,
    sql: "SELECT color AS FROM 'topic/subtopic'",
    expect: syntaxErrorAt(1, 17),
  },
  {
    source: `${SELECT} (derived: a trailing comma in the SELECT list)`,
    sql: "SELECT color, FROM 'topic/subtopic'",
    expect: syntaxErrorAt(1, 15),
  },
  {
    source: `${SELECT} (derived: an operator without its left operand)`,
    sql: "SELECT * 2 AS x FROM 'topic/subtopic'",
    expect: syntaxErrorAt(1, 10),
  },
  {
    source: `${REFERENCE} (derived: text after the statement)`,
    sql: "SELECT color FROM 'topic/subtopic' WHERE temperature > 50 ORDER BY color",
    expect: syntaxErrorAt(1, 59),
  },
  {
    source: `${FUNCTIONS} (derived: an unclosed function call)`,
    sql: "SELECT upper(color AS c FROM 'topic/subtopic'",
    expect: syntaxErrorAt(1, 20),
  },

  // invalid statements: unknown functions and wrong argument counts
  {
    source: `${FUNCTIONS} (derived: only the listed functions exist)`,
    sql: "SELECT nosuchfunction(color) AS x FROM 'topic/subtopic'",
    expect: invalidAt(1, 8),
  },
  {
    source: `${FUNCTIONS} (derived: abs takes one argument)`,
    sql: "SELECT abs(1, 2) AS x FROM 'topic/subtopic'",
    expect: invalidAt(1, 8),
  },
  {
    source: `${FUNCTIONS} (derived: upper takes one argument)`,
    sql: "SELECT color, upper() AS x FROM 'topic/subtopic'",
    expect: invalidAt(1, 15),
  },
  {
    source: `${FUNCTIONS} (derived: substring takes two or three arguments)`,
    sql: "SELECT substring('abc', 0, 1, 2) AS x FROM 'topic/subtopic'",
    expect: invalidAt(1, 8),
  },
  {
    source: `${FUNCTIONS} (derived: timestamp() takes no argument)`,
    sql: "SELECT * FROM 'topic/subtopic' WHERE timestamp(1) > 0",
    expect: invalidAt(1, 38),
  },
  {
    source: `${FUNCTIONS} (derived: the error points at the call, on line 2)`,
    sql: "SELECT color,\n       sqrt() AS s\nFROM 'topic/subtopic'",
    expect: invalidAt(2, 8),
  },
  {
    source: `${FUNCTIONS} (derived: a wrong count in a nested call)`,
    sql: "SELECT upper(lower(color, 1)) AS x FROM 'topic/subtopic'",
    expect: invalidAt(1, 14),
  },
];
