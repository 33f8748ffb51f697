/** A stack's `dedupe` blocks reach the notification service: topic and subscription, updated and cleared on redeploy. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../core/index.js';
import { NotificationService, createMemoryTransport } from '../notify/index.js';
import { StackService, type StackDeployRequest } from '../stack/index.js';
import { createMemoryStateStore } from '../state/index.js';
import { createStackTarget, type StackTargetDeps } from './stack-target.js';

const STACK = [
  'stack: alerts',
  'topics:',
  '  humidity-alerts:',
  "    dedupe: { key: '${regex:device name (\\S+)}', window: 15m, digest: true }",
  '    subscriptions:',
  '      - protocol: mqtt',
  '        endpoint: alerts/humidity',
  "        dedupe: { key: '${json.device}', window: 1h }",
];

function request(lines: string[]): StackDeployRequest {
  return { fileName: 'stacks/alerts.yaml', source: lines.join('\n'), params: {}, functions: {} };
}

test('topic and subscription dedupe from a stack file are applied, and cleared when the file drops them', async () => {
  const notify = new NotificationService({
    state: createMemoryStateStore(), transport: createMemoryTransport(), publicUrl: 'http://127.0.0.1:8080', from: 'x@example.com',
    logger: silentLogger(), hygieneTimers: null, mqtt: { publish: async () => undefined },
  });
  const unused = {} as never;
  const deps: StackTargetDeps = { objects: unused, notify, functions: unused, rules: unused, registry: unused, simulators: new Map() };
  const stacks = new StackService({ state: createMemoryStateStore(), target: createStackTarget(deps), logger: silentLogger() });

  await stacks.deploy(request(STACK));
  assert.deepEqual((await notify.getTopic('humidity-alerts')).dedupe, { key: '${regex:device name (\\S+)}', window: '15m', digest: true });
  const [sub] = await notify.listSubscriptions('humidity-alerts');
  assert.deepEqual(sub?.dedupe, { key: '${json.device}', window: '1h' });

  await stacks.deploy(request(STACK.filter((line) => !line.includes('dedupe'))));
  assert.equal((await notify.getTopic('humidity-alerts')).dedupe, undefined);
  assert.equal((await notify.getSubscription(sub?.id ?? '')).dedupe, undefined);
});
