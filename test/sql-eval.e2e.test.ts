import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './support/sluice-process.js';

// `sluice sql eval` runs locally: no server, no --data.
const TOPIC = 'device/soilSensor2/devicePayload';
const SAMPLE = { name: 'soilSensor2', humidity: 29, timeStampEpoch: 1598536072677, timeStampIso: '2020-08-27T13:47:52.677721' };
const ALERT = "SELECT * FROM 'device/+/devicePayload' WHERE humidity < 35";

const evalSql = (sql: string, payload: string, ...extra: string[]) => runCli(['sql', 'eval', '--sql', sql, '--topic', TOPIC, '--payload', payload, ...extra]);

test('a matching rule prints its output and exits 0', async () => {
  const payload = JSON.stringify(SAMPLE);
  const result = await evalSql(ALERT, payload);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `${payload}\n`);
  assert.equal(result.stderr, '');
});

test('a false WHERE clause prints nothing on stdout and exits 1', async () => {
  const result = await evalSql(ALERT, JSON.stringify({ ...SAMPLE, humidity: 40 }));
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /no match: the WHERE clause is false for this message/);
});

test('SELECT expressions see the topic, client id and timestamp', async () => {
  const named = await evalSql("SELECT name, topic(2) AS device FROM 'device/+/devicePayload'", JSON.stringify(SAMPLE));
  assert.equal(named.code, 0, named.stderr);
  assert.deepEqual(JSON.parse(named.stdout), { name: 'soilSensor2', device: 'soilSensor2' });

  const context = await evalSql("SELECT clientid() AS c, timestamp() AS t FROM 'device/+/devicePayload'", '{}', '--clientid', 'sim-2', '--timestamp', '1598536072677');
  assert.equal(context.code, 0, context.stderr);
  assert.deepEqual(JSON.parse(context.stdout), { c: 'sim-2', t: 1598536072677 });
});

test('a payload that is not JSON passes through SELECT * as raw bytes', async () => {
  const result = await evalSql("SELECT * FROM 'device/+/devicePayload'", 'raw sensor frame');
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, 'raw sensor frame');
});

test('invalid SQL prints the positioned error with a caret and exits 2', async () => {
  const sql = "SELECT * FROM 'device/+/devicePayload' WHERE humidity <";
  const result = await evalSql(sql, JSON.stringify(SAMPLE));
  assert.equal(result.code, 2);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^error: 1:\d+: expected .* \[SLUICE_ERR_RULE_SQL_SYNTAX\]\n/);
  const [, source, caret] = result.stderr.split('\n');
  assert.equal(source, `  ${sql}`);
  assert.equal(caret, `  ${' '.repeat(sql.length)}^`);
});

test('--sql-version picks the dialect version; an unknown one exits 2', async () => {
  const sql = "SELECT VALUE 10.0 / 4 FROM 'device/+/devicePayload'";
  const v2 = await evalSql(sql, '{}');
  assert.equal(v2.stdout, '2\n', '2016-03-23 processes 10.0 as the Int 10');
  const v1 = await evalSql(sql, '{}', '--sql-version', '2015-10-08');
  assert.equal(v1.stdout, '2.5\n', '2015-10-08 keeps the literal 10.0 Decimal');
  const bad = await evalSql(sql, '{}', '--sql-version', '2017-01-01');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--sql-version: expected 2016-03-23 or 2015-10-08, got '2017-01-01'/);
});
