/**
 * The reference scenario in secure mode: `sluice up --stack soil-moisture.yaml
 * --simulate` without --insecure issues the stack's certificate for the
 * simulator, writes its files beside the stack file, and the sensors connect
 * over mutual TLS with it, as the reference's device does; a restart reuses it.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { REPO_ROOT, SluiceServer, runCli } from './support/sluice-process.js';

const dirs: string[] = [];
const servers: SluiceServer[] = [];
after(async () => {
  for (const server of servers) await server.stop('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function waitForDevices(deviceDir: string, count: number, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let devices: string[] = [];
  while (Date.now() < deadline) {
    devices = (await readdir(deviceDir).catch(() => [] as string[])).sort();
    if (devices.length >= count) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return devices;
}

test('up --simulate without --insecure: the sensors connect with the certificate the stack issued', async () => {
  const root = await mkdtemp(join(tmpdir(), 'sluice-secure-sim-'));
  dirs.push(root);
  const dataDir = join(root, 'data');
  // A copy of the reference stack, so its certificate files (../data/certs/simulator, relative to it) land in this test's directory.
  await mkdir(join(root, 'stacks'));
  const source = await readFile(join(REPO_ROOT, 'stacks', 'soil-moisture.yaml'), 'utf8');
  const stackFile = join(root, 'stacks', 'soil-moisture.yaml');
  await writeFile(stackFile, source.replace('../functions/', `${REPO_ROOT}/functions/`));

  const args = ['--stack', stackFile, '--simulate', '--mqtts-port', '0', '--wss-port', '0'];
  const server = await SluiceServer.start(dataDir, args);
  servers.push(server);
  assert.equal(server.endpoints.mqtt, undefined, 'no plaintext listener');
  const certDir = join(root, 'data', 'certs', 'simulator');
  assert.deepEqual((await readdir(certDir)).sort(), ['certificate.pem.crt', 'private.pem.key', 'root-ca.pem']);
  assert.equal((await stat(join(certDir, 'private.pem.key'))).mode & 0o777, 0o600);

  const deviceDir = join(dataDir, 'buckets', 'rule-filter-bucket', 'device');
  assert.deepEqual(await waitForDevices(deviceDir, 3), ['soilSensor1', 'soilSensor2', 'soilSensor3']);
  assert.match(server.stdout, /Simulating soilSensor1, soilSensor2, soilSensor3 \(stack soil-moisture\) every 30s, QoS 1, over mutual TLS with certificate simulator/);

  const listed = await runCli(['--data', dataDir, 'certs', 'list', '--json']);
  const certificates = JSON.parse(listed.stdout) as Array<{ certificateId: string; status: string; things: string[]; policyNames: string[] }>;
  assert.deepEqual(
    certificates.map((c) => [c.status, c.things, c.policyNames]),
    [['ACTIVE', ['serverless-iot-backend-thing'], ['serverless-iot-backend-policy']]],
  );
  const issued = await readFile(join(certDir, 'certificate.pem.crt'), 'utf8');
  assert.equal(await server.stop('SIGTERM'), 0);

  // A restart deploys the same file again: nothing new is issued, and the sensors connect with the same certificate.
  await rm(join(dataDir, 'buckets', 'rule-filter-bucket', 'device'), { recursive: true, force: true });
  const again = await SluiceServer.start(dataDir, args);
  servers.push(again);
  assert.deepEqual(await waitForDevices(deviceDir, 3), ['soilSensor1', 'soilSensor2', 'soilSensor3']);
  assert.equal(await readFile(join(certDir, 'certificate.pem.crt'), 'utf8'), issued);
  const after = JSON.parse((await runCli(['--data', dataDir, 'certs', 'list', '--json'])).stdout) as unknown[];
  assert.equal(after.length, 1);
  assert.equal(await again.stop('SIGTERM'), 0);
});
