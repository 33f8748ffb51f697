import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ObjectStore } from './object-store.js';

/** Every object store driver runs this suite, so `fs`, memory and `s3` behave alike. */
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
    }));

  test(`${driver}: binary payloads survive byte for byte`, () =>
    withStore(async (store) => {
      await store.createBucket('bin');
      const body = Buffer.from([0, 255, 1, 254, 0x80, 0x0a]);
      await store.putObject('bin', 'raw', body);
      assert.ok((await store.getObject('bin', 'raw')).body.equals(body));
    }));

  test(`${driver}: overwrite replaces the object (idempotent retries)`, () =>
    withStore(async (store) => {
      await store.createBucket('b-over');
      await store.putObject('b-over', 'k', Buffer.from('one'));
      await store.putObject('b-over', 'k', Buffer.from('two'));
      assert.equal((await store.getObject('b-over', 'k')).body.toString(), 'two');
      assert.equal((await store.listObjects('b-over')).length, 1);
    }));

  test(`${driver}: lists keys in order, with prefix and limit`, () =>
    withStore(async (store) => {
      await store.createBucket('b-list');
      for (const key of ['b/2', 'a/1', 'b/1', 'c']) await store.putObject('b-list', key, Buffer.from(key));
      assert.deepEqual((await store.listObjects('b-list')).map((o) => o.key), ['a/1', 'b/1', 'b/2', 'c']);
      assert.deepEqual((await store.listObjects('b-list', { prefix: 'b/' })).map((o) => o.key), ['b/1', 'b/2']);
      assert.deepEqual((await store.listObjects('b-list', { limit: 1 })).map((o) => o.key), ['a/1']);
    }));

  test(`${driver}: missing bucket and missing object are named errors`, () =>
    withStore(async (store) => {
      await assert.rejects(store.putObject('nope', 'k', Buffer.from('x')), { code: 'SLUICE_ERR_BUCKET_NOT_FOUND' });
      await store.createBucket('b-miss');
      await assert.rejects(store.getObject('b-miss', 'absent'), { code: 'SLUICE_ERR_OBJECT_NOT_FOUND' });
    }));

  test(`${driver}: keys that would escape the bucket are refused`, () =>
    withStore(async (store) => {
      await store.createBucket('b-keys');
      for (const key of ['../escape', 'a/../../b', '/abs', 'a//b', '', 'dir/']) {
        await assert.rejects(store.putObject('b-keys', key, Buffer.from('x')), { code: 'SLUICE_ERR_OBJECT_KEY_INVALID' }, key);
      }
      await assert.rejects(store.createBucket('Bad_Bucket'), { code: 'SLUICE_ERR_OBJECT_KEY_INVALID' });
    }));

  test(`${driver}: a non-empty bucket is only deleted when asked to empty it`, () =>
    withStore(async (store) => {
      await store.createBucket('b-del');
      assert.equal(await store.isBucketEmpty('b-del'), true);
      await store.putObject('b-del', 'x/y', Buffer.from('1'));
      assert.equal(await store.isBucketEmpty('b-del'), false);
      await assert.rejects(store.deleteBucket('b-del'), { code: 'SLUICE_ERR_BUCKET_NOT_EMPTY' });
      assert.equal(await store.bucketExists('b-del'), true);
      await store.deleteBucket('b-del', { empty: true });
      assert.equal(await store.bucketExists('b-del'), false);
    }));

  test(`${driver}: deleting an object leaves the others`, () =>
    withStore(async (store) => {
      await store.createBucket('b-rm');
      await store.putObject('b-rm', 'a/1', Buffer.from('1'));
      await store.putObject('b-rm', 'a/2', Buffer.from('2'));
      await store.deleteObject('b-rm', 'a/1');
      await store.deleteObject('b-rm', 'a/1');
      assert.deepEqual((await store.listObjects('b-rm')).map((o) => o.key), ['a/2']);
    }));
}
