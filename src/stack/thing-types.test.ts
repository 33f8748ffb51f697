/** Stack thing types: the schema, references from things, plan order on create and delete, redeploys, updates, ownership, restore. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError, silentLogger } from '../core/index.js';
import { createMemoryStateStore } from '../state/index.js';
import { formatPlan, parseStack, StackService, type StackDeployRequest } from './index.js';
import { recordingTarget } from './test-helpers.js';

/** Line 2: thingTypes:, line 3: SoilSensor:, ... things start at line 6. */
const BASE = [
  'stack: greenhouse',
  'thingTypes:',
  '  SoilSensor:',
  '    description: Capacitive soil-moisture sensor',
  '    searchableAttributes: [site, bed]',
  'things:',
  '  soilSensor1:',
  '    thingTypeName: SoilSensor',
  '    attributes: { site: north }',
  '  gateway: {}',
];

function request(source: string | string[], fileName = 'stacks/greenhouse.yaml'): StackDeployRequest {
  return { fileName, source: Array.isArray(source) ? source.join('\n') : source, params: {}, functions: {} };
}

function setup() {
  const target = recordingTarget();
  const state = createMemoryStateStore();
  const service = new StackService({ state, target, logger: silentLogger() });
  return { target, state, service };
}

function failure(run: () => unknown): SluiceError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof SluiceError, String(error));
    return error;
  }
  assert.fail('expected an error');
}

function steps(plan: ReadonlyArray<{ action: string; kind: string; name: string }>): string[] {
  return plan.filter((s) => s.action !== 'unchanged').map((s) => `${s.action} ${s.kind} ${s.name}`);
}

test('a thing type has a description and up to three searchable attributes; a bare entry has neither', () => {
  const source = [...BASE.slice(0, 5), '  Gateway:', '  Relay: {}', ...BASE.slice(5)].join('\n');
  const stack = parseStack({ fileName: 'g.yaml', source }, {});
  assert.deepEqual(stack.thingTypes, {
    SoilSensor: { description: 'Capacitive soil-moisture sensor', searchableAttributes: ['site', 'bed'] },
    Gateway: { searchableAttributes: [] },
    Relay: { searchableAttributes: [] },
  });
  assert.deepEqual(stack.things.soilSensor1, { attributes: { site: 'north' }, thingTypeName: 'SoilSensor' });
  assert.deepEqual(stack.externalReferences, []);
  // An empty section (common while editing) declares none.
  assert.deepEqual(parseStack({ fileName: 'g.yaml', source: 'stack: g\nthingTypes:\n' }, {}).thingTypes, {});
});

test('thing type mistakes point at the line and field', () => {
  const table: Array<{ source: string[]; line: number; field: string; message: RegExp; code?: string }> = [
    {
      source: ['stack: s', 'thingTypes:', '  T:', '    searchableAttributes: [a, b, c, d]'],
      line: 4,
      field: 'thingTypes.T.searchableAttributes',
      message: /at most 3 searchable attributes/,
    },
    { source: ['stack: s', 'thingTypes:', '  T:', '    searchableAttributes: [a, a]'], line: 4, field: 'thingTypes.T.searchableAttributes', message: /must not repeat/ },
    { source: ['stack: s', 'thingTypes:', '  T:', '    searchableAttributes: [a b]'], line: 4, field: 'thingTypes.T.searchableAttributes[0]', message: /attribute names/ },
    { source: ['stack: s', 'thingTypes:', '  T:', '    descripton: x'], line: 4, field: 'thingTypes.T.descripton', message: /did you mean 'description'/ },
    { source: ['stack: s', 'thingTypes:', '  T:', `    description: ${'d'.repeat(2029)}`], line: 4, field: 'thingTypes.T.description', message: /at most 2028 characters/ },
    { source: ['stack: s', 'thingTypes:', '  bad/name: {}'], line: 3, field: 'thingTypes.bad/name', message: /thing type names are 1-128 characters/ },
    { source: ['stack: s', 'thingTypes:', `  ${'t'.repeat(129)}: {}`], line: 3, field: `thingTypes.${'t'.repeat(129)}`, message: /thing type names/ },
    { source: ['stack: s', 'thingTypes: [T]'], line: 2, field: 'thingTypes', message: /expected/ },
    { source: ['stack: s', 'things:', '  t1:', '    thingTypeName: "a b"'], line: 4, field: 'things.t1.thingTypeName', message: /thing type names/ },
    // A thing's type must be declared (or deployed: see below), with a suggestion for a typo.
    {
      source: [...BASE.slice(0, 7), '    thingTypeName: SoilSenser'],
      line: 8,
      field: 'things.soilSensor1.thingTypeName',
      message: /unknown thing type 'SoilSenser': not defined in this stack nor deployed \(did you mean 'SoilSensor'\?\)/,
      code: 'SLUICE_ERR_STACK_REFERENCE',
    },
    { source: ['stack: s', 'things:', '  t1:', '    thingTypeName: Ghost'], line: 4, field: 'things.t1.thingTypeName', message: /unknown thing type 'Ghost'/, code: 'SLUICE_ERR_STACK_REFERENCE' },
  ];
  for (const row of table) {
    const error = failure(() => parseStack({ fileName: 'stacks/s.yaml', source: row.source.join('\n') }, {}));
    assert.equal(error.code, row.code ?? 'SLUICE_ERR_STACK_INVALID', `${row.field}: ${error.message}`);
    assert.equal(error.place?.file, 'stacks/s.yaml');
    assert.equal(error.place?.line, row.line, `${row.field}: ${error.message}`);
    assert.equal(error.place?.field, row.field);
    assert.match(error.message, row.message);
    assert.doesNotMatch(error.toString(), /\n/, 'one line');
  }
});

test('a thing may have a type another stack (or the API) made: a predicate accepts it, defer lists it for the server', () => {
  const source = ['stack: s', 'things:', '  t1:', '    thingTypeName: Shared'].join('\n');
  parseStack({ fileName: 's.yaml', source }, {}, { externalResources: (kind, name) => kind === 'thingType' && name === 'Shared' });
  const deferred = parseStack({ fileName: 's.yaml', source }, {}, { externalResources: 'defer' });
  assert.deepEqual(deferred.externalReferences, [
    { kind: 'thingType', name: 'Shared', place: { file: 's.yaml', line: 4, column: 20, field: 'things.t1.thingTypeName' } },
  ]);
});

test('the server checks a thing type the stack does not declare through the target', async () => {
  const { target, service } = setup();
  const source = ['stack: uses-shared', 'things:', '  t1:', '    thingTypeName: Shared'];
  await assert.rejects(service.deploy(request(source, 'u.yaml')), (error: unknown) => {
    assert.ok(error instanceof SluiceError);
    assert.equal(error.code, 'SLUICE_ERR_STACK_REFERENCE');
    assert.match(error.message, /unknown thing type 'Shared'/);
    assert.deepEqual(error.place, { file: 'u.yaml', line: 4, column: 20, field: 'things.t1.thingTypeName' });
    return true;
  });
  assert.deepEqual(target.calls, []);
  target.existing.add('thingType:Shared');
  const result = await service.deploy(request(source, 'u.yaml'));
  assert.equal(result.applied, true);
  assert.deepEqual(target.calls, ['putThing t1 type=Shared']);
});

test('types are created before things, and deleted after them (destroy too)', async () => {
  const { target, service } = setup();
  const first = await service.deploy(request(BASE));
  assert.deepEqual(steps(first.plan), ['create thingType SoilSensor', 'create thing soilSensor1', 'create thing gateway']);
  assert.deepEqual(target.calls, ['putThingType SoilSensor "Capacitive soil-moisture sensor" [site,bed]', 'putThing soilSensor1 type=SoilSensor', 'putThing gateway']);
  assert.match(formatPlan(first), /^\+ create +thingType +SoilSensor$/m);

  // Removing the type and its thing: the thing goes first.
  target.calls.length = 0;
  const removed = await service.deploy(request(['stack: greenhouse', 'things:', '  gateway: {}']));
  assert.deepEqual(steps(removed.plan), ['delete thing soilSensor1', 'delete thingType SoilSensor']);
  assert.deepEqual(target.calls, ['deleteThing soilSensor1', 'deleteThingType SoilSensor']);

  target.calls.length = 0;
  await service.deploy(request(BASE));
  target.calls.length = 0;
  const destroyed = await service.destroy('greenhouse');
  assert.deepEqual(steps(destroyed.plan), ['delete thing gateway', 'delete thing soilSensor1', 'delete thingType SoilSensor']);
  assert.deepEqual(target.calls, ['deleteThing gateway', 'deleteThing soilSensor1', 'deleteThingType SoilSensor']);
});

test('a thing moving to a new type is updated before its old type is deleted', async () => {
  const { target, service } = setup();
  await service.deploy(request(BASE));
  target.calls.length = 0;
  const moved = ['stack: greenhouse', 'thingTypes:', '  SoilSensorV2: {}', 'things:', '  soilSensor1:', '    thingTypeName: SoilSensorV2', '    attributes: { site: north }', '  gateway: {}'];
  const result = await service.deploy(request(moved));
  assert.deepEqual(steps(result.plan), ['create thingType SoilSensorV2', 'update thing soilSensor1', 'delete thingType SoilSensor']);
  assert.deepEqual(target.calls, ['putThingType SoilSensorV2', 'putThing soilSensor1 type=SoilSensorV2', 'deleteThingType SoilSensor']);
  const record = await service.get('greenhouse');
  assert.deepEqual(record?.resources.map((r) => `${r.kind} ${r.name}`), ['thingType SoilSensorV2', 'thing soilSensor1', 'thing gateway']);
});

test('deploying the same file twice changes nothing; a new description is an update of the type alone', async () => {
  const { target, service } = setup();
  await service.deploy(request(BASE));
  target.calls.length = 0;
  const again = await service.deploy(request(BASE));
  assert.equal(again.applied, false);
  assert.ok(again.plan.every((s) => s.action === 'unchanged'));
  assert.deepEqual(target.calls, []);

  // `searchableAttributes: []` is the same as leaving it out.
  const bare = ['stack: bare', 'thingTypes:', '  T: {}'];
  await service.deploy(request(bare, 'b.yaml'));
  target.calls.length = 0;
  const same = await service.deploy(request(['stack: bare', 'thingTypes:', '  T:', '    searchableAttributes: []'], 'b.yaml'));
  assert.equal(same.applied, false);
  assert.deepEqual(target.calls, []);

  const described = BASE.map((line) => line.replace('Capacitive soil-moisture sensor', 'Resistive soil-moisture sensor'));
  const updated = await service.deploy(request(described));
  assert.deepEqual(steps(updated.plan), ['update thingType SoilSensor']);
  assert.deepEqual(target.calls, ['putThingType SoilSensor "Resistive soil-moisture sensor" [site,bed]']);
});

test('a thing type owned by another stack is refused, pointing at its declaration', async () => {
  const { target, service } = setup();
  await service.deploy(request(BASE));
  const thief = ['stack: thief', 'thingTypes:', '  Mine: {}', '  SoilSensor:', '    description: mine now'];
  await assert.rejects(service.deploy(request(thief, 't.yaml')), (error: unknown) => {
    assert.ok(error instanceof SluiceError);
    assert.equal(error.code, 'SLUICE_ERR_STACK_INVALID');
    assert.match(error.message, /thing type 'SoilSensor' belongs to stack 'greenhouse'/);
    assert.deepEqual(error.place, { file: 't.yaml', line: 4, column: 3, field: 'thingTypes.SoilSensor' });
    return true;
  });
  // Using it is fine: that is a reference, not a declaration (the recording target knows only what it is told exists).
  target.existing.add('thingType:SoilSensor');
  const user = ['stack: user', 'things:', '  soilSensor9:', '    thingTypeName: SoilSensor'];
  assert.equal((await service.deploy(request(user, 'u.yaml'))).applied, true);
});

test('a thing may not keep a type this very deploy removes from the stack', async () => {
  const { target, service } = setup();
  await service.deploy(request(BASE));
  target.calls.length = 0;
  // The type is still in the target (deployed by this stack), but the deploy would delete it.
  target.existing.add('thingType:SoilSensor');
  const dropped = ['stack: greenhouse', 'things:', '  soilSensor1:', '    thingTypeName: SoilSensor', '    attributes: { site: north }', '  gateway: {}'];
  await assert.rejects(service.deploy(request(dropped)), (error: unknown) => {
    assert.ok(error instanceof SluiceError);
    assert.equal(error.code, 'SLUICE_ERR_STACK_REFERENCE');
    assert.match(error.message, /thing type 'SoilSensor' is no longer declared under 'thingTypes'/);
    assert.equal(error.place?.line, 4);
    assert.equal(error.place?.field, 'things.soilSensor1.thingTypeName');
    return true;
  });
  assert.deepEqual(target.calls, []);
});

test('restore replays thing types before the things that have them', async () => {
  const { state, service } = setup();
  await service.deploy(request(BASE));
  const restarted = recordingTarget();
  await new StackService({ state, target: restarted, logger: silentLogger() }).restore();
  assert.deepEqual(restarted.calls, ['putThingType SoilSensor "Capacitive soil-moisture sensor" [site,bed]', 'putThing soilSensor1 type=SoilSensor', 'putThing gateway']);
});

test('a failed type delete is recorded as not done, and the next deploy tries again', async () => {
  const { target, service } = setup();
  await service.deploy(request(BASE));
  target.calls.length = 0;
  target.failOn.add('deleteThingType SoilSensor');
  const removed = ['stack: greenhouse', 'things:', '  gateway: {}'];
  await assert.rejects(service.deploy(request(removed)), /injected failure/);
  assert.deepEqual((await service.get('greenhouse'))?.resources.map((r) => `${r.kind} ${r.name}`).sort(), ['thing gateway', 'thingType SoilSensor']);
  target.calls.length = 0;
  const retry = await service.deploy(request(removed));
  assert.deepEqual(steps(retry.plan), ['delete thingType SoilSensor']);
  assert.deepEqual(target.calls, ['deleteThingType SoilSensor']);
});
