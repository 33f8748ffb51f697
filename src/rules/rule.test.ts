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

test('a rule that reads the payload throws SLUICE_ERR_PAYLOAD_NOT_JSON for a non-JSON payload', () => {
  for (const sql of [ALERT, "SELECT h FROM 'a'", "SELECT *, topic() AS t FROM 'a'"]) {
    const rule = compileRule(sql);
    assert.equal(rule.readsPayload, true, sql);
    assert.throws(() => rule.evaluate(message('not json {')), (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_ERR_PAYLOAD_NOT_JSON');
  }
  // Only topic and metadata: works on any payload.
  const meta = compileRule("SELECT topic() AS t FROM 'a' WHERE topic(2) = 'soilSensor2'");
  assert.equal(meta.readsPayload, false);
  assert.deepEqual(meta.evaluate(message(Buffer.from([0xff]))), { matched: true, output: { value: { t: TOPIC }, bytes: Buffer.from(`{"t":"${TOPIC}"}`) } });
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
  ["SELECT * FORM 'a'", 'SLUICE_ERR_RULE_SQL_SYNTAX', 1, 10, "expected FROM but found 'FORM'"],
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
