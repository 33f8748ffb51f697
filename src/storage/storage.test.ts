import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { objectStoreContract } from './contract.js';
import { createFsObjectStore, createMemoryObjectStore } from './index.js';

objectStoreContract('memory', async () => ({ store: createMemoryObjectStore() }));

objectStoreContract('fs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-objects-'));
  return { store: createFsObjectStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

test('fs: an object is a plain file at <root>/<bucket>/<key> and no temp file is left behind', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-objects-'));
  try {
    const store = createFsObjectStore(dir);
    await store.createBucket('rule-filter-bucket');
    const body = Buffer.from('{"humidity":29}');
    await store.putObject('rule-filter-bucket', 'device/soilSensor2/devicePayload/1', body);
    const path = join(dir, 'rule-filter-bucket', 'device', 'soilSensor2', 'devicePayload', '1');
    assert.ok((await readFile(path)).equals(body));
    assert.deepEqual(await readdir(join(dir, 'rule-filter-bucket', 'device', 'soilSensor2', 'devicePayload')), ['1']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('fs: a key that collides with a folder is a clear error, and stored data is untouched', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-objects-'));
  try {
    const store = createFsObjectStore(dir);
    await store.createBucket('b-clash');
    await store.putObject('b-clash', 'a/b', Buffer.from('child'));
    await assert.rejects(store.putObject('b-clash', 'a', Buffer.from('parent')), /collides/);
    assert.equal((await store.getObject('b-clash', 'a/b')).body.toString(), 'child');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
