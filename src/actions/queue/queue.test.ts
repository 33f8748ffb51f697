import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { actionQueueContract } from './contract.js';
import { testJob } from './fixtures.js';
import { createMemoryActionQueue, openSqliteActionQueue } from './index.js';

actionQueueContract('memory', async ({ clock }) => ({ queue: createMemoryActionQueue({ clock }) }));

actionQueueContract('sqlite', async ({ clock }) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-queue-'));
  return { queue: openSqliteActionQueue(join(dir, 'queue.db'), { clock }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

test('memory: a job that cannot be encoded fails its call and applies nothing of it', async () => {
  const queue = createMemoryActionQueue();
  await assert.rejects(queue.enqueue([testJob('ok'), testJob('bad', { value: 1n, payload: Buffer.from('1') })]), /BigInt/);
  assert.equal((await queue.stats(Date.now())).depth, 0);
  await queue.close();
});
