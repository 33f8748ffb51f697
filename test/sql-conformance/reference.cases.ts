import { syntaxErrorAt, type ConformanceCase } from './cases.js';

const PAGE = 'iot-sql-reference.md#iot-sql-reference';

export const REFERENCE_CASES: ConformanceCase[] = [
  {
    source: PAGE,
    sql: "SELECT color AS rgb FROM 'topic/subtopic' WHERE temperature > 50",
    topic: 'topic/subtopic',
    payload: { color: 'red', temperature: 100 },
    expect: { output: { rgb: 'red' } },
  },
  {
    source: `${PAGE} (derived: the same rule when temperature > 50 is false)`,
    sql: "SELECT color AS rgb FROM 'topic/subtopic' WHERE temperature > 50",
    topic: 'topic/subtopic',
    payload: { color: 'red', temperature: 50 },
    expect: { noMatch: true },
  },
  {
    source: `${PAGE} (derived: "Comments are not currently supported")`,
    sql: "SELECT color FROM 'topic/subtopic' -- a comment",
    expect: syntaxErrorAt(1, 36),
  },
  {
    source: `${PAGE} (derived: "Comments are not currently supported")`,
    sql: "/* a comment */ SELECT color FROM 'topic/subtopic'",
    expect: syntaxErrorAt(1, 1),
  },
  {
    source: `${PAGE} (derived: attribute names with spaces pass through a wildcard SELECT)`,
    sql: "SELECT * FROM 'topic/subtopic'",
    payload: { 'my attribute': 1, color: 'red' },
    expect: { output: { 'my attribute': 1, color: 'red' } },
  },
];
