import { syntaxErrorAt, type ConformanceCase } from './cases.js';

const PAGE = 'iot-sql-json.md#iot-sql-json';

const MYDATA = { mydata: { item2: { '0': { 'my-key': 'myValue' } } } };
const DEVICE = {
  deviceid: 'iot123',
  temp: 54.98,
  humidity: 32.43,
  coords: { latitude: 47.615694, longitude: -122.3359976 },
};

export const JSON_CASES: ConformanceCase[] = [
  {
    source: `${PAGE} ("." operator)`,
    sql: "SELECT foo.bar AS bar.baz FROM 'topic/subtopic'",
    topic: 'topic/subtopic',
    payload: { foo: { bar: 'RED', bar1: 'GREEN', bar2: 'BLUE' } },
    expect: { output: { bar: { baz: 'RED' } } },
    note: 'The page shows no output. A dotted alias builds nested objects (the pattern AWS rules use for AS state.reported.x).',
  },
  {
    source: `${PAGE} (the query that "will not work": item2.0 and my-key)`,
    sql: 'SELECT * from iot/rules WHERE mydata.item2.0.my-key= "myValue"',
    payload: MYDATA,
    expect: syntaxErrorAt(1, 44),
    note: 'The FROM filter is not quoted here (and in the md5 example) although iot-sql-from.md says it must be; Sluice accepts a bare filter, so the first error is the 0 after "item2.".',
  },
  {
    source: `${PAGE} (get function for property names with a hyphen or digits)`,
    sql: 'SELECT * from \'iot/rules\' WHERE get(get(get(mydata,"item2"),"0"),"my-key") = "myValue"',
    topic: 'iot/rules',
    payload: MYDATA,
    expect: { output: MYDATA },
  },
  {
    source: `${PAGE} (derived: the same rule when my-key has another value)`,
    sql: 'SELECT * from \'iot/rules\' WHERE get(get(get(mydata,"item2"),"0"),"my-key") = "myValue"',
    payload: { mydata: { item2: { '0': { 'my-key': 'other' } } } },
    expect: { noMatch: true },
  },
  {
    source: `${PAGE} ("*" operator on a JSON payload)`,
    sql: "SELECT * FROM 'topic/subtopic'",
    payload: DEVICE,
    expect: { output: DEVICE },
  },
  {
    source: `${PAGE} ("*" operator: "If the message payload is not in JSON format, * returns the entire message payload as raw bytes")`,
    sql: "SELECT * FROM 'topic/subtopic'",
    payloadBase64: 'AP8QgA==',
    expect: { outputBase64: 'AP8QgA==' },
  },
  {
    source: `${PAGE} (applying a function to an attribute value)`,
    sql: 'SELECT temp, md5(deviceid) AS hashed_id FROM topic/#',
    topic: 'topic/devices',
    payload: DEVICE,
    expect: { output: { temp: 54.98, hashed_id: 'e37f81fb397e595c4aeb5645b8cbbbd1' } },
    note: 'The page writes the FROM filter without quotes; Sluice accepts a bare filter.',
  },
  {
    source: `${PAGE} (derived: "." on a value that is not an object is Undefined)`,
    sql: "SELECT foo.bar.baz AS x, foo.nope AS y, 1 AS z FROM 'topic/subtopic'",
    payload: { foo: { bar: 'RED' } },
    expect: { output: { z: 1 } },
  },
];
