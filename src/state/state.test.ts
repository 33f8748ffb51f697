import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stateStoreContract } from './contract.js';
import { createMemoryStateStore, openSqliteStateStore } from './index.js';

stateStoreContract('memory', async () => ({ store: createMemoryStateStore() }));

stateStoreContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-state-'));
  return { store: openSqliteStateStore(join(dir, 'state.db')), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

test('sqlite: documents survive closing and reopening the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-state-'));
  try {
    const file = join(dir, 'nested', 'state.db');
    const first = openSqliteStateStore(file);
    await first.collection<{ v: number }>('c').put('k', { v: 42 });
    await first.close();
    const second = openSqliteStateStore(file);
    assert.deepEqual(await second.collection('c').get('k'), { v: 42 });
    await second.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
