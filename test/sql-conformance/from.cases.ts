import { invalidAt, type ConformanceCase } from './cases.js';

const PAGE = 'iot-sql-from.md#iot-sql-from';

// The runner routes a message to the rule only when its topic matches the FROM
// filter (as the broker does), so a non-matching topic is `noMatch`.
export const FROM_CASES: ConformanceCase[] = [
  {
    source: PAGE,
    sql: "SELECT temperature AS t FROM 'topic/subtopic'",
    topic: 'topic/subtopic',
    payload: { temperature: 50 },
    expect: { output: { t: 50 } },
  },
  {
    source: PAGE,
    sql: "SELECT temperature AS t FROM 'topic/subtopic'",
    topic: 'topic/subtopic-2',
    payload: { temperature: 50 },
    expect: { noMatch: true },
  },
  {
    source: `${PAGE} (# wildcard example)`,
    sql: "SELECT temperature AS t FROM 'topic/#'",
    topic: 'topic/subtopic',
    payload: { temperature: 50 },
    expect: { output: { t: 50 } },
  },
  {
    source: `${PAGE} (# wildcard example)`,
    sql: "SELECT temperature AS t FROM 'topic/#'",
    topic: 'topic/subtopic-2',
    payload: { temperature: 60 },
    expect: { output: { t: 60 } },
  },
  {
    source: `${PAGE} (# wildcard example)`,
    sql: "SELECT temperature AS t FROM 'topic/#'",
    topic: 'topic/subtopic-3/details',
    payload: { temperature: 70 },
    expect: { output: { t: 70 } },
  },
  {
    source: `${PAGE} (# wildcard example)`,
    sql: "SELECT temperature AS t FROM 'topic/#'",
    topic: 'topic-2/subtopic-x',
    payload: { temperature: 80 },
    expect: { noMatch: true },
  },
  {
    source: `${PAGE} (+ wildcard example)`,
    sql: "SELECT temperature AS t FROM 'topic/+'",
    topic: 'topic/subtopic',
    payload: { temperature: 50 },
    expect: { output: { t: 50 } },
  },
  {
    source: `${PAGE} (+ wildcard example)`,
    sql: "SELECT temperature AS t FROM 'topic/+'",
    topic: 'topic/subtopic-2',
    payload: { temperature: 60 },
    expect: { output: { t: 60 } },
  },
  {
    source: `${PAGE} (+ wildcard example)`,
    sql: "SELECT temperature AS t FROM 'topic/+'",
    topic: 'topic/subtopic-3/details',
    payload: { temperature: 70 },
    expect: { noMatch: true },
  },
  {
    source: `${PAGE} (+ wildcard example)`,
    sql: "SELECT temperature AS t FROM 'topic/+'",
    topic: 'topic-2/subtopic-x',
    payload: { temperature: 80 },
    expect: { noMatch: true },
  },
  {
    source: `${PAGE} (derived: FROM takes a topic filter; '#' must be the last level)`,
    sql: "SELECT * FROM 'topic/#/details'",
    expect: invalidAt(1, 15),
  },
  {
    source: `${PAGE} (derived: FROM takes a topic filter; '+' must be a whole level)`,
    sql: "SELECT * FROM 'topic/sub+'",
    expect: invalidAt(1, 15),
  },
];
