import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '../core/index.js';
import { compileRule, decodeMessage, type RuleEvaluation } from './index.js';

const TOPIC = 'device/soilSensor2/devicePayload';
const SAMPLE = { name: 'soilSensor2', humidity: 29, timeStampEpoch: 1598536072677, timeStampIso: '2020-08-27T13:47:52.677721' };

function message(payload: unknown, topic = TOPIC) {
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return decodeMessage({ topic, payload: bytes, clientId: 'sim-2', timestamp: 1598536072677 });
}

function run(sql: string, payload: unknown, topic?: string): RuleEvaluation {
  return compileRule(sql).evaluate(message(payload, topic));
}

function output(sql: string, payload: unknown, topic?: string): unknown {
  const result = run(sql, payload, topic);
  assert.ok(result.matched, `${sql} should match`);
  return result.output.value;
}

const ALERT = "SELECT * FROM 'device/+/devicePayload' WHERE humidity < 35";

// [sql, payload, matched?]
const WHERE_CASES: Array<[string, unknown, boolean]> = [
  [ALERT, SAMPLE, true],
  [ALERT, { ...SAMPLE, humidity: 40 }, false],
  [ALERT, { ...SAMPLE, humidity: 35 }, false],
  [ALERT, { name: 'x' }, false], // missing → Undefined → no match
  [ALERT, { humidity: 'wet' }, false], // not a number → Undefined
  [ALERT, { humidity: '29' }, true], // numeric strings convert to Decimal, as on AWS
  [ALERT, { humidity: null }, false],
  [ALERT, { humidity: true }, false],
  [ALERT, [1, 2], false], // a JSON array has no attributes
  ["SELECT * FROM 'a' WHERE NOT (h < 35)", { x: 1 }, false], // NOT Undefined is Undefined
  ["SELECT * FROM 'a' WHERE h < 35 OR true", { x: 1 }, false], // Undefined OR true is Undefined (AWS)
  ["SELECT * FROM 'a' WHERE name = 'soilSensor2'", SAMPLE, true],
  ["SELECT * FROM 'a' WHERE name = 2", SAMPLE, false], // mismatched types are not equal
  ["SELECT * FROM 'a' WHERE name <> 2", SAMPLE, true],
  ["SELECT * FROM 'a' WHERE missing <> 2", SAMPLE, false], // Undefined <> x is Undefined
  ["SELECT * FROM 'a' WHERE a.b.c >= 3 AND a.b.d = 'x'", { a: { b: { c: 3, d: 'x' } } }, true],
  ["SELECT * FROM 'a' WHERE a.b.c > 3", { a: { b: 5 } }, false],
  ["SELECT * FROM 'a' WHERE v = NULL", { v: null }, true],
  ["SELECT * FROM 'a' WHERE flag", { flag: true }, true],
  ["SELECT * FROM 'a' WHERE flag", { flag: 'TRUE' }, false], // WHERE needs Boolean true
  ["SELECT * FROM 'a' WHERE flag AND 'true'", { flag: true }, true],
  ["SELECT * FROM 'a' WHERE (t * 9 / 5) + 32 > 100", { t: 40 }, true],
  ["SELECT * FROM 'a' WHERE x % 2 = 1 AND -x = -3", { x: 3 }, true],
  ["SELECT * FROM 'a' WHERE r[1] = 20", { r: [10, 20] }, true],
  ["SELECT * FROM 'a' WHERE topic(2) = 'soilSensor2' AND clientid() = 'sim-2'", {}, true],
  ["SELECT * FROM 'a' WHERE obj = obj AND arr <> arr2", { obj: { a: [1] }, arr: [1], arr2: [2] }, true],
];

test('WHERE follows AWS Undefined and type-conversion semantics', () => {
  for (const [sql, payload, matched] of WHERE_CASES) {
    assert.equal(run(sql, payload).matched, matched, `${sql} on ${JSON.stringify(payload)}`);
  }
});

// [sql, payload, expected output value]
const SELECT_CASES: Array<[string, unknown, unknown]> = [
  ["SELECT humidity, name AS device FROM 'a'", SAMPLE, { humidity: 29, device: 'soilSensor2' }],
  ["SELECT a.b.c, a.b FROM 'a'", { a: { b: { c: 1 } } }, { c: 1, b: { c: 1 } }],
  ["SELECT missing, a.missing.deeper, humidity FROM 'a'", SAMPLE, { humidity: 29 }], // Undefined is omitted
  ["SELECT topic(), timestamp(), clientid() FROM 'a'", {}, { topic: TOPIC, timestamp: 1598536072677, clientid: 'sim-2' }],
  ["SELECT topic(1) AS a, topic(3) AS c, topic(4) AS none, topic(0) AS zero FROM 'a'", {}, { a: 'device', c: 'devicePayload' }],
  ["SELECT *, topic(2) AS device FROM 'a'", { h: 1 }, { h: 1, device: 'soilSensor2' }],
  ["SELECT h * 2, h + 1 AS inc, 'x' + 'y' AS s, NULL AS n, 1 / 0 AS inf FROM 'a'", { h: 4 }, { _1: 8, inc: 5, s: 'xy', n: null }],
  ["SELECT h > 1 AS big, NOT h > 1 AS small FROM 'a'", { h: 4 }, { big: true, small: false }],
];

test('SELECT builds the output object', () => {
  for (const [sql, payload, expected] of SELECT_CASES) assert.deepEqual(output(sql, payload), expected, sql);
});

test('plain SELECT * passes the original bytes through, byte-identical', () => {
  const raw = Buffer.from('{ "humidity" : 29.0,\n "name":"x" }');
  const result = compileRule(ALERT).evaluate(message(raw));
  assert.ok(result.matched);
  assert.equal(result.output.bytes, raw);
  assert.deepEqual(result.output.value, { humidity: 29, name: 'x' });
});

test('plain SELECT * matches a binary payload and leaves value undefined', () => {
  const rule = compileRule("SELECT * FROM 'device/+/devicePayload'");
  assert.equal(rule.readsPayload, false);
  const raw = Buffer.from([0xff, 0x00, 0x81, 0x7b]);
  const result = rule.evaluate(message(raw));
  assert.ok(result.matched);
  assert.equal(result.output.bytes, raw);
  assert.equal(result.output.value, undefined);
});

test('attributes of a non-JSON payload are Undefined, as AWS documents for binary payloads', () => {
  // iot-sql/binary-payloads: "SELECT * FROM 'topic/subtopic' WHERE device_type = 'thermostat'" is supported: no match, no error.
  const alert = compileRule(ALERT);
  assert.equal(alert.readsPayload, true);
  assert.deepEqual(alert.evaluate(message('not json {')), { matched: false });
  const fields = compileRule("SELECT h, topic(2) AS d FROM 'device/+/devicePayload'").evaluate(message(Buffer.from([0xff])));
  assert.ok(fields.matched);
  assert.deepEqual(fields.output.value, { d: 'soilSensor2' });
  // Only topic and metadata: works on any payload.
  const meta = compileRule("SELECT topic() AS t FROM 'a' WHERE topic(2) = 'soilSensor2'");
  assert.equal(meta.readsPayload, false);
  assert.deepEqual(meta.evaluate(message(Buffer.from([0xff]))), { matched: true, output: { value: { t: TOPIC }, bytes: Buffer.from(`{"t":"${TOPIC}"}`) }, vars: [] });
});

test('SELECT * with more fields cannot add them to a non-JSON payload: SLUICE_ERR_PAYLOAD_NOT_JSON names the way out', () => {
  const rule = compileRule("SELECT *, topic() AS t FROM 'a/#'");
  assert.throws(
    () => rule.evaluate(message('not json {')),
    (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_ERR_PAYLOAD_NOT_JSON' && e.message.includes("encode(*, 'base64')"),
  );
  // An empty payload has nothing to merge: only the added fields (AWS "Binary payloads").
  const empty = rule.evaluate(message(Buffer.alloc(0)));
  assert.ok(empty.matched);
  assert.deepEqual(empty.output.value, { t: TOPIC });
});

test('the payload is parsed at most once per message, shared by rules', (t) => {
  const msg = message(SAMPLE);
  const parse = t.mock.method(JSON, 'parse');
  compileRule(ALERT).evaluate(msg);
  compileRule("SELECT name FROM 'a' WHERE humidity > 1").evaluate(msg);
  compileRule("SELECT *, topic() AS t FROM 'a'").evaluate(msg);
  assert.equal(parse.mock.callCount(), 1);
});

test('compiled rule exposes sql, topic filter and AST', () => {
  const rule = compileRule(ALERT);
  assert.equal(rule.sql, ALERT);
  assert.equal(rule.topicFilter, 'device/+/devicePayload');
  assert.equal(rule.ast.type, 'Select');
  assert.equal(rule.readsPayload, true);
});

const INVALID: Array<[sql: string, code: string, line: number, column: number, fragment: string]> = [
  ["SELECT nope() FROM 'a'", 'SLUICE_ERR_RULE_SQL_INVALID', 1, 8, "unknown function 'nope'"],
  ["SELECT *\nFROM 'a' WHERE topic(1, 2) = 'x'", 'SLUICE_ERR_RULE_SQL_INVALID', 2, 16, "function 'topic' takes 0 to 1 argument(s) but was given 2"],
  ["SELECT timestamp(1) FROM 'a'", 'SLUICE_ERR_RULE_SQL_INVALID', 1, 8, "function 'timestamp' takes 0 argument(s)"],
  ["SELECT * FROM 'a/#/b'", 'SLUICE_ERR_RULE_SQL_INVALID', 1, 15, "invalid topic filter 'a/#/b'"],
  ["SELECT * FROM 'a/b+'", 'SLUICE_ERR_RULE_SQL_INVALID', 1, 15, "'+' must occupy a whole level"],
  ["SELECT * FROM ''", 'SLUICE_ERR_RULE_SQL_INVALID', 1, 15, 'topic filter is empty'],
  ["SELECT * FORM 'a'", 'SLUICE_ERR_RULE_SQL_SYNTAX', 1, 10, "expected ',' or FROM but found 'FORM'"],
];

test('compile errors carry a code, a position and a message', () => {
  for (const [sql, code, line, column, fragment] of INVALID) {
    assert.throws(
      () => compileRule(sql),
      (error: unknown) => {
        assert.ok(error instanceof SluiceError);
        assert.equal(error.code, code, sql);
        assert.deepEqual(error.place, { line, column }, sql);
        assert.ok(error.message.includes(fragment), `${sql}: ${error.message}`);
        return true;
      },
    );
  }
});

// [sql, payload, expected output value]: IN, CONTAINS, literals, CASE.
const EXTENDED_SELECT_CASES: Array<[string, unknown, unknown]> = [
  ["SELECT 2 IN [1, 2, 3] AS a, 4 IN [1, 2, 3] AS b, x IN arr AS c, 'b' IN arr AS d FROM 't'", { x: 1, arr: [1, 'b'] }, { a: true, b: false, c: true, d: true }],
  ["SELECT [1] IN [[1], 2] AS a, {'k': 1} IN objs AS b, '1' IN [1] AS c FROM 't'", { objs: [{ k: 1 }] }, { a: true, b: true, c: false }],
  ["SELECT missing IN [1] AS a, 1 IN missing AS b, 1 IN 'abc' AS c, 1 IN {} AS d FROM 't'", {}, {}], // Undefined
  ["SELECT arr CONTAINS 2 AS a, arr CONTAINS 5 AS b, arr CONTAINS [3] AS c, arr CONTAINS missing AS d FROM 't'", { arr: [1, 2, [3]] }, { a: true, b: false, c: true }],
  ["SELECT s CONTAINS 'ell' AS a, s CONTAINS 'xyz' AS b, s CONTAINS '' AS c, s CONTAINS 1 AS d, 5 CONTAINS 5 AS e FROM 't'", { s: 'hello' }, { a: true, b: false, c: true }],
  ["SELECT NOT x IN [1] AS a, x + 1 IN [2] AS b FROM 't'", { x: 1 }, { a: false, b: true }],
  ["SELECT [a, b.c, 'x', missing, 1 + 1] AS arr, [] AS empty FROM 't'", { a: 1, b: { c: null } }, { arr: [1, null, 'x', 2], empty: [] }],
  ["SELECT {'id': a, \"nested\": {'n': [b]}, 'gone': missing} AS o, {} AS e FROM 't'", { a: 1, b: 2 }, { o: { id: 1, nested: { n: [2] } }, e: {} }],
  ["SELECT [1, 2], {'k': 1} FROM 't'", {}, { _1: [1, 2], _2: { k: 1 } }],
  ["SELECT {'a': [10, 20]}.a[1] AS x, [5, 6][0] AS y FROM 't'", {}, { x: 20, y: 5 }],
  [
    "SELECT CASE color WHEN 'green' THEN 'go' WHEN 'yellow' THEN 'caution' WHEN 'red' THEN 'stop' ELSE 'you are not at a stop light' END AS instructions FROM 't'",
    { color: 'yellow' },
    { instructions: 'caution' },
  ],
  ["SELECT CASE c WHEN 'g' THEN 1 ELSE 0 END AS a, CASE c WHEN 'g' THEN 1 END AS b FROM 't'", { c: 'x' }, { a: 0 }], // no ELSE → Undefined
  ["SELECT CASE missing WHEN 1 THEN 1 ELSE 2 END AS a FROM 't'", {}, {}], // Undefined subject → Undefined, even with ELSE
  ["SELECT CASE n WHEN 1 THEN 'a' WHEN 1 THEN 'b' END AS first, CASE n WHEN '1' THEN 'str' ELSE 'no' END AS typed FROM 't'", { n: 1 }, { first: 'a', typed: 'no' }],
  ["SELECT CASE true WHEN t > 30 THEN 'hot' WHEN t > 10 THEN 'warm' ELSE 'cold' END AS feel FROM 't'", { t: 20 }, { feel: 'warm' }],
  ["SELECT CASE o WHEN {'a': [1]} THEN 'same' END AS m, CASE x WHEN missing THEN 1 ELSE 2 END AS u FROM 't'", { o: { a: [1] }, x: 1 }, { m: 'same', u: 2 }],
  ["SELECT CASE 1 WHEN 1 THEN 2 END * 10 AS n, CASE 1 WHEN 1 THEN 2 END FROM 't'", {}, { n: 20, _2: 2 }],
];

test('IN, CONTAINS, array/object literals and CASE evaluate with AWS semantics', () => {
  for (const [sql, payload, expected] of EXTENDED_SELECT_CASES) assert.deepEqual(output(sql, payload), expected, sql);
});

const EXTENDED_WHERE_CASES: Array<[string, unknown, boolean]> = [
  ["SELECT * FROM 't' WHERE state IN ['on', 'idle'] AND t > 1", { state: 'idle', t: 2 }, true],
  ["SELECT * FROM 't' WHERE state IN ['on', 'idle']", { state: 'off' }, false],
  ["SELECT * FROM 't' WHERE tags CONTAINS 'alarm' OR false", { tags: ['x', 'alarm'] }, true],
  ["SELECT * FROM 't' WHERE tags CONTAINS 'alarm'", { tags: 'no-alarm-here' }, true],
  ["SELECT * FROM 't' WHERE tags CONTAINS 'alarm'", {}, false],
  ["SELECT * FROM 't' WHERE CASE kind WHEN 'a' THEN t > 1 ELSE false END", { kind: 'a', t: 5 }, true],
  ["SELECT * FROM 't' WHERE CASE kind WHEN 'a' THEN t > 1 END", { kind: 'b', t: 5 }, false],
];

test('IN, CONTAINS and CASE in WHERE', () => {
  for (const [sql, payload, matched] of EXTENDED_WHERE_CASES) assert.equal(run(sql, payload).matched, matched, sql);
});

// [sql, payload, bare value, bytes]
const SELECT_VALUE_CASES: Array<[string, unknown, unknown, string]> = [
  ["SELECT VALUE state.reported FROM 't'", { state: { reported: { t: 1 } } }, { t: 1 }, '{"t":1}'],
  ["SELECT VALUE {'t': t, 'at': topic()} FROM 't'", { t: 3 }, { t: 3, at: TOPIC }, `{"t":3,"at":"${TOPIC}"}`],
  ["SELECT VALUE [a, b] FROM 't' WHERE a > 0", { a: 1, b: 2 }, [1, 2], '[1,2]'],
  ["SELECT VALUE t * 2 FROM 't'", { t: 21 }, 42, '42'],
  ["SELECT VALUE 'x' FROM 't'", {}, 'x', '"x"'],
  ["SELECT VALUE missing FROM 't'", {}, undefined, ''],
  ["SELECT VALUE value FROM 't'", { value: 7 }, 7, '7'],
  ["SELECT value FROM 't'", { value: 7 }, { value: 7 }, '{"value":7}'],
];

test('SELECT VALUE outputs the bare value', () => {
  for (const [sql, payload, value, bytes] of SELECT_VALUE_CASES) {
    const result = run(sql, payload);
    assert.ok(result.matched, sql);
    assert.deepEqual(result.output.value, value, sql);
    assert.equal(result.output.bytes.toString(), bytes, sql);
  }
  assert.equal(run("SELECT VALUE a FROM 't' WHERE a > 5", { a: 1 }).matched, false);
  assert.equal(compileRule("SELECT VALUE topic() FROM 't'").readsPayload, false);
  assert.equal(compileRule("SELECT VALUE [CASE topic(1) WHEN 'a' THEN {'k': x} END] FROM 't'").readsPayload, true);
});

test('object literals reject duplicate keys', () => {
  assert.throws(
    () => compileRule("SELECT {'a': 1,\n 'a': 2} FROM 't'"),
    (error: unknown) => {
      assert.ok(error instanceof SluiceError);
      assert.equal(error.code, 'SLUICE_ERR_RULE_SQL_INVALID');
      assert.deepEqual(error.place, { line: 2, column: 2 });
      assert.ok(error.message.includes("duplicate key 'a'"), error.message);
      return true;
    },
  );
});
