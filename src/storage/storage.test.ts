import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { objectStoreContract } from './contract.js';
import { createFsObjectStore, createMemoryObjectStore, createS3ObjectStore } from './index.js';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from './s3rver.test-support.js';

objectStoreContract('memory', async () => ({ store: createMemoryObjectStore() }));

objectStoreContract('fs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-objects-'));
  return { store: createFsObjectStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

// The s3 driver against a real S3 protocol server; one for the suite (each test uses its own buckets).
let s3rver: RunningS3rver | undefined;
before(async () => {
  s3rver = await startS3rver();
});
after(async () => {
  await s3rver?.stop();
});
objectStoreContract('s3', async () => {
  if (!s3rver) throw new Error('s3rver is not running');
  const store = createS3ObjectStore({ endpoint: s3rver.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  return { store, cleanup: async () => store.close() };
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

// S3 lists in UTF-8 byte order, where `a-b` ('-' is 0x2d) comes before `a/1` ('/' is 0x2f), though the fs driver
// keeps `a/1` in a folder `a`. (s3rver lists in its own folder order, so this is not in the shared contract.)
for (const [driver, open] of [
  ['memory', async () => ({ store: createMemoryObjectStore(), cleanup: async () => {} })],
  ['fs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-objects-'));
    return { store: createFsObjectStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
  }],
] as const) {
  test(`${driver}: keys are listed in S3's byte order across folders, and pages skip whole folders correctly`, async () => {
    const { store, cleanup } = await open();
    try {
      await store.createBucket('b-order');
      const keys = ['a/1', 'a-b', 'a', 'ab/c', 'a.b/x', '\u{1F600}', '\uFF61'];
      for (const key of keys.filter((k) => k !== 'a')) await store.putObject('b-order', key, Buffer.from(key));
      const expected = ['a-b', 'a.b/x', 'a/1', 'ab/c', '\uFF61', '\u{1F600}'];
      assert.deepEqual((await store.listObjects('b-order')).map((o) => o.key), expected);
      for (let i = 0; i < expected.length; i++) {
        assert.deepEqual((await store.listObjects('b-order', { startAfter: expected[i] as string })).map((o) => o.key), expected.slice(i + 1));
      }
      assert.deepEqual((await store.listObjects('b-order', { startAfter: 'a.c' })).map((o) => o.key), ['a/1', 'ab/c', '\uFF61', '\u{1F600}']);
    } finally {
      await cleanup();
    }
  });
}

test('fs: content type and metadata live in a sidecar that is never listed; a sidecar that does not match its object is ignored', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-objects-'));
  try {
    const store = createFsObjectStore(dir);
    await store.createBucket('b-side');
    await store.putObject('b-side', 'd/k', Buffer.from('{"h":1}'), { contentType: 'application/json', metadata: { topic: 't' } });
    assert.deepEqual((await store.listObjects('b-side')).map((o) => o.key), ['d/k']);
    assert.deepEqual(await readdir(join(dir, 'b-side')), ['.sluice-meta', 'd']);
    // A crash between the sidecar's rename and the object's leaves the new sidecar beside the old body:
    // simulated by changing the body behind the store's back. The stale sidecar must not be applied.
    await writeFile(join(dir, 'b-side', 'd', 'k'), 'older body');
    const read = await store.getObject('b-side', 'd/k');
    assert.equal(read.body.toString(), 'older body');
    assert.equal(read.contentType, 'application/octet-stream');
    assert.deepEqual(read.metadata, {});
    await store.deleteObject('b-side', 'd/k');
    assert.deepEqual(await readdir(join(dir, 'b-side')), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('s3: an unreachable endpoint and refused credentials are SLUICE_ERR_STORAGE_UNAVAILABLE (retryable), naming the bucket and the provider\'s error', async () => {
  if (!s3rver) throw new Error('s3rver is not running');
  const unreachable = createS3ObjectStore({ endpoint: 'http://127.0.0.1:1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  const unknownKey = createS3ObjectStore({ endpoint: s3rver.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'wrong' } });
  try {
    await assert.rejects(unreachable.putObject('some-bucket', 'k', Buffer.from('x')), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'SLUICE_ERR_STORAGE_UNAVAILABLE');
      assert.match(error.message, /bucket 'some-bucket' key 'k': ECONNREFUSED/);
      return true;
    });
    await assert.rejects(unknownKey.listBuckets(), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'SLUICE_ERR_STORAGE_UNAVAILABLE');
      assert.match(error.message, /the bucket list: InvalidAccessKeyId \(HTTP 403\)/);
      return true;
    });
  } finally {
    unreachable.close();
    unknownKey.close();
  }
});

test('s3: a Sluice bucket name can map to another name at the provider', async () => {
  if (!s3rver) throw new Error('s3rver is not running');
  const settings = { endpoint: s3rver.endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS };
  const mapped = createS3ObjectStore({ ...settings, names: { 'rule-filter-bucket': 'acme-prod-rule-filter' } });
  const plain = createS3ObjectStore(settings);
  try {
    await mapped.createBucket('rule-filter-bucket');
    await mapped.putObject('rule-filter-bucket', 'k', Buffer.from('mapped'));
    assert.equal((await plain.getObject('acme-prod-rule-filter', 'k')).body.toString(), 'mapped');
    assert.equal(await plain.bucketExists('rule-filter-bucket'), false);
    assert.ok((await mapped.listBuckets()).includes('rule-filter-bucket'));
  } finally {
    mapped.close();
    plain.close();
  }
});
