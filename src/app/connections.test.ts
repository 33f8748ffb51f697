import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { LifecycleEvent } from '../broker/index.js';
import { Registry } from '../registry/index.js';
import { createMemoryStateStore } from '../state/index.js';
import { ConnectionTracker } from './connections.js';

async function harness(t: TestContext) {
  const caDir = await mkdtemp(join(tmpdir(), 'sluice-connections-'));
  const registry = await Registry.open(createMemoryStateStore(), { caDir });
  const tracker = new ConnectionTracker(registry);
  t.after(async () => {
    tracker.close();
    await rm(caDir, { recursive: true, force: true });
  });
  return { registry, tracker };
}

function connected(clientId: string, session: string, at: number, principal?: string): LifecycleEvent {
  return { eventType: 'connected', clientId, sessionIdentifier: session, principalIdentifier: principal, timestamp: at, ipAddress: '127.0.0.1', versionNumber: at };
}

function disconnected(clientId: string, session: string, at: number, principal?: string): LifecycleEvent {
  return {
    eventType: 'disconnected', clientId, sessionIdentifier: session, principalIdentifier: principal, timestamp: at,
    clientInitiatedDisconnect: true, disconnectReason: 'CLIENT_INITIATED_DISCONNECT', versionNumber: at,
  };
}

test('a client whose id is the thing name makes it connected; its disconnect makes it disconnected, with both times', async (t) => {
  const { tracker } = await harness(t);
  const before = await tracker.of(['sensor-1']);
  assert.deepEqual(before.get('sensor-1'), { connected: false, clientIds: [], lastConnectedAt: null, lastDisconnectedAt: null });

  tracker.record(connected('sensor-1', 's1', Date.UTC(2026, 0, 1, 10)));
  const online = (await tracker.of(['sensor-1', 'sensor-2'])).get('sensor-1');
  assert.deepEqual(online, { connected: true, clientIds: ['sensor-1'], lastConnectedAt: '2026-01-01T10:00:00.000Z', lastDisconnectedAt: null });

  tracker.record(disconnected('sensor-1', 's1', Date.UTC(2026, 0, 1, 11)));
  const offline = (await tracker.of(['sensor-1'])).get('sensor-1');
  assert.deepEqual(offline, { connected: false, clientIds: [], lastConnectedAt: '2026-01-01T10:00:00.000Z', lastDisconnectedAt: '2026-01-01T11:00:00.000Z' });
});

test('a client id taken over by a new session stays connected whatever order the two events come in', async (t) => {
  const { tracker } = await harness(t);
  tracker.record(connected('sensor-1', 'old', 1_000));
  tracker.record(connected('sensor-1', 'new', 2_000));
  tracker.record(disconnected('sensor-1', 'old', 2_001));
  const state = (await tracker.of(['sensor-1'])).get('sensor-1');
  assert.equal(state?.connected, true);
  assert.deepEqual(state?.clientIds, ['sensor-1']);
});

test('a client whose certificate is attached to a thing is the thing\'s, under any client id, also when attached after it connected', async (t) => {
  const { registry, tracker } = await harness(t);
  await registry.putThing('greenhouse');
  const { certificateId } = await registry.createKeysAndCertificate({ setAsActive: true });
  tracker.record(connected('gh-client', 'g1', 5_000, certificateId));
  // Not attached yet: the client is nobody's thing.
  assert.equal((await tracker.of(['greenhouse'])).get('greenhouse')?.connected, false);

  await registry.attachThingPrincipal('greenhouse', certificateId);
  const attached = (await tracker.of(['greenhouse'])).get('greenhouse');
  assert.deepEqual(attached, { connected: true, clientIds: ['gh-client'], lastConnectedAt: new Date(5_000).toISOString(), lastDisconnectedAt: null });

  tracker.record(disconnected('gh-client', 'g1', 6_000, certificateId));
  await registry.detachThingPrincipal('greenhouse', certificateId);
  const detached = (await tracker.of(['greenhouse'])).get('greenhouse');
  assert.equal(detached?.connected, false);
  assert.equal(detached?.lastDisconnectedAt, null, 'a detached certificate\'s history is no longer the thing\'s');
});

test('principals that cannot be attached (admin, read-only, a username) are matched by client id only', async (t) => {
  const { tracker } = await harness(t);
  tracker.record(connected('console-1', 'c1', 1_000, 'admin'));
  tracker.record(connected('watcher', 'c2', 1_000, 'read-only'));
  const states = await tracker.of(['console-1', 'admin', 'read-only']);
  assert.equal(states.get('console-1')?.connected, true);
  assert.equal(states.get('admin')?.connected, false);
  assert.equal(states.get('read-only')?.connected, false);
});
