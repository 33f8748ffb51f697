import { syntaxErrorAt, type ConformanceCase } from './cases.js';

const PAGE = 'iot-rule-sql-version.md';

export const SQL_VERSION_CASES: ConformanceCase[] = [
  {
    source: `${PAGE}#return-array-rule`,
    sql: "SELECT VALUE arr FROM 'topic'",
    topic: 'topic',
    payload: { a: { b: 'c' }, arr: [1, 2, 3, 4] },
    expect: { output: [1, 2, 3, 4] },
  },
  {
    source: `${PAGE}#sql-2016-03-23-beta (derived: "Fixes for selecting nested JSON objects")`,
    sql: "SELECT a FROM 'topic'",
    payload: { a: { b: 'c' }, arr: [1, 2, 3, 4] },
    expect: { output: { a: { b: 'c' } } },
  },
  {
    source: `${PAGE}#iot-rule-sql-version (derived: the rule runs with the version it names)`,
    sql: "SELECT sql_version() AS v FROM 'topic'",
    sqlVersion: '2016-03-23',
    expect: { output: { v: '2016-03-23' } },
  },
  {
    source: 'iot-sql-select.md#iot-sql-select (derived: "With SQL version 2015-10-08, you can select only one item")',
    sql: "SELECT VALUE color, temperature FROM 'topic/subtopic'",
    sqlVersion: '2015-10-08',
    expect: syntaxErrorAt(1, 19),
  },
];
