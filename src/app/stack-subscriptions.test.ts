/** Stack subscriptions through the real stack target into a real NotificationService: attributes set exactly, kept in step on redeploy. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../core/index.js';
import { NotificationService, createMemoryTransport } from '../notify/index.js';
import { StackService, type StackDeployRequest } from '../stack/index.js';
import { createMemoryStateStore } from '../state/index.js';
import { createStackTarget, type StackTargetDeps } from './stack-target.js';

function request(lines: string[]): StackDeployRequest {
  return { fileName: 'stacks/alerts.yaml', source: ['stack: alerts', 'topics:', '  alerts:', '    subscriptions:', ...lines].join('\n'), params: {}, functions: {} };
}

test('stack subscriptions: attributes reach notify; a redeploy without them clears them; destroy unsubscribes', async () => {
  const published: string[] = [];
  const notify = new NotificationService({
    state: createMemoryStateStore(), transport: createMemoryTransport(), publicUrl: 'http://127.0.0.1:8080', from: 'x@example.com', logger: silentLogger(),
    mqtt: { publish: async (topic) => void published.push(topic) },
  });
  const unused = {} as never;
  const deps: StackTargetDeps = { objects: unused, notify, functions: unused, rules: unused, registry: unused, simulators: new Map() };
  const stacks = new StackService({ state: createMemoryStateStore(), target: createStackTarget(deps), logger: silentLogger() });

  await stacks.deploy(request([
    '      - protocol: mqtt',
    '        endpoint: alerts/high',
    '        filterPolicy: { severity: [high] }',
    '        deliveryPolicy: { healthyRetryPolicy: { numRetries: 2 } }',
    '      - protocol: email',
    '        endpoint: Ops@Example.COM',
  ]));
  const [mqtt, email] = await notify.listSubscriptions('alerts');
  assert.deepEqual(
    [mqtt?.protocol, mqtt?.status, mqtt?.filterPolicy, mqtt?.filterPolicyScope, mqtt?.deliveryPolicy],
    ['mqtt', 'confirmed', { severity: ['high'] }, 'MessageAttributes', { healthyRetryPolicy: { numRetries: 2 } }],
  );
  assert.deepEqual([email?.endpoint, email?.status], ['Ops@example.com', 'pending']);
  assert.equal((await notify.publish({ topic: 'alerts', message: 'low' })).filtered, 1);
  await notify.publish({ topic: 'alerts', message: 'high', messageAttributes: { severity: { DataType: 'String', StringValue: 'high' } } });
  assert.deepEqual(published, ['alerts/high']);

  // The same subscription without attributes: updated in place, attributes cleared.
  await stacks.deploy(request(['      - protocol: mqtt', '        endpoint: alerts/high', '      - protocol: email', '        endpoint: Ops@Example.COM']));
  const [again] = await notify.listSubscriptions('alerts');
  assert.equal(again?.id, mqtt?.id);
  assert.deepEqual([again?.filterPolicy, again?.deliveryPolicy], [undefined, undefined]);

  // Removing the email subscription from the file removes it, though notify stores its domain lower-cased.
  await stacks.deploy(request(['      - protocol: mqtt', '        endpoint: alerts/high']));
  assert.deepEqual((await notify.listSubscriptions('alerts')).map((s) => s.protocol), ['mqtt']);
  await stacks.destroy('alerts');
  await assert.rejects(notify.listSubscriptions('alerts'));
});
