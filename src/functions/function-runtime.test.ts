import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError, functionArn } from '../core/index.js';
import { fixture, setup } from './test-helpers.js';
import type { InvocationResult } from './types.js';

interface EchoValue {
  greeting: string;
  invocations: number;
  context: Record<string, unknown>;
  env: Record<string, string>;
}

function okValue<T>(result: InvocationResult): T {
  assert.ok(result.ok, `expected success, got ${JSON.stringify(result)}`);
  return result.value as T;
}

function failure(result: InvocationResult) {
  assert.ok(!result.ok, `expected failure, got ${JSON.stringify(result)}`);
  return result.error;
}

test('invoke returns the handler value, the context and the logs; warm workers are reused', async (t) => {
  const { runtime } = await setup(t);
  await runtime.deploy(await fixture('echo.ts', { memorySizeMb: 64 }));
  const first = await runtime.invoke('echo', { name: 'soilSensor1' }, { requestId: 'req-1' });
  const value = okValue<EchoValue>(first);
  assert.equal(value.greeting, 'Hello, soilSensor1');
  assert.equal(first.requestId, 'req-1');
  assert.deepEqual(first.logs, ['greeting soilSensor1', 'to stderr']);
  const [summary] = runtime.list();
  assert.deepEqual(
    { ...value.context, remaining: typeof value.context.remaining },
    {
      functionName: 'echo',
      functionVersion: summary?.version,
      awsRequestId: 'req-1',
      invokedFunctionArn: functionArn('echo'),
      memoryLimitInMB: '64',
      remaining: 'number',
    },
  );
  const second = okValue<EchoValue>(await runtime.invoke('echo', { name: 'x' }));
  assert.equal(second.invocations, 2, 'the second invocation ran in the same warm worker');
});

test('JavaScript handlers in callback style work', async (t) => {
  const { runtime } = await setup(t);
  await runtime.deploy(await fixture('callback.js', { name: 'callback' }));
  assert.deepEqual(okValue(await runtime.invoke('callback', { n: 21 })), { doubled: 42 });
  assert.equal(failure(await runtime.invoke('callback', { fail: true })).message, 'callback failure');
});

test('a function sees only its own environment and the AWS-like variables', async (t) => {
  const { runtime } = await setup(t);
  await runtime.deploy(await fixture('echo.ts', { name: 'a', environment: { alert_sns: 'topic-a' } }));
  await runtime.deploy(await fixture('echo.ts', { name: 'b', environment: { ONLY_B: 'b' } }));
  const a = okValue<EchoValue>(await runtime.invoke('a', { name: 'n' })).env;
  const b = okValue<EchoValue>(await runtime.invoke('b', { name: 'n' })).env;
  assert.equal(a.alert_sns, 'topic-a');
  assert.equal(a.ONLY_B, undefined);
  assert.equal(b.alert_sns, undefined);
  assert.equal(a.AWS_LAMBDA_FUNCTION_NAME, 'a');
  assert.equal(a.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, '128');
  // Nothing of the server's own environment leaks in: no HOME, PATH, tokens.
  const expected = ['AWS_DEFAULT_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_REGION'];
  assert.deepEqual(Object.keys(a).sort(), [...expected, 'alert_sns'].sort());
  assert.equal(a.HOME, undefined);
  assert.equal(a.PATH, undefined);
});

test('a thrown error is a result with type, message and a stack into the source', async (t) => {
  const { runtime } = await setup(t);
  await runtime.deploy(await fixture('faulty.ts'));
  const error = failure(await runtime.invoke('faulty', { mode: 'throw' }));
  assert.equal(error.type, 'ValidationError');
  assert.equal(error.message, 'humidity is not a number');
  assert.match(error.stack ?? '', /faulty\.ts:\d+/);
  const thrownString = failure(await runtime.invoke('faulty', { mode: 'throw-string' }));
  assert.deepEqual(thrownString, { type: 'Error', message: 'plain string' });
});

test('a timeout fails that invocation only; the next one works', async (t) => {
  const { runtime } = await setup(t);
  await runtime.deploy(await fixture('faulty.ts', { timeoutMs: 200 }));
  const error = failure(await runtime.invoke('faulty', { mode: 'hang' }));
  assert.deepEqual(error, { type: 'TimeoutError', message: 'Task timed out after 0.20 seconds' });
  assert.equal(okValue(await runtime.invoke('faulty', { mode: 'ok' })), 'fine');
});

test('a busy loop is stopped at its timeout, and the next invocation works', async (t) => {
  const { runtime } = await setup(t);
  await runtime.deploy(await fixture('faulty.ts', { timeoutMs: 300 }));
  const error = failure(await runtime.invoke('faulty', { mode: 'busy' }));
  assert.deepEqual(error, { type: 'TimeoutError', message: 'Task timed out after 0.30 seconds' });
  assert.equal(okValue(await runtime.invoke('faulty', { mode: 'ok' })), 'fine');
});

test('a function that runs out of memory fails alone: Runtime.OutOfMemory, while another invocation finishes and the next one works', async (t) => {
  const { runtime } = await setup(t);
  await runtime.deploy(await fixture('faulty.ts', { memorySizeMb: 64, timeoutMs: 60_000 }));
  const [oom, concurrent] = await Promise.all([runtime.invoke('faulty', { mode: 'oom' }), runtime.invoke('faulty', { mode: 'slow' })]);
  assert.equal(failure(oom).type, 'Runtime.OutOfMemory');
  assert.equal(okValue(concurrent), 'slow but fine');
  assert.equal(okValue(await runtime.invoke('faulty', { mode: 'ok' })), 'fine');
});

test('process.exit, uncaught exceptions and unhandled rejections fail only their invocation', async (t) => {
  const { runtime } = await setup(t);
  await runtime.deploy(await fixture('faulty.ts'));
  const [exited, concurrent] = await Promise.all([
    runtime.invoke('faulty', { mode: 'exit' }),
    runtime.invoke('faulty', { mode: 'slow' }),
  ]);
  assert.deepEqual(failure(exited), { type: 'Runtime.ExitError', message: 'Runtime exited with error: exit status 1' });
  assert.equal(okValue(concurrent), 'slow but fine');

  const uncaught = failure(await runtime.invoke('faulty', { mode: 'uncaught' }));
  assert.equal(uncaught.type, 'RangeError');
  assert.equal(uncaught.message, 'thrown from a timer');
  const unhandled = failure(await runtime.invoke('faulty', { mode: 'unhandled' }));
  assert.equal(unhandled.type, 'TypeError');
  assert.equal(unhandled.message, 'nobody caught this');
  assert.equal(okValue(await runtime.invoke('faulty', { mode: 'ok' })), 'fine');
});

test('sns.publish and mqtt.publish reach the services and the MessageId comes back', async (t) => {
  const { runtime, recorded } = await setup(t);
  const topic = 'arn:sluice:sns:local:000000000000:alerts';
  await runtime.deploy(await fixture('humidity-alert.ts', { environment: { alert_sns: topic } }));
  const result = await runtime.invoke('humidity-alert', { name: 'soilSensor3', humidity: 29 });
  assert.deepEqual(okValue(result), { MessageId: 'msg-1' });
  assert.deepEqual(recorded.notifications, [
    { topicArn: topic, subject: 'Attention:Humidity Under Threshold', message: 'Humidity 29 under threshold for device name soilSensor3' },
  ]);
  assert.deepEqual(recorded.origins, [{ requestId: result.requestId, sequence: 0 }], 'service calls name their invocation');
  assert.equal(recorded.mqtt.length, 1);
  assert.equal(recorded.mqtt[0]?.topic, 'alerts/soilSensor3');
  assert.equal(recorded.mqtt[0]?.qos, 1);
  assert.deepEqual(JSON.parse(recorded.mqtt[0]?.payload.toString() ?? ''), { humidity: 29 });
});

test('sns.publish passes MessageAttributes (Binary bytes too) and MessageStructure on; a malformed one fails the invocation', async (t) => {
  const { runtime, recorded } = await setup(t);
  await runtime.deploy(await fixture('attributed-alert.ts'));
  assert.deepEqual(okValue(await runtime.invoke('attributed-alert', { structured: true })), { MessageId: 'msg-1' });
  const [sent] = recorded.notifications;
  assert.ok(sent);
  assert.equal(sent.messageStructure, 'json');
  assert.deepEqual(JSON.parse(sent.message), { default: 'Pump p7 stalled', email: 'Pump p7 stalled: check the greenhouse' });
  assert.deepEqual(sent.messageAttributes?.['severity'], { DataType: 'String', StringValue: 'high' });
  assert.deepEqual(sent.messageAttributes?.['zones'], { DataType: 'String.Array', StringValue: '["north","east"]' });
  assert.deepEqual(sent.messageAttributes?.['pressure'], { DataType: 'Number', StringValue: '1.25' });
  assert.deepEqual([...(sent.messageAttributes?.['raw']?.BinaryValue as Uint8Array)], [1, 2, 3]);

  okValue(await runtime.invoke('attributed-alert', {}));
  assert.equal(recorded.notifications[1]?.messageStructure, undefined);

  const bad = await runtime.invoke('attributed-alert', { badAttributes: true });
  assert.equal(bad.ok, false);
  assert.match(JSON.stringify(bad), /MessageAttributes must be an object/);
  assert.equal(recorded.notifications.length, 2);
});

test('an invocation retried with the same request id makes its service calls with the same numbers', async (t) => {
  const { runtime, recorded } = await setup(t);
  await runtime.deploy(await fixture('humidity-alert.ts', { environment: { alert_sns: 'arn:sluice:sns:local:000000000000:alerts' } }));
  await runtime.invoke('humidity-alert', { name: 'soilSensor1', humidity: 20 }, { requestId: 'job-1' });
  await runtime.invoke('humidity-alert', { name: 'soilSensor1', humidity: 20 }, { requestId: 'job-1' });
  await runtime.invoke('humidity-alert', { name: 'soilSensor1', humidity: 20 }, { requestId: 'job-2' });
  assert.deepEqual(recorded.origins, [
    { requestId: 'job-1', sequence: 0 },
    { requestId: 'job-1', sequence: 0 },
    { requestId: 'job-2', sequence: 0 },
  ]);
});

test('a failing service call rejects inside the handler, which fails the invocation', async (t) => {
  const { runtime, recorded } = await setup(t);
  await runtime.deploy(await fixture('humidity-alert.ts', { environment: {} }));
  const error = failure(await runtime.invoke('humidity-alert', { name: 'n', humidity: 1 }));
  assert.equal(error.type, 'TypeError'); // TopicArn is undefined: caught in the worker, before any message
  assert.match(error.message, /TopicArn must be a string/);
  await runtime.deploy(await fixture('humidity-alert.ts', { environment: { alert_sns: 'arn:sluice:sns:local:000000000000:missing' } }));
  const missing = failure(await runtime.invoke('humidity-alert', { name: 'n', humidity: 1 }));
  assert.deepEqual({ type: missing.type, message: missing.message }, {
    type: 'SLUICE_ERR_TOPIC_NOT_FOUND',
    message: 'topic not found: arn:sluice:sns:local:000000000000:missing',
  });
  assert.equal(recorded.notifications.length, 0);
});

test('unknown functions throw; a module without the handler fails its invocations', async (t) => {
  const { runtime } = await setup(t);
  await assert.rejects(runtime.invoke('nope', {}), (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_ERR_FUNCTION_NOT_FOUND');
  await runtime.deploy({ ...(await fixture('echo.ts')), name: 'wrong-export', exportName: 'main' });
  assert.equal(failure(await runtime.invoke('wrong-export', {})).type, 'Runtime.HandlerNotFound');
  await assert.rejects(runtime.deploy({ ...(await fixture('echo.ts')), name: '../escape' }), { code: 'SLUICE_ERR_REQUEST_INVALID' });
});

test('deploy writes the code by hash, redeploying identical code is a no-op, a change replaces the version', async (t) => {
  const { runtime, dataDir } = await setup(t);
  const def = await fixture('echo.ts');
  await runtime.deploy(def);
  const [before] = runtime.list();
  assert.ok(before);
  assert.deepEqual(await readdir(path.join(dataDir, 'functions', 'echo')), [`${before.codeSha256}.mjs`]);
  okValue(await runtime.invoke('echo', { name: 'warm' }));
  await runtime.deploy({ ...def });
  assert.deepEqual(runtime.list(), [before]);
  assert.equal(okValue<EchoValue>(await runtime.invoke('echo', { name: 'n' })).invocations, 2, 'same warm worker');

  await runtime.deploy({ ...def, environment: { CHANGED: '1' } });
  const [after] = runtime.list();
  assert.notEqual(after?.version, before.version);
  assert.equal(after?.codeSha256, before.codeSha256);
  const fresh = okValue<EchoValue>(await runtime.invoke('echo', { name: 'n' }));
  assert.equal(fresh.invocations, 1, 'a new worker for the new version');
  assert.equal(fresh.env.CHANGED, '1');

  await runtime.remove('echo');
  assert.equal(runtime.has('echo'), false);
  assert.deepEqual(runtime.list(), []);
  await assert.rejects(runtime.invoke('echo', {}), { code: 'SLUICE_ERR_FUNCTION_NOT_FOUND' });
});

test('an Event invocation returns at once and close waits for it', async (t) => {
  const { runtime, recorded } = await setup(t);
  await runtime.deploy(await fixture('humidity-alert.ts', { environment: { alert_sns: 'topic' } }));
  const accepted = await runtime.invoke('humidity-alert', { name: 'n', humidity: 2 }, { invocationType: 'Event' });
  assert.equal(accepted.ok, true);
  await runtime.close();
  assert.equal(recorded.notifications.length, 1);
});

test('invocations beyond the worker cap queue and all complete', async (t) => {
  const { runtime } = await setup(t, { maxWorkersPerFunction: 2 });
  await runtime.deploy(await fixture('faulty.ts'));
  const results = await Promise.all(Array.from({ length: 5 }, () => runtime.invoke('faulty', { mode: 'slow' })));
  assert.deepEqual(results.map((r) => okValue(r)), Array(5).fill('slow but fine'));
});
