import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, testFunctions } from './eval.test-support.js';

const message = { topic: 'things/myThings/thingOne', clientId: 'sensor-1', timestamp: 1481825251155 };

testFunctions(
  {
    accountid: [['accountid()', '000000000000']], // the account in Sluice's ARNs (src/core/arn.ts)
    clientid: [['clientid()', 'sensor-1']],
    get_mqtt_property: [["get_mqtt_property('content_type')", undefined]], // MQTT 3.1.1 messages have none
    get_user_properties: [["get_user_properties('k')", undefined]],
    principal: [['principal()', undefined]], // an anonymous publisher
    sourceip: [['sourceip()', undefined]],
    sql_version: [['sql_version()', '2016-03-23']], // #iot-sql-function-sql-version
    timestamp: [['timestamp()', 1481825251155]],
    topic: [
      ['topic()', 'things/myThings/thingOne'], // #iot-function-topic
      ['topic(1)', 'things'], // #iot-function-topic
      ['topic(3)', 'thingOne'],
      ['topic(2.0)', 'myThings'],
      ["topic('2')", 'myThings'],
      ['topic(4)', undefined],
      ['topic(0)', undefined],
      ['topic(t)', undefined],
    ],
    traceid: [['traceid()', undefined]],
  },
  { message },
);

test('principal(), sourceip() and traceid() read the message', () => {
  const full = {
    ...message,
    principal: 'ba67293af50bf2506f5f93469686da660c7c844e7b3950bfb16813e0d31e9373', // #iot-sql-function-principal
    sourceIp: '192.0.2.7',
    traceId: '12345678-1234-1234-1234-123456789012', // #iot-sql-function-traceid
  };
  assert.equal(evaluate('principal()', { message: full }), full.principal);
  assert.equal(evaluate('sourceip()', { message: full }), '192.0.2.7');
  assert.equal(evaluate('traceid()', { message: full }), full.traceId);
});

test('sql_version() is the rule’s version', () => {
  assert.equal(evaluate('sql_version()', { sqlVersion: '2015-10-08' }), '2015-10-08');
});

test('newuuid() gives a fresh v4 UUID each time (#iot-sql-function-newuuid)', () => {
  const a = evaluate('newuuid()');
  const b = evaluate('newuuid()');
  assert.match(String(a), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(a, b);
});
