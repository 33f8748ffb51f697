import type { ConformanceCase } from './cases.js';

/*
 * binary-payloads.md. Not turned into a case: the republish example
 * (topic "device/${device_id}") is an action template, not rule SQL.
 */

const PAGE = 'binary-payloads.md#binary-payloads-examples';
const BINARY = 'AP8QgA=='; // bytes 00 ff 10 80: not UTF-8, not JSON
const PRINCIPAL = 'ba67293af50bf2506f5f93469686da660c7c844e7b3950bfb16813e0d31e9373';

export const BINARY_PAYLOADS_CASES: ConformanceCase[] = [
  {
    source: PAGE,
    sql: "SELECT * FROM 'topic/subtopic'",
    payloadBase64: BINARY,
    expect: { outputBase64: BINARY },
  },
  {
    source: PAGE,
    sql: "SELECT * FROM 'topic/subtopic' WHERE timestamp() % 12 = 0",
    payloadBase64: BINARY,
    timestamp: 1200,
    expect: { outputBase64: BINARY },
  },
  {
    source: `${PAGE} (derived: the same rule when timestamp() % 12 is not 0)`,
    sql: "SELECT * FROM 'topic/subtopic' WHERE timestamp() % 12 = 0",
    payloadBase64: BINARY,
    timestamp: 1201,
    expect: { noMatch: true },
  },
  {
    source: `${PAGE} ("If you have an empty or a JSON payload, the resulting payload can have data added": empty payload)`,
    sql: "SELECT *, principal() as principal, timestamp() as time FROM 'topic/subtopic'",
    payloadText: '',
    principal: PRINCIPAL,
    timestamp: 1481825251155,
    expect: { output: { principal: PRINCIPAL, time: 1481825251155 } },
  },
  {
    source: `${PAGE} ("If you have an empty or a JSON payload, the resulting payload can have data added": JSON payload)`,
    sql: "SELECT *, principal() as principal, timestamp() as time FROM 'topic/subtopic'",
    payload: { device_type: 'thermostat' },
    principal: PRINCIPAL,
    timestamp: 1481825251155,
    expect: { output: { device_type: 'thermostat', principal: PRINCIPAL, time: 1481825251155 } },
  },
  {
    source: PAGE,
    sql: "SELECT encode(*, 'base64') AS data, timestamp() AS ts FROM 'topic/subtopic'",
    payloadBase64: BINARY,
    timestamp: 1481825251155,
    expect: { output: { data: BINARY, ts: 1481825251155 } },
  },
  {
    source: PAGE,
    sql: "SELECT * FROM 'topic/subtopic' WHERE device_type = 'thermostat'",
    payload: { device_type: 'thermostat', temp: 20 },
    expect: { output: { device_type: 'thermostat', temp: 20 } },
    note: 'Listed as usable with binary payloads; a payload whose device_type can be read is used here.',
  },
  {
    source: PAGE,
    sql: "SELECT encode(*, 'base64') AS data FROM 'my_topic'",
    topic: 'my_topic',
    payloadBase64: BINARY,
    expect: { output: { data: BINARY } },
  },
  {
    source: `${PAGE} (decode(encode(*)): "To convert a string input to JSON")`,
    sql: "SELECT decode(encode(*, 'base64'), 'base64') AS payload FROM 'topic'",
    topic: 'topic',
    payloadText: 'hello world',
    expect: { output: { payload: 'hello world' } },
  },
  {
    source: `${PAGE} (decode(encode(*)) on text that is a JSON document)`,
    sql: "SELECT decode(encode(*, 'base64'), 'base64') AS payload FROM 'topic'",
    topic: 'topic',
    payloadText: '{"temperature": 33}',
    expect: { output: { payload: { temperature: 33 } } },
  },
];
