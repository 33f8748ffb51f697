import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceNames, deviceTopic, soilReading } from './payload.js';

test('readings have the reference shape and humidity spans 20..45 inclusive', () => {
  assert.equal(soilReading('soilSensor1', 0, () => 0).humidity, 20);
  assert.equal(soilReading('soilSensor1', 0, () => 0.999999).humidity, 45);
  const reading = soilReading('soilSensor3', 1598536072677, () => 0.35);
  assert.deepEqual(Object.keys(reading), ['name', 'humidity', 'timeStampEpoch', 'timeStampIso']);
  assert.equal(reading.timeStampIso, '2020-08-27T13:47:52.677Z');
  assert.ok(Number.isInteger(reading.humidity));
});

test('device names and topics follow the reference', () => {
  assert.deepEqual(deviceNames('soilSensor', 3), ['soilSensor1', 'soilSensor2', 'soilSensor3']);
  assert.equal(deviceTopic('device/${name}/devicePayload', 'soilSensor2'), 'device/soilSensor2/devicePayload');
});
