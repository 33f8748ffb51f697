import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError, silentLogger } from '../core/index.js';
import { createFsObjectStore } from '../storage/index.js';
import { FunctionRuntime } from './function-runtime.js';
import { MAX_OBJECT_BYTES, s3 } from './runtime/index.js';
import { FIXTURES, fixture } from './test-helpers.js';
import type { InvocationResult, RuntimeObject, RuntimeServices } from './types.js';

interface Stored {
  body: Buffer;
  contentType: string;
  metadata?: Record<string, string>;
  lastModified: Date;
}

/** Services whose object store is a map that keeps content types and metadata; bucket `data` exists. */
function memoryServices() {
  const buckets = new Map<string, Map<string, Stored>>([['data', new Map()]]);
  const bucket = (name: string) => {
    const found = buckets.get(name);
    if (!found) throw new SluiceError('SLUICE_ERR_BUCKET_NOT_FOUND', `bucket '${name}' does not exist`);
    return found;
  };
  const services: RuntimeServices = {
    publishNotification: async () => ({ messageId: 'm' }),
    publishMqtt: async () => {},
    async putObject(name, key, body, contentType, metadata) {
      // Copied: the Buffer is a view of a message's memory.
      bucket(name).set(key, { body: Buffer.from(body), contentType, ...(metadata ? { metadata } : {}), lastModified: new Date() });
    },
    async getObject(name, key): Promise<RuntimeObject> {
      const found = bucket(name).get(key);
      if (!found) throw new SluiceError('SLUICE_ERR_OBJECT_NOT_FOUND', `object '${key}' not found in bucket '${name}'`);
      return found;
    },
  };
  return { services, buckets };
}

async function start(t: TestContext, services: RuntimeServices) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-sdk-s3-'));
  const runtime = new FunctionRuntime({ dataDir, logger: silentLogger(), services });
  t.after(async () => {
    await runtime.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  await runtime.deploy(await fixture('objects.ts', { memorySizeMb: 256 }));
  return { runtime, dataDir, invoke: (event: unknown) => runtime.invoke('objects', event) };
}

function okValue<T>(result: InvocationResult): T {
  assert.ok(result.ok, `expected success, got ${JSON.stringify(result)}`);
  return result.value as T;
}

function failure(result: InvocationResult) {
  assert.ok(!result.ok, `expected failure, got ${JSON.stringify(result)}`);
  return result.error;
}

interface GetValue {
  text: string;
  base64: string;
  bytes: number;
  isUint8Array: boolean;
  enumerableKeys: string[];
  ContentLength: number;
  ContentType: string | null;
  Metadata: Record<string, string> | null;
  LastModified: string | null;
}

const etag = (bytes: Uint8Array | string) => `"${createHash('md5').update(bytes).digest('hex')}"`;

test('s3.putObject then s3.getObject round-trips strings, bytes and JSON objects with their content types', async (t) => {
  const { services, buckets } = memoryServices();
  const { invoke } = await start(t, services);
  const bytes = Buffer.from([0, 1, 2, 254, 255]);

  assert.deepEqual(okValue(await invoke({ op: 'put', Bucket: 'data', Key: 'a/text.txt', Body: { string: 'Grüße' } })), { ETag: etag('Grüße') });
  assert.deepEqual(okValue(await invoke({ op: 'put', Bucket: 'data', Key: 'bin', Body: { base64: bytes.toString('base64') } })), { ETag: etag(bytes) });
  okValue(await invoke({ op: 'put', Bucket: 'data', Key: 'doc.json', Body: { json: { humidity: 29, tags: ['a'] } } }));

  const stored = buckets.get('data')!;
  assert.equal(stored.get('a/text.txt')?.contentType, 'text/plain; charset=utf-8');
  assert.equal(stored.get('bin')?.contentType, 'application/octet-stream');
  assert.equal(stored.get('doc.json')?.contentType, 'application/json');
  assert.deepEqual(stored.get('bin')?.body, bytes);

  const text = okValue<GetValue>(await invoke({ op: 'get', Bucket: 'data', Key: 'a/text.txt' }));
  assert.equal(text.text, 'Grüße');
  assert.equal(text.ContentLength, Buffer.byteLength('Grüße'));
  assert.equal(text.ContentType, 'text/plain; charset=utf-8');
  assert.equal(text.isUint8Array, true);
  assert.deepEqual(text.enumerableKeys, [], 'the helpers are not enumerable');
  assert.ok(text.LastModified && Math.abs(Date.parse(text.LastModified) - Date.now()) < 60_000);

  const bin = okValue<GetValue>(await invoke({ op: 'get', Bucket: 'data', Key: 'bin' }));
  assert.equal(bin.base64, bytes.toString('base64'));
  assert.equal(bin.bytes, 5);
  assert.equal(bin.ContentLength, 5);

  const doc = okValue<GetValue>(await invoke({ op: 'get', Bucket: 'data', Key: 'doc.json' }));
  assert.deepEqual(JSON.parse(doc.text), { humidity: 29, tags: ['a'] });
  assert.equal(doc.ContentType, 'application/json');
});

test('ContentType and Metadata are passed on (metadata keys lower-cased, as S3 does) and come back', async (t) => {
  const { services, buckets } = memoryServices();
  const { invoke } = await start(t, services);
  okValue(
    await invoke({
      op: 'put',
      Bucket: 'data',
      Key: 'reading.csv',
      Body: { string: 'a,b\n1,2\n' },
      ContentType: 'text/csv',
      Metadata: { Device: 'soilSensor3', 'x-source': 'rule' },
    }),
  );
  assert.deepEqual(buckets.get('data')?.get('reading.csv')?.metadata, { device: 'soilSensor3', 'x-source': 'rule' });
  const got = okValue<GetValue>(await invoke({ op: 'get', Bucket: 'data', Key: 'reading.csv' }));
  assert.equal(got.ContentType, 'text/csv');
  assert.deepEqual(got.Metadata, { device: 'soilSensor3', 'x-source': 'rule' });

  // A JSON body with an explicit content type keeps it.
  okValue(await invoke({ op: 'put', Bucket: 'data', Key: 'j', Body: { json: [1] }, ContentType: 'application/vnd.x+json' }));
  assert.equal(buckets.get('data')?.get('j')?.contentType, 'application/vnd.x+json');

  const tooMuch = failure(await invoke({ op: 'put', Bucket: 'data', Key: 'm', Body: { string: '' }, Metadata: { big: 'x'.repeat(2048) } }));
  assert.equal(tooMuch.type, 'MetadataTooLarge');
  const notString = failure(await invoke({ op: 'put', Bucket: 'data', Key: 'm', Body: { string: '' }, Metadata: { n: 1 } }));
  assert.equal(notString.type, 'TypeError');
  assert.match(notString.message, /Metadata\.n must be a string/);
  const badBody = failure(await invoke({ op: 'put', Bucket: 'data', Key: 'm', Body: { number: 5 } }));
  assert.equal(badBody.type, 'TypeError');
  assert.match(badBody.message, /Body must be a string, bytes/);
  assert.equal(buckets.get('data')?.has('m'), false);
});

test('a missing object rejects as NoSuchKey and a missing bucket as NoSuchBucket', async (t) => {
  const { services } = memoryServices();
  const { invoke } = await start(t, services);
  assert.deepEqual(okValue(await invoke({ op: 'error-name', Bucket: 'data', Key: 'nope' })), {
    name: 'NoSuchKey',
    isError: true,
    message: "object 'nope' not found in bucket 'data'",
  });
  const bucket = okValue<{ name: string }>(await invoke({ op: 'error-name', Bucket: 'missing', Key: 'k' }));
  assert.equal(bucket.name, 'NoSuchBucket');
  // Uncaught, it fails the invocation with that type.
  assert.equal(failure(await invoke({ op: 'get', Bucket: 'data', Key: 'nope' })).type, 'NoSuchKey');
  assert.equal(failure(await invoke({ op: 'put', Bucket: 'missing', Key: 'k', Body: { string: 'x' } })).type, 'NoSuchBucket');
});

test('sending a body does not disturb the Buffers that share its memory', async (t) => {
  const { services, buckets } = memoryServices();
  const { invoke } = await start(t, services);
  assert.deepEqual(okValue(await invoke({ op: 'pooled-buffers', Bucket: 'data' })), { after: 'helloworld', helloLength: 5 });
  assert.equal(buckets.get('data')?.get('pooled')?.body.toString(), 'hello');
  assert.equal(buckets.get('data')?.get('text')?.body.toString(), 'über');
});

test('bodies over 32 MiB are refused with EntityTooLarge, in the worker and on the main thread', async (t) => {
  const { services, buckets } = memoryServices();
  const { invoke } = await start(t, services);
  const put = failure(await invoke({ op: 'put', Bucket: 'data', Key: 'big', Body: { zeros: MAX_OBJECT_BYTES + 1 } }));
  assert.equal(put.type, 'EntityTooLarge');
  assert.match(put.message, /Body is 33554433 bytes, more than the limit of 33554432 bytes \(32 MiB\)/);
  // Exactly the limit is fine.
  okValue(await invoke({ op: 'put', Bucket: 'data', Key: 'max', Body: { zeros: MAX_OBJECT_BYTES } }));
  assert.equal(buckets.get('data')?.get('max')?.body.byteLength, MAX_OBJECT_BYTES);

  const raw = okValue<{ ok: boolean; error: { type: string } }>(await invoke({ op: 'raw-oversized-put', Bucket: 'data' }));
  assert.equal(raw.ok, false);
  assert.equal(raw.error.type, 'EntityTooLarge');
  assert.equal(buckets.get('data')?.has('big'), false);

  buckets.get('data')?.set('huge', { body: Buffer.alloc(MAX_OBJECT_BYTES + 1), contentType: 'x/y', lastModified: new Date() });
  const get = failure(await invoke({ op: 'get', Bucket: 'data', Key: 'huge' }));
  assert.equal(get.type, 'EntityTooLarge');
  assert.match(get.message, /s3\.getObject: object 'huge' in bucket 'data' is 33554433 bytes/);
});

test('through the fs object store, as the server wires it', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'sluice-sdk-s3-store-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const objects = createFsObjectStore(root);
  await objects.createBucket('rule-filter-bucket');
  const services: RuntimeServices = {
    publishNotification: async () => ({ messageId: 'm' }),
    publishMqtt: async () => {},
    putObject: (bucket, key, body, contentType, metadata) => objects.putObject(bucket, key, body, { contentType, ...(metadata ? { metadata } : {}) }),
    getObject: (bucket, key) => objects.getObject(bucket, key),
  };
  const { invoke } = await start(t, services);
  okValue(await invoke({ op: 'put', Bucket: 'rule-filter-bucket', Key: 'reports/r1.json', Body: { json: { ok: true } } }));
  assert.equal(await readFile(path.join(root, 'rule-filter-bucket', 'reports', 'r1.json'), 'utf8'), '{"ok":true}');

  // An object the s3 rule action (or anyone) wrote is readable from the function.
  await mkdir(path.join(root, 'rule-filter-bucket', 'devices'), { recursive: true });
  await objects.putObject('rule-filter-bucket', 'devices/soilSensor3', Buffer.from('{"humidity":29}'));
  const got = okValue<GetValue>(await invoke({ op: 'get', Bucket: 'rule-filter-bucket', Key: 'devices/soilSensor3' }));
  assert.equal(got.text, '{"humidity":29}');
  assert.equal(got.ContentLength, 15);
  assert.ok(got.LastModified);

  assert.equal(okValue<{ name: string }>(await invoke({ op: 'error-name', Bucket: 'rule-filter-bucket', Key: 'nope' })).name, 'NoSuchKey');
  assert.equal(okValue<{ name: string }>(await invoke({ op: 'error-name', Bucket: 'no-such-bucket', Key: 'k' })).name, 'NoSuchBucket');
});

test('without an object store wired, s3 calls reject clearly', async (t) => {
  const { invoke } = await start(t, { publishNotification: async () => ({ messageId: 'm' }), publishMqtt: async () => {} });
  const error = failure(await invoke({ op: 'get', Bucket: 'data', Key: 'k' }));
  assert.match(error.message, /s3\.getObject: no object store is wired/);
});

test('s3 outside a Sluice worker fails clearly instead of hanging', async () => {
  await assert.rejects(s3.putObject({ Bucket: 'b', Key: 'k', Body: 'x' }), /sluice\/runtime: s3\.putObject works only inside a function run by Sluice/);
  await assert.rejects(s3.getObject({ Bucket: 'b', Key: 'k' }), /sluice\/runtime: s3\.getObject works only inside a function run by Sluice/);
});

test("the SDK example in docs/functions.md runs: get settings, publish, publish MQTT, put a report", async (t) => {
  const doc = await readFile(new URL('../../docs/functions.md', import.meta.url), 'utf8');
  const example = /```ts\n(\/\/ functions\/humidity-report\.ts\n[\s\S]*?)```/.exec(doc)?.[1];
  assert.equal(example, await readFile(path.join(FIXTURES, 'humidity-report.ts'), 'utf8'), 'the fixture is the documented example');

  const { services, buckets } = memoryServices();
  const published: Array<{ topicArn: string; message: string }> = [];
  const mqtt: string[] = [];
  services.publishNotification = async (req) => {
    published.push(req);
    return { messageId: `msg-${published.length}` };
  };
  services.publishMqtt = async (req) => {
    mqtt.push(`${req.topic} ${req.payload.toString()}`);
  };
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-sdk-s3-'));
  const runtime = new FunctionRuntime({ dataDir, logger: silentLogger(), services });
  t.after(async () => {
    await runtime.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  await runtime.deploy(await fixture('humidity-report.ts', { environment: { alert_sns: 'humidity-alerts', reports_bucket: 'data' } }));

  // No settings object: the default threshold (30) applies, NoSuchKey is caught.
  assert.deepEqual(okValue(await runtime.invoke('humidity-report', { name: 'soilSensor3', humidity: 35 })), { alerted: false });
  buckets.get('data')?.set('settings/soilSensor3.json', {
    body: Buffer.from('{"threshold":40}'),
    contentType: 'application/json',
    lastModified: new Date(),
  });
  const result = await runtime.invoke('humidity-report', { name: 'soilSensor3', humidity: 35 }, { requestId: 'req-7' });
  const value = okValue<{ alerted: boolean; MessageId: string; ETag: string }>(result);
  assert.equal(value.alerted, true);
  assert.equal(value.MessageId, 'msg-1');
  assert.equal(published[0]?.message, 'Humidity 35 under threshold 40 for device name soilSensor3');
  assert.deepEqual(mqtt, ['alerts/soilSensor3 {"humidity":35}']);
  const report = buckets.get('data')?.get('alerts/soilSensor3/req-7.json');
  assert.ok(report);
  assert.deepEqual(JSON.parse(report.body.toString()), { name: 'soilSensor3', humidity: 35, threshold: 40, messageId: 'msg-1' });
  assert.equal(report.contentType, 'application/json');
  assert.deepEqual(report.metadata, { device: 'soilSensor3' });
  assert.equal(value.ETag, etag(report.body));
});
