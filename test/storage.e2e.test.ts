/**
 * The object store end to end: a real MQTT client publishes, the `s3` action
 * stores the message (fs, and an S3 bucket on a real S3 protocol server,
 * s3rver), with its content type and metadata; the API and the CLI browse
 * and download it byte for byte; `--s3-*` makes S3 every bucket's default.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import mqtt from 'mqtt';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from '../src/storage/s3rver.test-support.js';
import { REPO_ROOT, SLUICE_BIN, SluiceServer, runCli } from './support/sluice-process.js';
import { waitFor } from './support/wait.js';

const STACK = `
stack: storage-e2e
parameters:
  s3Endpoint: {}
  s3Secret: {}
buckets:
  local-objects:
  remote-objects:
    driver: s3
    endpoint: \${param:s3Endpoint}
    region: us-east-1
    forcePathStyle: true
    accessKeyId: S3RVER
    secretAccessKey: \${param:s3Secret}
rules:
  StoreReadings:
    sql: SELECT * FROM 'device/+/devicePayload'
    actions:
      - s3: { bucket: local-objects, key: '\${topic()}/\${timestamp()}', contentType: application/json }
      - s3: { bucket: remote-objects, key: 'readings/\${clientid()}/\${timestamp()}' }
  StoreBinary:
    # The bucket is a template too: the first topic level names it.
    sql: SELECT * FROM '+/bin'
    actions:
      - s3: { bucket: '\${topic(1)}', key: 'bin/\${clientid()}' }
`;

/** `sluice ...` with stdout as bytes, for `objects get`. */
async function cliBytes(args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const child = spawn(process.execPath, [SLUICE_BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout: Buffer.concat(chunks), stderr };
}

function s3Client(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
}

describe('per-bucket drivers from the stack file', () => {
  let s3rver: RunningS3rver;
  let dataDir: string;
  let workDir: string;
  let server: SluiceServer;
  const cli = (...args: string[]) => runCli(['--data', dataDir, ...args]);

  before(async () => {
    s3rver = await startS3rver();
    dataDir = await mkdtemp(join(tmpdir(), 'sluice-storage-data-'));
    workDir = await mkdtemp(join(tmpdir(), 'sluice-storage-work-'));
    await writeFile(join(workDir, 'stack.yaml'), STACK);
    server = await SluiceServer.start(dataDir, ['--insecure']);
    const deployed = await cli('deploy', join(workDir, 'stack.yaml'), '--param', `s3Endpoint=${s3rver.endpoint}`, '--param', 's3Secret=S3RVER');
    assert.equal(deployed.code, 0, deployed.stderr);
  });

  after(async () => {
    if (server) await server.stop('SIGKILL');
    await s3rver?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(workDir, { recursive: true, force: true });
  });

  test('a published reading lands in both buckets with its content type and metadata (topic, client id, timestamp)', async () => {
    const device = await mqtt.connectAsync(server.endpoints.mqtt ?? '', { clientId: 'soilSensor3', reconnectPeriod: 0 });
    const payload = '{"name":"soilSensor3","humidity":29,"timeStampEpoch":1598536072677,"timeStampIso":"2020-08-27T13:47:52.677721"}';
    const before = Date.now();
    await device.publishAsync('device/soilSensor3/devicePayload', payload, { qos: 1 });
    await device.endAsync();
    await server.settle();

    // fs, through the API.
    const listing = await server.api<{ objects: Array<{ key: string; size: number }>; isTruncated: boolean }>(
      '/api/v1/buckets/local-objects/objects?prefix=device/soilSensor3/',
    );
    assert.equal(listing.objects.length, 1);
    const key = listing.objects[0]?.key ?? '';
    assert.match(key, /^device\/soilSensor3\/devicePayload\/\d{13}$/);
    const timestamp = Number(key.split('/').at(-1));
    assert.ok(timestamp >= before - 1000 && timestamp <= Date.now());
    const download = await fetch(`${server.endpoints.http}/api/v1/buckets/local-objects/objects/${key}`);
    assert.equal(download.status, 200);
    assert.equal(await download.text(), payload);
    assert.equal(download.headers.get('content-type'), 'application/json');
    assert.equal(download.headers.get('x-amz-meta-topic'), 'device/soilSensor3/devicePayload');
    assert.equal(download.headers.get('x-amz-meta-clientid'), 'soilSensor3');
    assert.equal(download.headers.get('x-amz-meta-timestamp'), String(timestamp));

    // S3, read with the AWS SDK straight from the S3 server: what any S3 client sees.
    const client = s3Client(s3rver.endpoint);
    try {
      const object = await client.send(new GetObjectCommand({ Bucket: 'remote-objects', Key: `readings/soilSensor3/${timestamp}` }));
      assert.equal(await object.Body?.transformToString(), payload);
      assert.equal(object.ContentType, 'application/octet-stream');
      assert.deepEqual(object.Metadata, { topic: 'device/soilSensor3/devicePayload', clientid: 'soilSensor3', timestamp: String(timestamp) });
    } finally {
      client.destroy();
    }
  });

  test('binary payloads are stored byte for byte, in the bucket the topic names, and `objects get` prints them exactly', async () => {
    const payload = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
    const device = await mqtt.connectAsync(server.endpoints.mqtt ?? '', { clientId: 'camera-1', reconnectPeriod: 0 });
    await device.publishAsync('local-objects/bin', payload, { qos: 1 });
    await device.publishAsync('remote-objects/bin', payload, { qos: 1 });
    await device.endAsync();
    await server.settle();
    for (const bucket of ['local-objects', 'remote-objects']) {
      const got = await cliBytes(['--data', dataDir, 'objects', 'get', bucket, 'bin/camera-1']);
      assert.equal(got.code, 0, got.stderr);
      assert.ok(got.stdout.equals(payload), `${bucket}: ${got.stdout.length} bytes`);
    }
    const client = s3Client(s3rver.endpoint);
    try {
      const object = await client.send(new GetObjectCommand({ Bucket: 'remote-objects', Key: 'bin/camera-1' }));
      assert.ok(Buffer.from((await object.Body?.transformToByteArray()) ?? []).equals(payload));
    } finally {
      client.destroy();
    }
  });

  test('the CLI lists buckets with their driver and a bucket\'s keys; errors name the bucket or key', async () => {
    const buckets = await cli('buckets', 'list', '--json');
    assert.equal(buckets.code, 0, buckets.stderr);
    const list = JSON.parse(buckets.stdout) as Array<{ name: string; driver: string }>;
    assert.deepEqual(list.filter((b) => b.name.endsWith('-objects')), [{ name: 'local-objects', driver: 'fs' }, { name: 'remote-objects', driver: 's3' }]);
    const table = await cli('buckets');
    assert.match(table.stdout, /^remote-objects +s3$/m);

    const ls = await cli('objects', 'ls', 'remote-objects', '--prefix', 'bin/', '--json');
    assert.equal(ls.code, 0, ls.stderr);
    assert.deepEqual((JSON.parse(ls.stdout) as Array<{ key: string; size: number }>).map((o) => [o.key, o.size]), [['bin/camera-1', 256]]);
    const lsTable = await cli('objects', 'ls', 'local-objects');
    assert.match(lsTable.stdout, /^KEY +SIZE +LAST MODIFIED$/m);
    assert.match(lsTable.stdout, /^bin\/camera-1 +256 +\d{4}-\d\d-\d\dT/m);

    const missing = await cli('objects', 'get', 'local-objects', 'no/such/key');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /SLUICE_ERR_OBJECT_NOT_FOUND/);
    const noBucket = await cli('objects', 'ls', 'no-such-bucket');
    assert.equal(noBucket.code, 1);
    assert.match(noBucket.stderr, /no-such-bucket.*SLUICE_ERR_BUCKET_NOT_FOUND/);
  });

  test('listing pages through more keys than one page, via the CLI and the API', async () => {
    const client = s3Client(s3rver.endpoint);
    // Straight into the S3 bucket, as another writer would.
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    try {
      for (let i = 0; i < 1_050; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, (_, j) => client.send(new PutObjectCommand({ Bucket: 'remote-objects', Key: `many/${String(i + j).padStart(4, '0')}`, Body: 'x' }))),
        );
      }
    } finally {
      client.destroy();
    }
    const ls = await cli('objects', 'ls', 'remote-objects', '--prefix', 'many/', '--json');
    assert.equal(ls.code, 0, ls.stderr);
    const keys = (JSON.parse(ls.stdout) as Array<{ key: string }>).map((o) => o.key);
    assert.equal(keys.length, 1_050);
    assert.deepEqual(keys, [...keys].sort());
    const page = await server.api<{ objects: unknown[]; isTruncated: boolean; nextStartAfter: string }>('/api/v1/buckets/remote-objects/objects?prefix=many/&limit=1000');
    assert.equal(page.objects.length, 1000);
    assert.equal(page.isTruncated, true);
    assert.equal(page.nextStartAfter, 'many/0999');
  });

  test('the stacks API never shows a bucket\'s secret key', async () => {
    const stack = await server.api<{ resources: Array<{ kind: string; name: string; spec: { credentials?: Record<string, string> } }> }>('/api/v1/stacks/storage-e2e');
    const remote = stack.resources.find((r) => r.kind === 'bucket' && r.name === 'remote-objects');
    assert.deepEqual(remote?.spec.credentials, { accessKeyId: 'S3RVER', secretAccessKey: 'REDACTED' });
    assert.doesNotMatch(server.stdout + server.stderr, /NodeVersionSupportWarning/);
  });
});

describe('--s3-endpoint: every bucket defaults to S3', () => {
  let s3rver: RunningS3rver;
  let dataDir: string;
  let workDir: string;
  let server: SluiceServer;
  const cli = (...args: string[]) => runCli(['--data', dataDir, ...args]);

  before(async () => {
    s3rver = await startS3rver();
    dataDir = await mkdtemp(join(tmpdir(), 'sluice-storage-s3-data-'));
    workDir = await mkdtemp(join(tmpdir(), 'sluice-storage-s3-work-'));
    await writeFile(
      join(workDir, 'stack.yaml'),
      `stack: s3-default
buckets:
  rule-filter-bucket:
  kept-local:
    driver: fs
rules:
  SoilHumidityTestRule:
    sql: SELECT * FROM 'device/+/devicePayload'
    actions:
      - s3: { bucket: rule-filter-bucket, key: '\${topic()}/\${timestamp()}' }
      - s3: { bucket: kept-local, key: '\${topic()}' }
`,
    );
    server = await SluiceServer.start(dataDir, ['--insecure', '--s3-endpoint', s3rver.endpoint, '--s3-force-path-style', '--stack', join(workDir, 'stack.yaml')], {
      env: { SLUICE_S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, SLUICE_S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey },
    });
  });

  after(async () => {
    if (server) await server.stop('SIGKILL');
    await s3rver?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(workDir, { recursive: true, force: true });
  });

  test('the reference rule writes to S3, a bucket with driver: fs stays local, and start-up prints neither the secret nor the SDK\'s warning', async () => {
    const device = await mqtt.connectAsync(server.endpoints.mqtt ?? '', { clientId: 'soilSensor1', reconnectPeriod: 0 });
    await device.publishAsync('device/soilSensor1/devicePayload', '{"humidity":31}', { qos: 1 });
    await device.endAsync();
    await server.settle();
    const list = JSON.parse((await cli('buckets', '--json')).stdout) as Array<{ name: string; driver: string }>;
    assert.deepEqual(list, [{ name: 'kept-local', driver: 'fs' }, { name: 'rule-filter-bucket', driver: 's3' }]);
    const key = await waitFor('the object in S3', async () => {
      const ls = JSON.parse((await cli('objects', 'ls', 'rule-filter-bucket', '--json')).stdout) as Array<{ key: string }>;
      return ls[0]?.key;
    });
    const client = s3Client(s3rver.endpoint);
    try {
      const object = await client.send(new GetObjectCommand({ Bucket: 'rule-filter-bucket', Key: key }));
      assert.equal(await object.Body?.transformToString(), '{"humidity":31}');
      assert.equal(object.Metadata?.clientid, 'soilSensor1');
    } finally {
      client.destroy();
    }
    const local = await cli('objects', 'get', 'kept-local', 'device/soilSensor1/devicePayload');
    assert.equal(local.stdout, '{"humidity":31}');
    assert.match(server.stdout, /Buckets are kept in S3 at http:\/\/127\.0\.0\.1:\d+ \(path-style, key S3RVER\)/);
    assert.doesNotMatch(server.stdout + server.stderr, /NodeVersionSupportWarning/);
    assert.doesNotMatch(server.stdout + server.stderr, /secretAccessKey|S3RVER"/);
  });
});

test('a bucket\'s lifecycle rules expire old objects when the server starts, and leave objects under no rule', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-storage-lifecycle-'));
  const stackFile = join(dataDir, 'lifecycle.yaml');
  await writeFile(stackFile, 'stack: lifecycle\nbuckets:\n  aged-objects:\n    lifecycle:\n      - prefix: old/\n        expireAfterDays: 1\n');
  let server: SluiceServer | undefined;
  try {
    server = await SluiceServer.start(dataDir, ['--insecure', '--stack', stackFile]);
    assert.equal(await server.stop('SIGTERM'), 0);
    // Objects as the fs driver keeps them, last written three days ago.
    const bucket = join(dataDir, 'buckets', 'aged-objects');
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000);
    for (const key of ['old/a', 'old/b/c', 'new/a']) {
      const file = join(bucket, ...key.split('/'));
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, key);
      await utimes(file, threeDaysAgo, threeDaysAgo);
    }
    server = await SluiceServer.start(dataDir, ['--insecure', '--stack', stackFile]);
    const remaining = await waitFor('the sweep at start', async () => {
      const ls = await runCli(['--data', dataDir, 'objects', 'ls', 'aged-objects', '--json']);
      const keys = (JSON.parse(ls.stdout) as Array<{ key: string }>).map((o) => o.key);
      return keys.length === 1 ? keys : undefined;
    });
    assert.deepEqual(remaining, ['new/a']);
  } finally {
    if (server) await server.stop('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('stack file errors in a bucket point at its line and field', async () => {
  const workDir = await mkdtemp(join(tmpdir(), 'sluice-storage-bad-'));
  try {
    const cases: Array<[string, RegExp]> = [
      ['buckets:\n  b-one:\n    driver: ftp\n', /stack\.yaml:4:13: buckets\.b-one\.driver: driver must be fs or s3/],
      ['buckets:\n  b-one:\n    lifecycle:\n      - prefix: logs/\n        expireAfterDays: 0\n', /stack\.yaml:6:26: buckets\.b-one\.lifecycle\[0\]\.expireAfterDays: expireAfterDays must be at least 1/],
      ['buckets:\n  b-one:\n    driver: fs\n    endpoint: http://127.0.0.1:9000\n', /stack\.yaml:5:15: buckets\.b-one\.endpoint: endpoint applies to driver s3 only/],
      ['buckets:\n  b-one:\n    accessKeyId: AK\n', /buckets\.b-one\.secretAccessKey: give both accessKeyId and secretAccessKey/],
      ['buckets:\n  b-one:\n    lifecycle:\n      - expireAfterDay: 3\n', /stack\.yaml:5:9: buckets\.b-one\.lifecycle\[0\]\.expireAfterDay: unknown field/],
    ];
    for (const [yaml, expected] of cases) {
      const file = join(workDir, 'stack.yaml');
      await writeFile(file, `stack: bad-buckets\n${yaml}`);
      const result = await runCli(['test', file]);
      assert.equal(result.code, 2, `${yaml}\n${result.stdout}${result.stderr}`);
      assert.match(result.stderr, expected, yaml);
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
});
