import { statementsOf } from './policy/index.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryStateStore } from '../state/index.js';
import { harness } from './certificates.test-support.js';
import { Registry } from './index.js';

const code = (expected: string) => (error: Error & { code?: string }) => {
  assert.equal(error.code, expected, error.message);
  return true;
};

const doc = (action: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Action: action, Resource: '*' }] });

test('things are stored with attributes and re-putting keeps createdAt', async () => {
  let now = 1_000;
  const registry = new Registry(createMemoryStateStore(), { now: () => now });
  const first = await registry.putThing('serverless-iot-backend-thing', { location: 'greenhouse' });
  now = 2_000;
  const second = await registry.putThing('serverless-iot-backend-thing', { location: 'field' });
  assert.equal(second.createdAt, first.createdAt);
  assert.equal(second.updatedAt, new Date(2_000).toISOString());
  assert.equal(second.thingArn, 'arn:sluice:iot:local:000000000000:thing/serverless-iot-backend-thing');
  assert.deepEqual((await registry.listThings()).map((t) => t.attributes), [{ location: 'field' }]);
  now = 3_000;
  assert.equal((await registry.putThing('serverless-iot-backend-thing', { location: 'field' })).updatedAt, second.updatedAt, 'unchanged');
  await assert.rejects(registry.putThing('bad name!'), /invalid thing name/);
  await assert.rejects(registry.putThing('t', { 'bad key': 'x' }), /attribute names/);
  await assert.rejects(registry.putThing('t', { k: 'x'.repeat(801) }), /attributes: k/);
});

test('things have an optional type, describeThing lists principals, and attribute changes are announced', async () => {
  const { registry, changes } = await harness();
  await registry.createThingType('Pump');
  await registry.putThing('pump-1', { site: 'north' }, { thingTypeName: 'Pump' });
  assert.deepEqual(changes, [], 'a new thing has nothing attached: no event');
  await registry.putThing('pump-1', { site: 'south' }, { thingTypeName: 'Pump' });
  assert.deepEqual(changes, [{ type: 'thing.updated', thingName: 'pump-1' }]);
  await registry.attachThingPrincipal('pump-1', 'token/abc123');
  const described = await registry.describeThing('pump-1');
  assert.equal(described?.thingTypeName, 'Pump');
  assert.deepEqual(described?.attributes, { site: 'south' });
  assert.deepEqual(described?.principals, [{ principal: 'token/abc123', thingPrincipalType: 'NON_EXCLUSIVE_THING' }]);
  assert.equal(await registry.describeThing('nope'), undefined);
  await assert.rejects(registry.putThing('pump-2', {}, { thingTypeName: 'bad type' }), /thingTypeName/);

  // AWS: a thing with principals cannot be deleted.
  await assert.rejects(registry.deleteThing('pump-1'), code('SLUICE_ERR_IN_USE'));
  await registry.detachThingPrincipal('pump-1', 'token/abc123');
  assert.equal(await registry.deleteThing('pump-1'), true);
  assert.equal(await registry.deleteThing('pump-1'), false);
  assert.deepEqual(changes.at(-1), { type: 'thing.deleted', thingName: 'pump-1' });
});

test('thing types: AWS shape, idempotent create, at most three searchable attributes', async () => {
  let now = 1_000;
  const registry = new Registry(createMemoryStateStore(), { now: () => now });
  const created = await registry.createThingType('SoilSensor', { thingTypeDescription: 'capacitive soil moisture', searchableAttributes: ['site', 'bed'] });
  assert.equal(created.thingTypeName, 'SoilSensor');
  assert.equal(created.thingTypeArn, 'arn:sluice:iot:local:000000000000:thingtype/SoilSensor');
  assert.match(created.thingTypeId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(created.thingTypeProperties, { thingTypeDescription: 'capacitive soil moisture', searchableAttributes: ['site', 'bed'] });
  assert.deepEqual(created.thingTypeMetadata, { deprecated: false, creationDate: new Date(1_000).toISOString() });
  assert.deepEqual(await registry.createThingType('SoilSensor', { thingTypeDescription: 'capacitive soil moisture', searchableAttributes: ['site', 'bed'] }), created, 'same properties: the existing type');
  await assert.rejects(registry.createThingType('SoilSensor', { thingTypeDescription: 'other' }), code('SLUICE_ERR_ALREADY_EXISTS'));
  await assert.rejects(registry.createThingType('T', { searchableAttributes: ['a', 'b', 'c', 'd'] }), /searchableAttributes: at most 3/);
  await assert.rejects(registry.createThingType('T', { searchableAttributes: ['a', 'a'] }), /must not repeat/);
  await assert.rejects(registry.createThingType('T', { thingTypeDescription: 'x'.repeat(2029) }), /thingTypeDescription: at most 2028/);
  await assert.rejects(registry.createThingType('bad type'), /invalid thing type name/);
  await assert.rejects(registry.createThingType('T', { colour: 'red' } as never), /colour/);

  now = 2_000;
  const updated = await registry.putThingType('SoilSensor', { thingTypeDescription: 'resistive' });
  assert.deepEqual(updated.thingTypeProperties, { thingTypeDescription: 'resistive', searchableAttributes: [] });
  assert.equal(updated.thingTypeId, created.thingTypeId);
  assert.equal(updated.thingTypeMetadata.creationDate, created.thingTypeMetadata.creationDate);
  assert.deepEqual((await registry.listThingTypes()).map((t) => t.thingTypeName), ['SoilSensor']);
  assert.equal(await registry.describeThingType('nope'), undefined);
  assert.equal(await registry.describeThingType('bad name!'), undefined);
});

test('thing types: a thing takes only an existing, non-deprecated type; delete needs deprecation and no things', async () => {
  let now = 1_000;
  const registry = new Registry(createMemoryStateStore(), { now: () => now });
  await assert.rejects(registry.putThing('s1', {}, { thingTypeName: 'SoilSensor' }), /thing 's1': thingTypeName: no thing type named 'SoilSensor'/);
  assert.equal(await registry.getThing('s1'), undefined, 'the refused thing was not stored');
  await registry.createThingType('SoilSensor');
  await registry.putThing('s1', { site: 'north' }, { thingTypeName: 'SoilSensor' });

  now = 5_000;
  const deprecated = await registry.deprecateThingType('SoilSensor');
  assert.deepEqual(deprecated.thingTypeMetadata, { deprecated: true, deprecationDate: new Date(5_000).toISOString(), creationDate: new Date(1_000).toISOString() });
  await assert.rejects(registry.putThing('s2', {}, { thingTypeName: 'SoilSensor' }), /thing type 'SoilSensor' is deprecated/);
  await registry.putThing('s1', { site: 'south' }, { thingTypeName: 'SoilSensor' });
  assert.equal((await registry.getThing('s1'))?.attributes['site'], 'south', 'a thing that has a deprecated type keeps it and can still be updated');

  await assert.rejects(registry.deleteThingType('SoilSensor'), /1 thing\(s\) still have it \(s1\)/);
  const undone = await registry.deprecateThingType('SoilSensor', { undoDeprecate: true });
  assert.deepEqual(undone.thingTypeMetadata, { deprecated: false, creationDate: new Date(1_000).toISOString() });
  await registry.putThing('s2', {}, { thingTypeName: 'SoilSensor' });
  await assert.rejects(registry.deleteThingType('SoilSensor'), /deprecate it first/);

  await registry.putThing('s1', { site: 'south' });
  await registry.deleteThing('s2');
  await registry.deprecateThingType('SoilSensor');
  assert.equal(await registry.deleteThingType('SoilSensor'), true);
  assert.equal(await registry.deleteThingType('SoilSensor'), false);
  await assert.rejects(registry.deprecateThingType('SoilSensor'), code('SLUICE_ERR_NOT_FOUND'));
});

test('listThings filters by type and by attribute, exact or by prefix', async () => {
  const registry = new Registry(createMemoryStateStore());
  await registry.createThingType('SoilSensor');
  await registry.putThing('s1', { site: 'north-1' }, { thingTypeName: 'SoilSensor' });
  await registry.putThing('s2', { site: 'north-2' });
  await registry.putThing('s3', { bed: '7' }, { thingTypeName: 'SoilSensor' });
  const names = async (options: Parameters<Registry['listThings']>[0]) => (await registry.listThings(options)).map((t) => t.thingName);
  assert.deepEqual(await names({ thingTypeName: 'SoilSensor' }), ['s1', 's3']);
  assert.deepEqual(await names({ attributeName: 'site' }), ['s1', 's2']);
  assert.deepEqual(await names({ attributeName: 'site', attributeValue: 'north-2' }), ['s2']);
  assert.deepEqual(await names({ attributeName: 'site', attributeValue: 'north', usePrefixAttributeValue: true }), ['s1', 's2']);
  assert.deepEqual(await names({ attributeName: 'site', attributeValue: 'north', usePrefixAttributeValue: true, thingTypeName: 'SoilSensor' }), ['s1']);
  assert.deepEqual(await names({ attributeName: 'constructor' }), [], 'only the thing\'s own attributes');
  await assert.rejects(registry.listThings({ attributeValue: 'x' }), /attributeValue needs attributeName/);
});

test('policies are validated and versioned only when the document changes', async () => {
  const registry = new Registry(createMemoryStateStore());
  const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] };
  const created = await registry.putPolicy('p', document);
  assert.equal(created.version, 1);
  assert.equal(created.defaultVersionId, '1');
  assert.equal(created.policyArn, 'arn:sluice:iot:local:000000000000:policy/p');
  assert.equal((await registry.putPolicy('p', document)).version, 1);
  const changed = { ...document, Statement: [{ Effect: 'Deny', Action: 'iot:Connect', Resource: '*' }] };
  assert.equal((await registry.putPolicy('p', changed)).version, 2);
  assert.deepEqual((await registry.getPolicy('p'))?.document, changed);
  await assert.rejects(registry.putPolicy('p', { Version: '2012-10-17', Statement: [{ Effect: 'Maybe' }] }), /document\.Statement\[0\]\.Effect/);
  const long = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `arn:aws:iot:*:*:topic/${'x'.repeat(2100)}` }] };
  await assert.rejects(registry.putPolicy('p', long), /at most 2048/);
  await assert.rejects(registry.putPolicy('bad name', document), /invalid policy name/);
  await assert.rejects(registry.createPolicy('p', document), code('SLUICE_ERR_ALREADY_EXISTS'));
});

/** Five distinct valid actions, one per version, so each version's document differs. */
const ACTIONS = ['iot:Connect', 'iot:Publish', 'iot:Subscribe', 'iot:Receive', 'iot:RetainPublish', 'iot:Publish*'];

test('policy versions: at most five, ids never reused, the default cannot be deleted', async () => {
  const { registry, changes } = await harness();
  await registry.createPolicy('fleet', doc('iot:Connect'));
  for (let n = 2; n <= 5; n++) {
    const version = await registry.createPolicyVersion('fleet', doc(ACTIONS[n - 1] ?? 'iot:Connect'));
    assert.equal(version.versionId, String(n));
    assert.equal(version.isDefaultVersion, false);
  }
  assert.deepEqual(changes, [], 'non-default versions change nothing operative');
  await assert.rejects(registry.createPolicyVersion('fleet', doc(ACTIONS[5] ?? 'iot:Publish*')), code('SLUICE_ERR_LIMIT_EXCEEDED'));
  assert.equal((await registry.getPolicy('fleet'))?.version, 1);

  const policy = await registry.setDefaultPolicyVersion('fleet', '3');
  assert.deepEqual([policy.version, policy.defaultVersionId, statementsOf(policy.document)[0]?.Action], [3, '3', ACTIONS[2]]);
  assert.deepEqual(changes, [{ type: 'policy.defaultVersionChanged', policyName: 'fleet', versionId: '3' }]);
  await assert.rejects(registry.deletePolicyVersion('fleet', 3), code('SLUICE_ERR_IN_USE'));
  await registry.deletePolicyVersion('fleet', '5');
  await assert.rejects(registry.deletePolicyVersion('fleet', '5'), code('SLUICE_ERR_NOT_FOUND'));
  await assert.rejects(registry.setDefaultPolicyVersion('fleet', '5'), code('SLUICE_ERR_NOT_FOUND'));
  await assert.rejects(registry.setDefaultPolicyVersion('fleet', 'latest'), code('SLUICE_ERR_REQUEST_INVALID'));

  const six = await registry.createPolicyVersion('fleet', doc(ACTIONS[5] ?? 'iot:Publish*'), { setAsDefault: true });
  assert.equal(six.versionId, '6', 'version 5 was deleted, but its id is not reused');
  assert.equal(six.isDefaultVersion, true);
  assert.deepEqual(
    (await registry.listPolicyVersions('fleet')).map((v) => [v.versionId, v.isDefaultVersion]),
    [
      ['6', true],
      ['4', false],
      ['3', false],
      ['2', false],
      ['1', false],
    ],
  );
  const version2 = await registry.getPolicyVersion('fleet', 2);
  assert.equal(version2 ? statementsOf(version2.document)[0]?.Action : undefined, ACTIONS[1]);
  assert.equal(await registry.getPolicyVersion('fleet', 9), undefined);

  // putPolicy (the stack's way) makes room by dropping the oldest non-default version.
  const put = await registry.putPolicy('fleet', doc('iot:Receive*'));
  assert.equal(put.version, 7);
  assert.deepEqual((await registry.listPolicyVersions('fleet')).map((v) => v.versionId), ['7', '6', '4', '3', '2']);
  await assert.rejects(registry.createPolicyVersion('nope', doc('iot:Connect')), code('SLUICE_ERR_NOT_FOUND'));
  await assert.rejects(registry.listPolicyVersions('nope'), code('SLUICE_ERR_NOT_FOUND'));

  // Deleting a policy with versions takes them along (a deviation from AWS, for stacks).
  assert.equal(await registry.deletePolicy('fleet'), true);
  assert.equal(await registry.getPolicy('fleet'), undefined);
  assert.deepEqual(changes.at(-1), { type: 'policy.deleted', policyName: 'fleet' });
});

test('policies stored before versions existed are read as their single version', async () => {
  const state = createMemoryStateStore();
  await state.collection('registry.policies').put('legacy', {
    policyName: 'legacy',
    document: doc('iot:Connect'),
    version: 3,
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-02-01T00:00:00.000Z',
  });
  const registry = new Registry(state);
  const policy = await registry.getPolicy('legacy');
  assert.deepEqual([policy?.version, policy?.defaultVersionId, policy?.updatedAt], [3, '3', '2024-02-01T00:00:00.000Z']);
  assert.equal((await registry.putPolicy('legacy', doc('iot:Publish'))).version, 4);
  assert.deepEqual((await registry.listPolicyVersions('legacy')).map((v) => v.versionId), ['4', '3']);
  assert.deepEqual((await registry.listPolicies()).map((p) => [p.policyName, p.version]), [['legacy', 4]]);
});
