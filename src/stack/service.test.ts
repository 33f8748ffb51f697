import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError, silentLogger } from '../core/index.js';
import { createMemoryStateStore } from '../state/index.js';
import { formatPlan, StackService, type StackDeployRequest } from './index.js';
import { recordingTarget } from './test-helpers.js';

const FIXTURE = 'src/stack/fixtures/minimal.yaml';
const SOURCE = readFileSync(FIXTURE, 'utf8');

function setup() {
  const target = recordingTarget();
  const state = createMemoryStateStore();
  const service = new StackService({ state, target, logger: silentLogger(), clock: { now: () => Date.UTC(2024, 0, 1) } });
  return { target, state, service };
}

function request(overrides: Partial<StackDeployRequest> = {}): StackDeployRequest {
  return { fileName: FIXTURE, source: SOURCE, params: {}, functions: { alert: { code: 'export const handler = () => 1;' } }, ...overrides };
}

/** What deploying (or restoring) the fixture does to an empty target, in dependency order. */
const CREATE_ALL_IN_ORDER = [
  'putBucket archive-bucket',
  'putTopic alerts',
  'putSubscription alerts email:ops@example.com',
  'putFunction alert export const handler = () => 1;',
  'putPolicy sensor-policy',
  'putThing sensor-thing',
  'putRule Archive',
  'putRule Alert',
];

test('first deploy creates everything in dependency order and records the stack', async () => {
  const { target, service } = setup();
  const result = await service.deploy(request());
  assert.equal(result.applied, true);
  assert.ok(result.plan.every((s) => s.action === 'create'));
  assert.deepEqual(target.calls, CREATE_ALL_IN_ORDER);
  const record = await service.get('fixture-minimal');
  assert.equal(record?.deployedAt, '2024-01-01T00:00:00.000Z');
  assert.equal(record?.resources.length, 8);
  const fn = record?.resources.find((r) => r.kind === 'function');
  assert.ok(fn && 'code' in fn.spec, 'the record keeps the code, so a restarted server can bring the function back');
  assert.deepEqual(await service.list(), [
    { name: 'fixture-minimal', fileName: FIXTURE, deployedAt: '2024-01-01T00:00:00.000Z', resourceCount: 8, simulator: false },
  ]);
  assert.match(formatPlan(result), /^\+ create +bucket +archive-bucket$/m);
  assert.match(formatPlan(result), /8 to create, 0 to update, 0 to delete, 0 unchanged \(applied\)$/);
});

test('restore replays every deployed resource into a fresh target, function code included', async () => {
  const { state, service } = setup();
  await service.deploy(request());
  const target = recordingTarget();
  const restarted = new StackService({ state, target, logger: silentLogger() });
  await restarted.restore();
  assert.deepEqual(target.calls, CREATE_ALL_IN_ORDER);
});

test('deploying the same file twice changes nothing', async () => {
  const { target, service } = setup();
  await service.deploy(request());
  target.calls.length = 0;
  const again = await service.deploy(request());
  assert.equal(again.applied, false);
  assert.ok(again.plan.every((s) => s.action === 'unchanged'));
  assert.deepEqual(target.calls, []);
  assert.match(formatPlan(again), /8 unchanged \(nothing to do\)$/);
});

test('changes become updates, creates and deletes; deletes run first, rules first', async () => {
  const { target, service } = setup();
  await service.deploy(request());
  target.calls.length = 0;
  const changed = SOURCE.replace('WHERE humidity < 35', 'WHERE humidity < 30')
    .replace(/things:\n {2}sensor-thing: \{\}\n/, '')
    .replace('buckets:\n', 'buckets:\n  second-bucket: {}\n');
  const result = await service.deploy(request({ source: changed, params: { email: 'new@example.com' }, functions: { alert: { code: 'v2' } } }));
  const steps = result.plan.filter((s) => s.action !== 'unchanged').map((s) => `${s.action} ${s.kind} ${s.name}`);
  assert.deepEqual(steps, [
    'delete thing sensor-thing',
    'delete subscription alerts/email:ops@example.com',
    'create bucket second-bucket',
    'create subscription alerts/email:new@example.com',
    'update function alert',
    'update rule Alert',
  ]);
  assert.deepEqual(target.calls, [
    'deleteThing sensor-thing',
    'deleteSubscription alerts email:ops@example.com',
    'putBucket second-bucket',
    'putSubscription alerts email:new@example.com',
    'putFunction alert v2',
    'putRule Alert',
  ]);
});

test('dry run plans without applying or recording', async () => {
  const { target, service } = setup();
  const result = await service.deploy(request(), { dryRun: true });
  assert.equal(result.applied, false);
  assert.equal(result.plan.length, 8);
  assert.deepEqual(target.calls, []);
  assert.equal(await service.get('fixture-minimal'), undefined);
  assert.match(formatPlan(result), /dry run/);
});

test('a validation failure changes nothing', async () => {
  const { target, service } = setup();
  await service.deploy(request());
  target.calls.length = 0;
  const broken = SOURCE.replace("WHERE humidity < 35", 'WHERE humidity <');
  await assert.rejects(service.deploy(request({ source: broken })), { code: 'SLUICE_ERR_RULE_SQL_SYNTAX' });
  await assert.rejects(service.deploy(request({ functions: {} })), (error: unknown) => {
    assert.ok(error instanceof SluiceError);
    assert.equal(error.code, 'SLUICE_ERR_REQUEST_INVALID');
    assert.equal(error.place?.field, 'functions.alert.handler');
    return true;
  });
  assert.deepEqual(target.calls, []);
  assert.equal((await service.get('fixture-minimal'))?.resources.length, 8);
});

test('references to resources of other stacks are checked through the target', async () => {
  const { target, service } = setup();
  const source = ['stack: uses-shared', 'rules:', '  R:', "    sql: SELECT * FROM 'a/b'", '    actions:', '      - s3: { bucket: shared-bucket, key: k }'].join('\n');
  await assert.rejects(service.deploy({ fileName: 'u.yaml', source, params: {}, functions: {} }), (error: unknown) => {
    assert.ok(error instanceof SluiceError);
    assert.equal(error.code, 'SLUICE_ERR_STACK_REFERENCE');
    assert.deepEqual(error.place, { file: 'u.yaml', line: 6, column: 23, field: 'rules.R.actions[0].s3.bucket' });
    return true;
  });
  target.existing.add('bucket:shared-bucket');
  const result = await service.deploy({ fileName: 'u.yaml', source, params: {}, functions: {} });
  assert.equal(result.applied, true);
});

test('a resource owned by another stack is refused, pointing at its declaration', async () => {
  const { service } = setup();
  await service.deploy(request());
  const thief = ['stack: thief', 'buckets:', '  mine-bucket: {}', '  archive-bucket: {}'].join('\n');
  await assert.rejects(service.deploy({ fileName: 't.yaml', source: thief, params: {}, functions: {} }), (error: unknown) => {
    assert.ok(error instanceof SluiceError);
    assert.equal(error.code, 'SLUICE_ERR_STACK_INVALID');
    assert.deepEqual(error.place, { file: 't.yaml', line: 4, column: 3, field: 'buckets.archive-bucket' });
    assert.match(error.message, /belongs to stack 'fixture-minimal'/);
    return true;
  });
});

test('destroy refuses a non-empty bucket before deleting anything; --empty-buckets overrides', async () => {
  const { target, service } = setup();
  await service.deploy(request());
  target.calls.length = 0;
  target.objects.set('archive-bucket', 2);
  await assert.rejects(service.destroy('fixture-minimal'), (error: unknown) => {
    assert.ok(error instanceof SluiceError);
    assert.equal(error.code, 'SLUICE_ERR_BUCKET_NOT_EMPTY');
    assert.match(error.message, /archive-bucket.*--empty-buckets/);
    return true;
  });
  assert.deepEqual(target.calls, []);
  assert.ok(await service.get('fixture-minimal'));

  const result = await service.destroy('fixture-minimal', { emptyBuckets: true });
  assert.equal(result.applied, true);
  assert.deepEqual(target.calls, [
    'deleteRule Alert',
    'deleteRule Archive',
    'deleteThing sensor-thing',
    'deletePolicy sensor-policy',
    'deleteFunction alert',
    'deleteSubscription alerts email:ops@example.com',
    'deleteTopic alerts',
    'deleteBucket archive-bucket empty',
  ]);
  assert.equal(await service.get('fixture-minimal'), undefined);
  await assert.rejects(service.destroy('fixture-minimal'), { code: 'SLUICE_ERR_STACK_NOT_FOUND' });
});

test('a failure half way records what was applied, and the next deploy finishes the job', async () => {
  const { target, service } = setup();
  target.failOn.add('putThing sensor-thing');
  await assert.rejects(service.deploy(request()), /injected failure/);
  const partial = await service.get('fixture-minimal');
  assert.deepEqual(partial?.resources.map((r) => r.kind), ['bucket', 'topic', 'subscription', 'function', 'policy']);
  target.calls.length = 0;
  const result = await service.deploy(request());
  assert.deepEqual(target.calls, ['putThing sensor-thing', 'putRule Archive', 'putRule Alert']);
  assert.equal(result.plan.filter((s) => s.action === 'unchanged').length, 5);
});

test('the reference stack deploys, sets up its simulator, and destroys cleanly', async () => {
  const { target, service } = setup();
  const source = readFileSync('stacks/soil-moisture.yaml', 'utf8');
  const req = { fileName: 'stacks/soil-moisture.yaml', source, params: {}, functions: { 'humidity-alert': { code: 'x' } } };
  await service.deploy(req);
  assert.ok(target.calls.includes('setSimulator soil-moisture 3'));
  assert.deepEqual((await service.simulators()).map((s) => [s.stack, s.spec.devices]), [['soil-moisture', 3]]);
  target.calls.length = 0;
  assert.equal((await service.deploy(req)).applied, false);
  assert.deepEqual(target.calls, []);
  await service.destroy('soil-moisture');
  assert.equal(target.calls.at(-1), 'setSimulator soil-moisture off');
});
