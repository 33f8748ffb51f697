import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { actionQueueContract } from './contract.js';
import { testJob } from './fixtures.js';
import { createMemoryActionQueue, openSqliteActionQueue } from './index.js';

actionQueueContract('memory', async ({ clock }) => ({ queue: createMemoryActionQueue({ clock }) }));

const openSqlite: Parameters<typeof actionQueueContract>[1] = async ({ clock }) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-queue-'));
  return { queue: openSqliteActionQueue(join(dir, 'queue.db'), { clock }), cleanup: () => rm(dir, { recursive: true, force: true }) };
};
actionQueueContract('sqlite', openSqlite);
// Archive jobs live in the SQLite driver's batch log, not its jobs table: the same contract holds there.
actionQueueContract('sqlite, archive jobs', openSqlite, {
  defaultTarget: { kind: 'archive', bucket: 'lake', prefix: 'raw', format: 'parquet', maxBatchDelayMs: 60_000, maxBatchBytes: 5_000_000 },
});

test('memory: a job that cannot be encoded fails its call and applies nothing of it', async () => {
  const queue = createMemoryActionQueue();
  await assert.rejects(queue.enqueue([testJob('ok'), testJob('bad', { value: 1n, payload: Buffer.from('1') })]), /BigInt/);
  assert.equal((await queue.stats(Date.now())).depth, 0);
  await queue.close();
});
