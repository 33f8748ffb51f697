/**
 * The parts of the dialect that span parser and evaluator: SET variables,
 * nested queries, dotted aliases, Int/Decimal arithmetic, SQL versions,
 * binary payloads and aws_lambda(). The AWS reference examples themselves
 * are in test/sql-conformance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '../core/index.js';
import { compileRule, compileTemplate, decodeMessage, type RuleOptions } from './index.js';

function message(payload: unknown, topic = 'device/data') {
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return decodeMessage({ topic, payload: bytes, clientId: 'c1', timestamp: 1000 });
}

function output(sql: string, payload: unknown, options: RuleOptions = {}): unknown {
  const result = compileRule(sql, options).evaluate(message(payload));
  assert.ok(result.matched, `${sql} did not match`);
  return result.output.value;
}

function value(expression: string, options: RuleOptions = {}, payload: unknown = {}): unknown {
  return output(`SELECT VALUE ${expression} FROM 'device/data'`, payload, options);
}

test('SET variables: computed once per message, visible in SELECT, WHERE and later assignments', () => {
  const sql = "SET @c = (t - 32) * 5 / 9, @k = @c + 273 SELECT @c AS celsius, @k AS kelvin FROM 'device/data' WHERE @c > 20";
  assert.deepEqual(output(sql, { t: 75 }), { celsius: 23, kelvin: 296 });
  assert.equal(compileRule(sql).evaluate(message({ t: 50 })).matched, false);
  // One evaluation per message, however often the variable is read.
  const rule = compileRule("SET @id = newuuid() SELECT @id AS a, @id AS b FROM 'x'");
  const result = rule.evaluate(message({}));
  assert.ok(result.matched);
  const out = result.output.value as { a: string; b: string };
  assert.equal(out.a, out.b);
  assert.deepEqual(result.vars, [out.a]);
});

test('@var.prop reads into an object variable; an unaliased variable is keyed by its name', () => {
  const sql = "SET @s = device.sensors SELECT @s.temp AS temp, @s FROM 'device/data'";
  assert.deepEqual(output(sql, { device: { sensors: { temp: 75, humidity: 60 } } }), { temp: 75, s: { temp: 75, humidity: 60 } });
});

test('variables must be assigned before use; aliases are not visible in WHERE', () => {
  const cases: Array<[string, number, string]> = [
    ["SELECT @nope FROM 'a'", 8, 'variable @nope is not defined'],
    ["SET @a = @b, @b = 1 SELECT @a FROM 'a'", 10, 'variable @b is not defined'],
    ["SELECT temp AS t FROM 'a' WHERE t > 5", 33, "'t' is a SELECT alias, but WHERE sees the incoming payload"],
  ];
  for (const [sql, column, fragment] of cases) {
    assert.throws(
      () => compileRule(sql),
      (error: unknown) =>
        error instanceof SluiceError && error.code === 'SLUICE_ERR_RULE_SQL_INVALID' && error.place?.column === column && error.message.includes(fragment),
      sql,
    );
  }
  // Renaming nothing is fine: WHERE reads the same attribute.
  assert.deepEqual(output("SELECT temp AS temp FROM 'a' WHERE temp > 5", { temp: 6 }), { temp: 6 });
});

test('templates see SET variables (by the rule slot order) and the payload, never aliases', () => {
  const rule = compileRule("SET @room = concat(building, '-', room) SELECT temp AS t FROM 'device/data'");
  const msg = message({ building: 'b5', room: 201, temp: 21 });
  const result = rule.evaluate(msg);
  assert.ok(result.matched);
  const template = compileTemplate('rooms/${@room}/${topic(1)}/${t}', { variables: rule.variables });
  assert.equal(template.render(msg, result.vars), 'rooms/b5-201/device/');
  assert.throws(() => compileTemplate('${@other}', { variables: rule.variables }), (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_ERR_TEMPLATE_SYNTAX');
});

test('nested queries map and filter arrays, with the element as the payload', () => {
  const payload = {
    e: [
      { n: 'temperature', u: 'Cel', t: 1234, v: 22.5 },
      { n: 'light', u: 'lm', t: 1235, v: 135 },
      { n: 'acidity', u: 'pH', t: 1235, v: 7 },
    ],
  };
  assert.deepEqual(output("SELECT (SELECT VALUE n FROM e) AS sensors FROM 'my/topic'", payload), { sensors: ['temperature', 'light', 'acidity'] });
  assert.deepEqual(output("SELECT (SELECT v FROM e WHERE n = 'temperature') AS temperature FROM 'my/topic'", payload), { temperature: [{ v: 22.5 }] });
  assert.deepEqual(output("SELECT get((SELECT v FROM e WHERE n = 'temperature'), 0).v AS temperature FROM 'topic'", payload), { temperature: 22.5 });
  assert.deepEqual(output("SELECT (SELECT VALUE n FROM missing) AS x, (SELECT * FROM e WHERE v > 100) AS bright FROM 'a'", payload), {
    bright: [{ n: 'light', u: 'lm', t: 1235, v: 135 }],
  });
});

test('dotted aliases nest the output; * mixes with extra fields', () => {
  assert.deepEqual(output("SELECT foo.bar AS bar.baz, 1 AS bar.one FROM 'a'", { foo: { bar: 'RED' } }), { bar: { baz: 'RED', one: 1 } });
  assert.deepEqual(output("SELECT *, 15 AS speed FROM 'a'", { color: 'red', temperature: 50 }), { color: 'red', temperature: 50, speed: 15 });
});

test('Int and Decimal arithmetic follow the AWS operator tables', () => {
  const cases: Array<[string, unknown]> = [
    ['10 / 4', 2],
    ['-7 / 2', -3],
    ['-7 % 2', -1],
    ['10.5 / 4', 2.625],
    ['0.1 + 0.2', 0.3],
    ['1.1 * 3', 3.3],
    ['0.3 - 0.1', 0.2],
    ['1 / 0', undefined],
    ['5.5 % 2', 1.5],
    ["'10' / 4", 2.5],
    ["'10' - 3", 7],
    ["'a' + 1", 'a1'],
    ["1 + 'a'", '1a'],
    ["'x' + true", 'xtrue'],
    ["'x' + [1, 'b']", 'x[1,"b"]'],
    ["'x' + NULL", undefined],
    ['true + 1', undefined],
    ["' 5' + 1", ' 51'],
    ["' 5' - 1", undefined],
    ['(75 - 32) * 5 / 9', 23],
    // 2016-03-23 processes the whole number 5.0 as the Int 5 (AWS "Data types"), so this is Int arithmetic too.
    ['(75 - 32) * 5.0 / 9', 23],
    ['(75 - 32) / 1.8', 23.88888888888889],
  ];
  for (const [expression, expected] of cases) assert.deepEqual(value(`(${expression})`), expected, expression);
});

test('SQL 2015-10-08: decimal literals stay Decimal; 2016-only features are rejected at compile time', () => {
  const v1: RuleOptions = { sqlVersion: '2015-10-08' };
  assert.equal(value('(10.0 / 4)', v1), 2.5);
  assert.equal(value('(10.0 / 4)'), 2, '2016-03-23 processes 10.0 as the Int 10');
  assert.equal(value('sql_version()', v1), '2015-10-08');
  for (const [sql, fragment] of [
    ["SELECT [1] AS a FROM 'a'", 'array literals need sqlVersion 2016-03-23'],
    ["SELECT (SELECT VALUE n FROM e) AS a FROM 'a'", 'nested queries need sqlVersion 2016-03-23'],
    ["SELECT encode(*, 'base64') AS a FROM 'a'", 'encode() need'],
    ["SELECT cast(a AS Boolean) FROM 'a'", 'cast to Boolean need'],
  ] as const) {
    assert.throws(
      () => compileRule(sql, v1),
      (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_ERR_RULE_SQL_INVALID' && e.message.includes(fragment),
      sql,
    );
  }
});

test('binary payloads: encode(*) carries the raw bytes; fields read as Undefined', () => {
  const raw = Buffer.from([0x00, 0xff, 0x10, 0x80]);
  const result = compileRule("SELECT encode(*, 'base64') AS data, timestamp() AS ts FROM 'a'").evaluate(message(raw));
  assert.ok(result.matched);
  assert.deepEqual(result.output.value, { data: raw.toString('base64'), ts: 1000 });
  assert.equal(compileRule("SELECT * FROM 'a' WHERE device_type = 'thermostat'").evaluate(message(raw)).matched, false);
});

test('functions AWS-only are rejected at compile time with the reason, at the call', () => {
  assert.throws(
    () => compileRule("SELECT a,\n  get_dynamodb('t', 'k', 'v', 'r') AS d FROM 'a'"),
    (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_ERR_RULE_SQL_INVALID' && e.place?.line === 2 && e.place.column === 3 && /not supported by Sluice/.test(e.message),
  );
});

test('aws_lambda(): evaluateAsync runs each call once through the invoker; evaluate() says it needs the server', async () => {
  const rule = compileRule(
    "SELECT aws_lambda('arn:aws:lambda:us-east-1:123456789012:function:Enrich', {'n': name}).label AS label, aws_lambda('Count', 1) AS c FROM 'a'",
  );
  assert.equal(rule.invokesFunctions, true);
  const calls: Array<[string, unknown, number]> = [];
  const result = await rule.evaluateAsync(message({ name: 'soil' }), async (fn, payload, timeoutMs) => {
    calls.push([fn, payload, timeoutMs]);
    return fn === 'Enrich' ? { label: `label-${(payload as { n: string }).n}` } : 42;
  });
  assert.ok(result.matched);
  assert.deepEqual(result.output.value, { label: 'label-soil', c: 42 });
  assert.deepEqual(calls.sort(), [
    ['Count', 1, 2000],
    ['Enrich', { n: 'soil' }, 2000],
  ]);
  assert.throws(() => rule.evaluate(message({ name: 'x' })), (e: unknown) => e instanceof SluiceError && /needs the server/.test(e.message));
  await assert.rejects(
    rule.evaluateAsync(message({ name: 'x' }), () => Promise.reject(new Error('boom'))),
    /boom/,
  );
});
