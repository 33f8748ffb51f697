import type { ConformanceCase } from './cases.js';

const PAGE = 'iot-sql-select.md#iot-sql-select';
const PAYLOAD = { color: 'red', temperature: 50 };

export const SELECT_CASES: ConformanceCase[] = [
  {
    source: PAGE,
    sql: "SELECT * FROM 'topic/subtopic'",
    topic: 'topic/subtopic',
    payload: PAYLOAD,
    expect: { output: { color: 'red', temperature: 50 } },
  },
  {
    source: PAGE,
    sql: "SELECT color FROM 'topic/subtopic'",
    payload: PAYLOAD,
    expect: { output: { color: 'red' } },
  },
  {
    source: PAGE,
    sql: "SELECT color AS my_color FROM 'topic/subtopic'",
    payload: PAYLOAD,
    expect: { output: { my_color: 'red' } },
  },
  {
    source: PAGE,
    sql: "SELECT color as my_color, temperature as fahrenheit FROM 'topic/subtopic'",
    payload: PAYLOAD,
    expect: { output: { my_color: 'red', fahrenheit: 50 } },
  },
  {
    source: PAGE,
    sql: "SELECT *, 15 as speed FROM 'topic/subtopic'",
    payload: PAYLOAD,
    expect: { output: { color: 'red', temperature: 50, speed: 15 } },
  },
  {
    source: PAGE,
    sql: "SELECT VALUE color FROM 'topic/subtopic'",
    payload: PAYLOAD,
    expect: { output: 'red' },
  },
  {
    source: PAGE,
    sql: "SELECT color.red as red_value FROM 'topic/subtopic'",
    payload: { color: { red: 255, green: 0, blue: 0 }, temperature: 50 },
    expect: { output: { red_value: 255 } },
  },
  {
    source: PAGE,
    sql: "SELECT (temperature - 32) * 5 / 9 AS celsius, upper(color) as my_color FROM 'topic/subtopic'",
    payload: PAYLOAD,
    expect: { output: { celsius: 10, my_color: 'RED' } },
  },
  {
    source: `${PAGE} (derived: "With SQL version 2016-03-23 or later, you can also select an array to output as a top-level object")`,
    sql: "SELECT VALUE [color, temperature] FROM 'topic/subtopic'",
    payload: PAYLOAD,
    expect: { output: ['red', 50] },
  },
  {
    source: `${PAGE} (derived: the "VALUE" keyword with a number)`,
    sql: "SELECT VALUE temperature FROM 'topic/subtopic'",
    payload: PAYLOAD,
    expect: { output: 50 },
  },
  {
    source: `${PAGE} (derived: "With SQL version 2015-10-08, you can select only one item")`,
    sql: "SELECT VALUE color FROM 'topic/subtopic'",
    sqlVersion: '2015-10-08',
    payload: PAYLOAD,
    expect: { output: 'red' },
  },
  {
    source: `${PAGE} (derived: '.' drills into nested objects, several levels deep)`,
    sql: "SELECT state.reported.temp AS t FROM 'topic/subtopic'",
    payload: { state: { reported: { temp: 21.5 } } },
    expect: { output: { t: 21.5 } },
  },
  {
    source: `${PAGE} (derived: parentheses for grouping change the result)`,
    sql: "SELECT temperature - 32 * 5 AS a, (temperature - 32) * 5 AS b FROM 'topic/subtopic'",
    payload: PAYLOAD,
    expect: { output: { a: -110, b: 90 } },
  },
];
