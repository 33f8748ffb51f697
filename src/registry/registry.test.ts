import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryStateStore } from '../state/index.js';
import { Registry } from './index.js';

test('things are stored with attributes and re-putting keeps createdAt', async () => {
  let now = 1_000;
  const registry = new Registry(createMemoryStateStore(), { now: () => now });
  const first = await registry.putThing('serverless-iot-backend-thing', { location: 'greenhouse' });
  now = 2_000;
  const second = await registry.putThing('serverless-iot-backend-thing', { location: 'field' });
  assert.equal(second.createdAt, first.createdAt);
  assert.deepEqual((await registry.listThings()).map((t) => t.attributes), [{ location: 'field' }]);
  await assert.rejects(registry.putThing('bad name!'), /invalid thing name/);
});

test('policies are validated and versioned only when the document changes', async () => {
  const registry = new Registry(createMemoryStateStore());
  const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] };
  assert.equal((await registry.putPolicy('p', document)).version, 1);
  assert.equal((await registry.putPolicy('p', document)).version, 1);
  const changed = { ...document, Statement: [{ Effect: 'Deny', Action: 'iot:Connect', Resource: '*' }] };
  assert.equal((await registry.putPolicy('p', changed)).version, 2);
  await assert.rejects(registry.putPolicy('p', { Version: '2012-10-17', Statement: [{ Effect: 'Maybe' }] }), /document\.Statement\.0\.Effect/);
});
