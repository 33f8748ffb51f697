import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ObjectStore } from './object-store.js';

/**
 * Every object store driver runs this suite, so `fs`, memory and `s3`
 * behave alike. Each test uses its own bucket names, so a driver over a
 * shared server (s3rver) may keep one server for the whole suite.
 */
export function objectStoreContract(driver: string, open: () => Promise<{ store: ObjectStore; cleanup?: () => Promise<void> }>): void {
  const withStore = async (fn: (store: ObjectStore) => Promise<void>): Promise<void> => {
    const { store, cleanup } = await open();
    try {
      await fn(store);
    } finally {
      await cleanup?.();
    }
  };

  test(`${driver}: stores and returns bytes unchanged under nested keys`, () =>
    withStore(async (store) => {
      await store.createBucket('readings');
      const body = Buffer.from('{"name":"soilSensor2", "humidity":29}\n');
      await store.putObject('readings', 'device/soilSensor2/devicePayload/1598536072677', body);
      const read = await store.getObject('readings', 'device/soilSensor2/devicePayload/1598536072677');
      assert.ok(read.body.equals(body));
      assert.equal(read.size, body.length);
      assert.equal(read.bucket, 'readings');
      assert.equal(read.key, 'device/soilSensor2/devicePayload/1598536072677');
      assert.ok(Math.abs(read.lastModified.getTime() - Date.now()) < 3_600_000, 'last-modified is the time of the write');
    }));

  test(`${driver}: binary payloads survive byte for byte, empty ones too`, () =>
    withStore(async (store) => {
      await store.createBucket('bin');
      const body = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await store.putObject('bin', 'raw', body);
      assert.ok((await store.getObject('bin', 'raw')).body.equals(body));
      await store.putObject('bin', 'empty', Buffer.alloc(0));
      const empty = await store.getObject('bin', 'empty');
      assert.equal(empty.body.length, 0);
      assert.equal(empty.size, 0);
    }));

  test(`${driver}: content type and metadata are kept and returned by get and head`, () =>
    withStore(async (store) => {
      await store.createBucket('b-meta');
      const metadata = { topic: 'device/soilSensor1/devicePayload', clientid: 'soilSensor1', timestamp: '1598536072677' };
      await store.putObject('b-meta', 'k', Buffer.from('{"a":1}'), { contentType: 'application/json', metadata });
      const read = await store.getObject('b-meta', 'k');
      assert.equal(read.contentType, 'application/json');
      assert.deepEqual(read.metadata, metadata);
      const head = await store.headObject('b-meta', 'k');
      assert.equal(head.contentType, 'application/json');
      assert.deepEqual(head.metadata, metadata);
      assert.equal(head.size, 7);
      assert.equal('body' in head, false);
    }));

  test(`${driver}: metadata keys come back lowercased and non-ASCII values round-trip`, () =>
    withStore(async (store) => {
      await store.createBucket('b-meta-case');
      await store.putObject('b-meta-case', 'k', Buffer.from('x'), { metadata: { ClientId: 'capteur-é', Topic: 'température/salle 1', odd: '=?UTF-8?B?eA==?=' } });
      assert.deepEqual((await store.getObject('b-meta-case', 'k')).metadata, { clientid: 'capteur-é', topic: 'température/salle 1', odd: '=?UTF-8?B?eA==?=' });
      await assert.rejects(store.putObject('b-meta-case', 'k2', Buffer.from('x'), { metadata: { 'bad key': 'v' } }), { code: 'SLUICE_ERR_OBJECT_KEY_INVALID' });
    }));

  test(`${driver}: without a content type an object is application/octet-stream with no metadata, and an overwrite replaces both`, () =>
    withStore(async (store) => {
      await store.createBucket('b-plain');
      await store.putObject('b-plain', 'k', Buffer.from('one'), { contentType: 'text/plain', metadata: { a: '1' } });
      await store.putObject('b-plain', 'k', Buffer.from('two'));
      const read = await store.getObject('b-plain', 'k');
      assert.equal(read.body.toString(), 'two');
      assert.equal(read.contentType, 'application/octet-stream');
      assert.deepEqual(read.metadata, {});
    }));

  test(`${driver}: overwrite replaces the object (idempotent retries)`, () =>
    withStore(async (store) => {
      await store.createBucket('b-over');
      await store.putObject('b-over', 'k', Buffer.from('one'));
      await store.putObject('b-over', 'k', Buffer.from('two'));
      assert.equal((await store.getObject('b-over', 'k')).body.toString(), 'two');
      assert.equal((await store.listObjects('b-over')).length, 1);
    }));

  test(`${driver}: lists keys in order, with prefix, startAfter and limit, and sizes`, () =>
    withStore(async (store) => {
      await store.createBucket('b-list');
      for (const key of ['b/2', 'a/1', 'b/1', 'c', 'a0', 'b/1x/y']) await store.putObject('b-list', key, Buffer.from(key));
      const all = await store.listObjects('b-list');
      assert.deepEqual(all.map((o) => o.key), ['a/1', 'a0', 'b/1', 'b/1x/y', 'b/2', 'c']);
      assert.deepEqual(all.map((o) => o.size), [3, 2, 3, 6, 3, 1]);
      assert.deepEqual((await store.listObjects('b-list', { prefix: 'b/' })).map((o) => o.key), ['b/1', 'b/1x/y', 'b/2']);
      assert.deepEqual((await store.listObjects('b-list', { prefix: 'b/1' })).map((o) => o.key), ['b/1', 'b/1x/y']);
      assert.deepEqual((await store.listObjects('b-list', { limit: 1 })).map((o) => o.key), ['a/1']);
      assert.deepEqual((await store.listObjects('b-list', { startAfter: 'b/1' })).map((o) => o.key), ['b/1x/y', 'b/2', 'c']);
      assert.deepEqual((await store.listObjects('b-list', { startAfter: 'a', limit: 2 })).map((o) => o.key), ['a/1', 'a0']);
      assert.deepEqual((await store.listObjects('b-list', { prefix: 'b/', startAfter: 'b/1x/y' })).map((o) => o.key), ['b/2']);
      assert.deepEqual(await store.listObjects('b-list', { prefix: 'zz' }), []);
    }));

  test(`${driver}: lists more than 1,000 keys, whole and in pages`, () =>
    withStore(async (store) => {
      await store.createBucket('b-many');
      const keys = Array.from({ length: 1_205 }, (_, i) => `m/${String(i).padStart(5, '0')}`);
      for (let i = 0; i < keys.length; i += 50) {
        await Promise.all(keys.slice(i, i + 50).map((key) => store.putObject('b-many', key, Buffer.from('x'))));
      }
      assert.deepEqual((await store.listObjects('b-many')).map((o) => o.key), keys);
      assert.equal((await store.listObjects('b-many', { limit: 1_100 })).length, 1_100);
      const paged: string[] = [];
      let startAfter: string | undefined;
      for (;;) {
        const page = await store.listObjects('b-many', { limit: 500, ...(startAfter !== undefined ? { startAfter } : {}) });
        paged.push(...page.map((o) => o.key));
        if (page.length < 500) break;
        startAfter = page.at(-1)?.key;
      }
      assert.deepEqual(paged, keys);
      await store.deleteBucket('b-many', { empty: true });
      assert.equal(await store.bucketExists('b-many'), false);
    }));

  test(`${driver}: missing bucket and missing object are named errors`, () =>
    withStore(async (store) => {
      await assert.rejects(store.putObject('nope', 'k', Buffer.from('x')), { code: 'SLUICE_ERR_BUCKET_NOT_FOUND' });
      await assert.rejects(store.getObject('nope', 'k'), { code: 'SLUICE_ERR_BUCKET_NOT_FOUND' });
      await assert.rejects(store.listObjects('nope'), { code: 'SLUICE_ERR_BUCKET_NOT_FOUND' });
      await assert.rejects(store.deleteBucket('nope'), { code: 'SLUICE_ERR_BUCKET_NOT_FOUND' });
      assert.equal(await store.bucketExists('nope'), false);
      await store.createBucket('b-miss');
      await assert.rejects(store.getObject('b-miss', 'absent'), { code: 'SLUICE_ERR_OBJECT_NOT_FOUND' });
      await assert.rejects(store.headObject('b-miss', 'absent'), { code: 'SLUICE_ERR_OBJECT_NOT_FOUND' });
    }));

  test(`${driver}: creating a bucket twice is no error and keeps its objects; buckets are listed`, () =>
    withStore(async (store) => {
      await store.createBucket('b-twice');
      await store.putObject('b-twice', 'k', Buffer.from('kept'));
      await store.createBucket('b-twice');
      assert.equal((await store.getObject('b-twice', 'k')).body.toString(), 'kept');
      assert.ok((await store.listBuckets()).includes('b-twice'));
    }));

  test(`${driver}: keys that would escape the bucket are refused`, () =>
    withStore(async (store) => {
      await store.createBucket('b-keys');
      for (const key of ['../escape', 'a/../../b', '/abs', 'a//b', '', 'dir/', 'x/.sluice-meta/y']) {
        await assert.rejects(store.putObject('b-keys', key, Buffer.from('x')), { code: 'SLUICE_ERR_OBJECT_KEY_INVALID' }, key);
      }
      await assert.rejects(store.createBucket('Bad_Bucket'), { code: 'SLUICE_ERR_OBJECT_KEY_INVALID' });
    }));

  test(`${driver}: a non-empty bucket is only deleted when asked to empty it`, () =>
    withStore(async (store) => {
      await store.createBucket('b-del');
      assert.equal(await store.isBucketEmpty('b-del'), true);
      await store.putObject('b-del', 'x/y', Buffer.from('1'), { metadata: { a: 'b' } });
      assert.equal(await store.isBucketEmpty('b-del'), false);
      await assert.rejects(store.deleteBucket('b-del'), { code: 'SLUICE_ERR_BUCKET_NOT_EMPTY' });
      assert.equal(await store.bucketExists('b-del'), true);
      await store.deleteBucket('b-del', { empty: true });
      assert.equal(await store.bucketExists('b-del'), false);
    }));

  test(`${driver}: deleting an object leaves the others, and its metadata goes with it`, () =>
    withStore(async (store) => {
      await store.createBucket('b-rm');
      await store.putObject('b-rm', 'a/1', Buffer.from('1'), { contentType: 'text/plain', metadata: { m: '1' } });
      await store.putObject('b-rm', 'a/2', Buffer.from('2'));
      await store.deleteObject('b-rm', 'a/1');
      await store.deleteObject('b-rm', 'a/1');
      assert.deepEqual((await store.listObjects('b-rm')).map((o) => o.key), ['a/2']);
      await store.putObject('b-rm', 'a/1', Buffer.from('again'));
      assert.deepEqual((await store.getObject('b-rm', 'a/1')).metadata, {});
      await store.deleteObject('b-rm', 'a/1');
      await store.deleteObject('b-rm', 'a/2');
      assert.equal(await store.isBucketEmpty('b-rm'), true);
    }));
}
