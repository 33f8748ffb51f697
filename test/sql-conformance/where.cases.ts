import { invalidAt, type ConformanceCase } from './cases.js';

const PAGE = 'iot-sql-where.md#iot-sql-where';

export const WHERE_CASES: ConformanceCase[] = [
  {
    source: PAGE,
    sql: "SELECT color AS my_color FROM 'topic/subtopic' WHERE temperature > 50 AND color <> 'red'",
    topic: 'topic/subtopic',
    payload: { color: 'red', temperature: 40 },
    expect: { noMatch: true },
  },
  {
    source: `${PAGE} (derived: the same rule with a payload for which the WHERE clause is true)`,
    sql: "SELECT color AS my_color FROM 'topic/subtopic' WHERE temperature > 50 AND color <> 'red'",
    payload: { color: 'blue', temperature: 60 },
    expect: { output: { my_color: 'blue' } },
  },
  {
    source: `${PAGE} (derived: "you cannot reference any aliases created with the AS keyword in the SELECT")`,
    sql: "SELECT temperature AS t FROM 'topic/subtopic' WHERE t > 50",
    payload: { temperature: 60 },
    expect: invalidAt(1, 53),
    note: 'Documented choice: on AWS, WHERE t reads a payload attribute t (Undefined here, so no match); Sluice rejects a WHERE reference to a SELECT alias at compile time, at the reference.',
  },
  {
    source: `${PAGE} (example with non-JSON payload)`,
    sql: "SELECT decode(encode(*, 'base64'), 'base64') AS value FROM 'topic/subtopic' WHERE decode(encode(*, 'base64'), 'base64') > 50",
    topic: 'topic/subtopic',
    payloadText: '80',
    expect: { output: { value: 80 } },
    note: 'The page prints the statement with a stray leading backtick (markdown artifact); it is left out here.',
  },
  {
    source: `${PAGE} (derived: a WHERE clause on a missing attribute is Undefined, not true)`,
    sql: "SELECT * FROM 'topic/subtopic' WHERE humidity > 50",
    payload: { temperature: 60 },
    expect: { noMatch: true },
  },
  {
    source: `${PAGE} (derived: functions in the WHERE clause)`,
    sql: "SELECT * FROM 'topic/subtopic' WHERE startswith(upper(color), 'RE')",
    payload: { color: 'red' },
    expect: { output: { color: 'red' } },
  },
];
