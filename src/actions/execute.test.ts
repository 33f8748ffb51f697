import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError, type ErrorCode } from '../core/index.js';
import { ActionError, isRetryable } from './action-error.js';
import { executeAction } from './execute.js';
import type { ActionInput, ActionTarget } from './model.js';
import type { ActionPorts } from './ports.js';

type Call = [port: string, ...args: unknown[]];

/** Ports that record their arguments; `functionOutcome` is what invokeAsync reports. */
function recordingPorts(
  functionOutcome: { ok: true } | { ok: false; errorMessage: string } = { ok: true },
  deliveryOutcome: { ok: true } | { ok: false; retryable: boolean; errorMessage: string } = { ok: true },
): ActionPorts & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    notifications: {
      async deliver(target, notification, jobId, attempt) {
        calls.push(['deliver', target, notification, jobId, attempt]);
        return deliveryOutcome;
      },
    },
    calls,
    objects: {
      async putObject(bucket, key, body, options) {
        calls.push(['putObject', bucket, key, body, options]);
      },
    },
    functions: {
      async invokeAsync(functionName, event, requestId) {
        calls.push(['invokeAsync', functionName, event, requestId]);
        return functionOutcome;
      },
    },
    broker: {
      async publish(topic, payload, qos) {
        calls.push(['publish', topic, payload, qos]);
      },
    },
  };
}

const PAYLOAD = Buffer.from('{"name":"soilSensor1","humidity":22}');
const INPUT: ActionInput = {
  topic: 'device/soilSensor1/devicePayload',
  clientId: 'soilSensor1',
  timestamp: 1598536072677,
  payload: PAYLOAD,
  value: { name: 'soilSensor1', humidity: 22 },
};
const BINARY = Buffer.from([0x00, 0xff, 0x10]);
const METADATA = { topic: INPUT.topic, clientid: 'soilSensor1', timestamp: '1598536072677' };

// [case, target, input, the one port call expected]
const CASES: Array<[string, ActionTarget, ActionInput, Call]> = [
  ['s3 stores the payload bytes with message metadata', { kind: 's3', bucket: 'RuleFilterBucket', key: 'k' }, INPUT, ['putObject', 'RuleFilterBucket', 'k', PAYLOAD, { metadata: METADATA }]],
  [
    's3 passes the content type',
    { kind: 's3', bucket: 'b', key: 'k', contentType: 'application/json' },
    INPUT,
    ['putObject', 'b', 'k', PAYLOAD, { contentType: 'application/json', metadata: METADATA }],
  ],
  ['function receives the SELECT output as its event', { kind: 'function', functionName: 'IoTFunction' }, INPUT, ['invokeAsync', 'IoTFunction', INPUT.value, 'job-1']],
  [
    'function receives a binary payload base64-encoded, as Lambda does',
    { kind: 'function', functionName: 'IoTFunction' },
    { ...INPUT, payload: BINARY, value: undefined },
    ['invokeAsync', 'IoTFunction', BINARY.toString('base64'), 'job-1'],
  ],
  ['republish forwards the payload bytes at the QoS asked', { kind: 'republish', topic: 'alerts/soilSensor1', qos: 1 }, INPUT, ['publish', 'alerts/soilSensor1', PAYLOAD, 1]],
];

for (const [name, target, input, expected] of CASES) {
  test(`executeAction: ${name}`, async () => {
    const ports = recordingPorts();
    await executeAction(target, input, 'job-1', ports);
    assert.deepEqual(ports.calls, [expected]);
  });
}

const NOTIFY: ActionTarget = { kind: 'notification', topic: 'alerts', subscriptionId: 's1', protocol: 'email' };
const NOTIFICATION = { messageId: 'm1', message: 'Humidity 29', subject: 'Alert', timestamp: 1598536072677 };
const NOTIFY_INPUT: ActionInput = { ...INPUT, payload: Buffer.from(JSON.stringify(NOTIFICATION)), value: NOTIFICATION };

test('executeAction: a notification goes to the deliverer with the job id and attempt', async () => {
  const ports = recordingPorts();
  await executeAction(NOTIFY, NOTIFY_INPUT, 'm1:s1', ports, 3);
  assert.deepEqual(ports.calls, [['deliver', NOTIFY, NOTIFICATION, 'm1:s1', 3]]);
});

for (const retryable of [true, false]) {
  test(`executeAction: a notification the protocol reports as ${retryable ? 'retryable' : 'permanently'} failed throws so`, async () => {
    const ports = recordingPorts({ ok: true }, { ok: false, retryable, errorMessage: '550 mailbox unavailable' });
    await assert.rejects(executeAction(NOTIFY, NOTIFY_INPUT, 'm1:s1', ports), (error: unknown) => {
      assert.ok(error instanceof ActionError);
      assert.equal(error.message, '550 mailbox unavailable');
      assert.equal(error.retryable, retryable);
      return true;
    });
  });
}

test('executeAction: a malformed queued notification is not retried and reaches no deliverer', async () => {
  const ports = recordingPorts();
  for (const value of [undefined, null, 'text', { messageId: 'm1' }, { messageId: 'm1', message: 'x', timestamp: 'now' }]) {
    await assert.rejects(executeAction(NOTIFY, { ...NOTIFY_INPUT, value }, 'm1:s1', ports), (error: unknown) => !isRetryable(error), JSON.stringify(value));
  }
  assert.deepEqual(ports.calls, []);
});

test('executeAction: a function that reports failure makes the action throw its error message', async () => {
  const ports = recordingPorts({ ok: false, errorMessage: 'Task timed out after 10.00 seconds' });
  await assert.rejects(executeAction({ kind: 'function', functionName: 'IoTFunction' }, INPUT, 'job-1', ports), (error: unknown) => {
    assert.ok(error instanceof ActionError);
    assert.equal(error.message, 'Task timed out after 10.00 seconds');
    assert.equal(error.retryable, true, 'a failed function is retried, as Lambda retries asynchronous invokes');
    return true;
  });
});

const CLASSIFICATION: Array<[ErrorCode | 'plain', boolean]> = [
  ['SLUICE_ERR_BUCKET_NOT_FOUND', false],
  ['SLUICE_ERR_OBJECT_KEY_INVALID', false],
  ['SLUICE_ERR_FUNCTION_NOT_FOUND', false],
  ['SLUICE_ERR_REQUEST_INVALID', false],
  ['SLUICE_ERR_INTERNAL', true],
  ['plain', true],
];
for (const [code, retryable] of CLASSIFICATION) {
  test(`executeAction: a port failing with ${code} is ${retryable ? '' : 'not '}retryable`, async () => {
    const ports = recordingPorts();
    ports.objects.putObject = () => Promise.reject(code === 'plain' ? new Error('EIO: i/o error') : new SluiceError(code, 'no'));
    await assert.rejects(executeAction({ kind: 's3', bucket: 'b-one', key: 'k' }, INPUT, 'job-1', ports), (error: unknown) => {
      assert.equal(isRetryable(error), retryable);
      return true;
    });
  });
}

test('executeAction: a port that rejects makes the action reject with the same error', async () => {
  const ports = recordingPorts();
  const failure = new Error('bucket RuleFilterBucket does not exist');
  ports.objects.putObject = () => Promise.reject(failure);
  await assert.rejects(executeAction({ kind: 's3', bucket: 'RuleFilterBucket', key: 'k' }, INPUT, 'job-1', ports), failure);
});

test('executeAction: an http target goes to the network, not through the ports; a bad rendered URL is not retryable', async () => {
  const ports = recordingPorts();
  await assert.rejects(executeAction({ kind: 'http', url: 'ftp://example.org/in', headers: [], timeoutMs: 1_000 }, INPUT, 'job-1', ports), (error: unknown) => {
    assert.ok(error instanceof ActionError);
    assert.equal(error.retryable, false);
    return true;
  });
  assert.deepEqual(ports.calls, []);
});
