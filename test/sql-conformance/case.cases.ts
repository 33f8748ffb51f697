import { syntaxErrorAt, type ConformanceCase } from './cases.js';

const PAGE = 'iot-sql-case.md#iot-sql-case';

const STOP_LIGHT = [
  'SELECT CASE color',
  "        WHEN 'green' THEN 'go'",
  "        WHEN 'yellow' THEN 'caution'",
  "        WHEN 'red' THEN 'stop'",
  "        ELSE 'you are not at a stop light' END as instructions",
  "    FROM 'topic/subtopic'",
].join('\n');

export const CASE_CASES: ConformanceCase[] = [
  {
    source: PAGE,
    sql: STOP_LIGHT,
    topic: 'topic/subtopic',
    payload: { color: 'yellow' },
    expect: { output: { instructions: 'caution' } },
  },
  {
    source: `${PAGE} (derived: the first WHEN matches)`,
    sql: STOP_LIGHT,
    payload: { color: 'green' },
    expect: { output: { instructions: 'go' } },
  },
  {
    source: `${PAGE} (derived: "If there are no matches, r[e] of the ELSE clause is the result")`,
    sql: STOP_LIGHT,
    payload: { color: 'blue' },
    expect: { output: { instructions: 'you are not at a stop light' } },
  },
  {
    source: `${PAGE} (derived: "If v is Undefined, the result of the case statement is Undefined", even with an ELSE)`,
    sql: STOP_LIGHT,
    payload: { colour: 'red' },
    expect: { output: {} },
  },
  {
    source: `${PAGE} (derived: "If there is no match and no ELSE clause, the result is Undefined")`,
    sql: "SELECT CASE color WHEN 'green' THEN 'go' END AS instructions, 1 AS n FROM 'topic/subtopic'",
    payload: { color: 'blue' },
    expect: { output: { n: 1 } },
  },
  {
    source: `${PAGE} (derived: "the result of the first matching clause becomes the result")`,
    sql: "SELECT CASE n WHEN 1 THEN 'first' WHEN 1 THEN 'second' END AS r FROM 'topic/subtopic'",
    payload: { n: 1 },
    expect: { output: { r: 'first' } },
  },
  {
    source: `${PAGE} (derived: v "is matched for equality" against t[i]: = semantics, Int equals Decimal)`,
    sql: "SELECT CASE n WHEN 2.0 THEN 'two' ELSE 'other' END AS r FROM 'topic/subtopic'",
    payload: { n: 2 },
    expect: { output: { r: 'two' } },
  },
  {
    source: `${PAGE} (derived: "matched for equality": = semantics for arrays)`,
    sql: "SELECT CASE arr WHEN [1, 2] THEN 'pair' ELSE 'other' END AS r FROM 'topic/subtopic'",
    payload: { arr: [1, 2] },
    expect: { output: { r: 'pair' } },
  },
  {
    source: `${PAGE} (derived: "matched for equality": mismatched types are not equal)`,
    sql: "SELECT CASE n WHEN '1' THEN 'string one' ELSE 'no match' END AS r FROM 'topic/subtopic'",
    payload: { n: 1 },
    expect: { output: { r: 'no match' } },
  },
  {
    source: `${PAGE} (derived: "matched for equality": Null = Null, and v is Null, not Undefined)`,
    sql: "SELECT CASE v WHEN null THEN 'null' ELSE 'other' END AS r FROM 'topic/subtopic'",
    payload: { v: null },
    expect: { output: { r: 'null' } },
  },
  {
    source: `${PAGE} (derived: r[i] is an expression evaluated on the message)`,
    sql: "SELECT CASE unit WHEN 'F' THEN (t - 32) * 5 / 9 ELSE t END AS celsius FROM 'topic/subtopic'",
    payload: { unit: 'F', t: 212 },
    expect: { output: { celsius: 100 } },
  },
  {
    source: `${PAGE} (derived: CASE in a WHERE clause)`,
    sql: "SELECT * FROM 'topic/subtopic' WHERE CASE color WHEN 'red' THEN true ELSE false END",
    payload: { color: 'red' },
    expect: { output: { color: 'red' } },
  },
  {
    source: `${PAGE} (derived: keywords in lower case)`,
    sql: "select case color when 'yellow' then 'caution' else 'other' end as instructions from 'topic/subtopic'",
    payload: { color: 'yellow' },
    expect: { output: { instructions: 'caution' } },
  },
  {
    source: `${PAGE} (derived: "CASE statements require at least one WHEN clause")`,
    sql: "SELECT CASE color ELSE 'x' END AS r FROM 'topic/subtopic'",
    expect: syntaxErrorAt(1, 19),
  },
  {
    source: `${PAGE} (derived: the syntax ends with END)`,
    sql: "SELECT CASE color WHEN 'red' THEN 'stop' AS r FROM 'topic/subtopic'",
    expect: syntaxErrorAt(1, 42),
  },
];
