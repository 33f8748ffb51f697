import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import Fastify from 'fastify';
import { createMemoryObjectStore } from '../storage/index.js';
import type { ApiDeps } from './deps.js';
import { installErrorHandler } from './errors.js';
import { bucketRoutes } from './routes-buckets.js';

async function harness(t: TestContext) {
  const objects = createMemoryObjectStore();
  const app = Fastify();
  installErrorHandler(app);
  await app.register(bucketRoutes, { objects, bucketDriver: (name: string) => (name === 'remote' ? 's3' : 'fs') } as unknown as ApiDeps);
  t.after(() => app.close());
  return { app, objects };
}

test('GET /api/v1/buckets lists buckets with their driver', async (t) => {
  const { app, objects } = await harness(t);
  await objects.createBucket('remote');
  await objects.createBucket('local');
  const response = await app.inject({ url: '/api/v1/buckets' });
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), { buckets: [{ name: 'local', driver: 'fs' }, { name: 'remote', driver: 's3' }] });
});

test('listing pages with limit and startAfter, filters by prefix, and says when there is more', async (t) => {
  const { app, objects } = await harness(t);
  await objects.createBucket('bucket-one');
  for (const key of ['d/1', 'd/2', 'd/3', 'e/1']) await objects.putObject('bucket-one', key, Buffer.from(key));
  const first = (await app.inject({ url: '/api/v1/buckets/bucket-one/objects?prefix=d/&limit=2' })).json() as {
    objects: Array<{ key: string; size: number; lastModified: string }>; isTruncated: boolean; nextStartAfter?: string;
  };
  assert.deepEqual(first.objects.map((o) => o.key), ['d/1', 'd/2']);
  assert.equal(first.objects[0]?.size, 3);
  assert.ok(!Number.isNaN(Date.parse(first.objects[0]?.lastModified ?? '')));
  assert.equal(first.isTruncated, true);
  assert.equal(first.nextStartAfter, 'd/2');
  const second = (await app.inject({ url: `/api/v1/buckets/bucket-one/objects?prefix=d/&limit=2&startAfter=${first.nextStartAfter}` })).json() as {
    objects: Array<{ key: string }>; isTruncated: boolean; nextStartAfter?: string;
  };
  assert.deepEqual(second.objects.map((o) => o.key), ['d/3']);
  assert.equal(second.isTruncated, false);
  assert.equal(second.nextStartAfter, undefined);
});

test('bad listing parameters and a missing bucket are named errors', async (t) => {
  const { app } = await harness(t);
  const bad = await app.inject({ url: '/api/v1/buckets/bucket-one/objects?limit=0' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /limit must be at least 1/);
  const unknown = await app.inject({ url: '/api/v1/buckets/bucket-one/objects?max=3' });
  assert.equal(unknown.statusCode, 400);
  const missing = await app.inject({ url: '/api/v1/buckets/absent/objects' });
  assert.equal(missing.statusCode, 404);
  assert.equal((missing.json() as { error: { code: string } }).error.code, 'SLUICE_ERR_BUCKET_NOT_FOUND');
});

test('download answers the exact bytes with the stored content type, metadata as x-amz-meta-*, and Last-Modified; HEAD too', async (t) => {
  const { app, objects } = await harness(t);
  await objects.createBucket('bucket-two');
  const body = Buffer.from([0, 1, 2, 250, 255, 0x0a]);
  await objects.putObject('bucket-two', 'dir/é x/raw', body, { contentType: 'application/x-custom', metadata: { topic: 'capteur/é', clientid: 'c1' } });
  const url = `/api/v1/buckets/bucket-two/objects/dir/${encodeURIComponent('é x')}/raw`;
  const response = await app.inject({ url });
  assert.equal(response.statusCode, 200);
  assert.ok(response.rawPayload.equals(body));
  assert.equal(response.headers['content-type'], 'application/x-custom');
  assert.equal(response.headers['x-amz-meta-clientid'], 'c1');
  assert.equal(response.headers['x-amz-meta-topic'], `=?UTF-8?B?${Buffer.from('capteur/é').toString('base64')}?=`);
  assert.ok(!Number.isNaN(Date.parse(String(response.headers['last-modified']))));
  const head = await app.inject({ method: 'HEAD', url });
  assert.equal(head.statusCode, 200);
  assert.equal(head.headers['content-type'], 'application/x-custom');
  const missing = await app.inject({ url: '/api/v1/buckets/bucket-two/objects/nope' });
  assert.equal(missing.statusCode, 404);
  assert.equal((missing.json() as { error: { code: string } }).error.code, 'SLUICE_ERR_OBJECT_NOT_FOUND');
});
