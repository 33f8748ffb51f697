/** The real stack target's thing types, against a real registry: create, update, deprecate-then-delete, and what the registry refuses. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../core/index.js';
import { Registry } from '../registry/index.js';
import { StackService, type StackDeployRequest } from '../stack/index.js';
import { createMemoryStateStore } from '../state/index.js';
import { createStackTarget, type StackTargetDeps } from './stack-target.js';

const STACK = [
  'stack: greenhouse',
  'thingTypes:',
  '  SoilSensor:',
  '    description: Capacitive soil-moisture sensor',
  '    searchableAttributes: [site, bed]',
  'things:',
  '  soilSensor1:',
  '    thingTypeName: SoilSensor',
  '    attributes: { site: north }',
];

function request(lines: string[]): StackDeployRequest {
  return { fileName: 'stacks/greenhouse.yaml', source: lines.join('\n'), params: {}, functions: {} };
}

/** A registry whose thing type writes are logged; the capabilities a thing-only stack never touches are left out. */
function setup() {
  const registry = new Registry(createMemoryStateStore());
  const calls: string[] = [];
  for (const method of ['putThingType', 'deprecateThingType', 'deleteThingType'] as const) {
    const original = registry[method].bind(registry) as (...args: unknown[]) => Promise<unknown>;
    (registry as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      calls.push(`${method} ${String(args[0])}${method === 'deprecateThingType' && args[1] ? ` ${JSON.stringify(args[1])}` : ''}`);
      return original(...args);
    };
  }
  const unused = {} as never;
  const deps: StackTargetDeps = { objects: unused, notify: unused, functions: unused, rules: unused, registry, simulators: new Map() };
  const service = new StackService({ state: createMemoryStateStore(), target: createStackTarget(deps), logger: silentLogger() });
  return { registry, calls, service };
}

test('a stack thing type reaches the registry, is updated in place, and goes by deprecation then deletion', async () => {
  const { registry, calls, service } = setup();
  await service.deploy(request(STACK));
  const created = await registry.describeThingType('SoilSensor');
  assert.deepEqual(created?.thingTypeProperties, { thingTypeDescription: 'Capacitive soil-moisture sensor', searchableAttributes: ['site', 'bed'] });
  assert.equal(created?.thingTypeMetadata.deprecated, false);
  assert.equal((await registry.getThing('soilSensor1'))?.thingTypeName, 'SoilSensor');

  await service.deploy(request(STACK.map((l) => l.replace('Capacitive', 'Resistive'))));
  const updated = await registry.describeThingType('SoilSensor');
  assert.equal(updated?.thingTypeProperties.thingTypeDescription, 'Resistive soil-moisture sensor');
  assert.equal(updated?.thingTypeId, created?.thingTypeId, 'the same type, updated');

  calls.length = 0;
  await service.destroy('greenhouse');
  assert.deepEqual(calls, ['deprecateThingType SoilSensor', 'deleteThingType SoilSensor']);
  assert.equal(await registry.describeThingType('SoilSensor'), undefined);
  assert.equal(await registry.getThing('soilSensor1'), undefined);
});

test('a type another thing still has is not deleted, and is left undeprecated; the stack keeps it', async () => {
  const { registry, calls, service } = setup();
  await service.deploy(request(STACK));
  await registry.putThing('hand-made', {}, { thingTypeName: 'SoilSensor' });
  calls.length = 0;
  await assert.rejects(service.destroy('greenhouse'), { code: 'SLUICE_ERR_IN_USE' });
  assert.deepEqual(calls, ['deprecateThingType SoilSensor', 'deleteThingType SoilSensor', 'deprecateThingType SoilSensor {"undoDeprecate":true}']);
  assert.equal((await registry.describeThingType('SoilSensor'))?.thingTypeMetadata.deprecated, false);
  assert.deepEqual((await service.get('greenhouse'))?.resources.map((r) => `${r.kind} ${r.name}`), ['thingType SoilSensor']);

  // Once the other thing is gone, destroying again finishes the job.
  await registry.deleteThing('hand-made');
  await service.destroy('greenhouse');
  assert.equal(await registry.describeThingType('SoilSensor'), undefined);
});

test('a thing may have a type made through the API; a type gone already is no error on delete', async () => {
  const { registry, service } = setup();
  await registry.putThingType('Shared', {});
  const user = ['stack: user', 'things:', '  t1:', '    thingTypeName: Shared'];
  await service.deploy(request(user));
  assert.equal((await registry.getThing('t1'))?.thingTypeName, 'Shared');

  // Deleted by hand behind the stack's back: destroy still finishes.
  await service.deploy(request(STACK));
  await registry.deleteThing('soilSensor1');
  await registry.deprecateThingType('SoilSensor');
  await registry.deleteThingType('SoilSensor');
  await service.destroy('greenhouse');
  assert.equal(await service.get('greenhouse'), undefined);
});
