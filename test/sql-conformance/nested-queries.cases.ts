import type { ConformanceCase } from './cases.js';

const PAGE = 'iot-sql-nested-queries.md#iot-sql-nested-queries';

export const SENML = {
  e: [
    { n: 'temperature', u: 'Cel', t: 1234, v: 22.5 },
    { n: 'light', u: 'lm', t: 1235, v: 135 },
    { n: 'acidity', u: 'pH', t: 1235, v: 7 },
  ],
};

export const NESTED_QUERIES_CASES: ConformanceCase[] = [
  {
    source: PAGE,
    sql: "SELECT (SELECT VALUE n FROM e) as sensors FROM 'my/topic'",
    topic: 'my/topic',
    payload: SENML,
    expect: { output: { sensors: ['temperature', 'light', 'acidity'] } },
  },
  {
    source: PAGE,
    sql: "SELECT (SELECT v FROM e WHERE n = 'temperature') as temperature FROM 'my/topic'",
    topic: 'my/topic',
    payload: SENML,
    expect: { output: { temperature: [{ v: 22.5 }] } },
  },
  {
    source: PAGE,
    sql: "SELECT get((SELECT v FROM e WHERE n = 'temperature'), 0).v as temperature FROM 'topic'",
    topic: 'topic',
    payload: SENML,
    expect: { output: { temperature: 22.5 } },
  },
  {
    source: `${PAGE} (derived: a nested WHERE that matches no element gives an empty array)`,
    sql: "SELECT (SELECT VALUE n FROM e WHERE v > 1000) as big FROM 'my/topic'",
    payload: SENML,
    expect: { output: { big: [] } },
  },
  {
    source: `${PAGE} (derived: a nested WHERE that matches several elements)`,
    sql: "SELECT (SELECT VALUE n FROM e WHERE t = 1235) as later FROM 'my/topic'",
    payload: SENML,
    expect: { output: { later: ['light', 'acidity'] } },
  },
  {
    source: `${PAGE} (derived: several items and an alias in the nested SELECT)`,
    sql: "SELECT (SELECT n AS name, u FROM e WHERE v < 100) as small FROM 'my/topic'",
    payload: SENML,
    expect: { output: { small: [{ name: 'temperature', u: 'Cel' }, { name: 'acidity', u: 'pH' }] } },
  },
  {
    source: `${PAGE} (derived: SELECT * in a nested SELECT)`,
    sql: "SELECT (SELECT * FROM e WHERE u = 'pH') as acid FROM 'my/topic'",
    payload: SENML,
    expect: { output: { acid: [{ n: 'acidity', u: 'pH', t: 1235, v: 7 }] } },
  },
  {
    source: `${PAGE} (derived: a nested SELECT in the WHERE clause)`,
    sql: "SELECT * FROM 'my/topic' WHERE get((SELECT VALUE v FROM e WHERE n = 'light'), 0) > 100",
    payload: SENML,
    expect: { output: SENML },
  },
  {
    source: `${PAGE} (derived: a nested SELECT VALUE with an expression)`,
    sql: "SELECT VALUE (SELECT VALUE upper(n) FROM e WHERE u = 'lm') FROM 'my/topic'",
    payload: SENML,
    expect: { output: ['LIGHT'] },
  },
];
