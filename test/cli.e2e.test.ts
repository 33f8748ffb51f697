/**
 * The client commands against a real server, as a user runs them: deploy and
 * its plan, idempotency, bad stack files, destroy, mailbox, pub and sub.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT, SLUICE_BIN, SluiceServer, referenceStackCertDir, runCli } from './support/sluice-process.js';

let dataDir: string;
let workDir: string;
let server: SluiceServer;
const cli = (...args: string[]) => runCli(['--data', dataDir, ...args, ...(args[0] === 'deploy' ? referenceStackCertDir(args, dataDir) : [])]);

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-cli-data-'));
  workDir = await mkdtemp(join(tmpdir(), 'sluice-cli-work-'));
  server = await SluiceServer.start(dataDir, ['--insecure']);
});

after(async () => {
  if (server) await server.stop('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
  await rm(workDir, { recursive: true, force: true });
});

test('deploy prints its plan, and deploying again changes nothing', async () => {
  const first = await cli('deploy', 'stacks/soil-moisture.yaml', '--param', 'alertEmail=ops@example.org');
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /\+ create +rule +SoilHumidityTestRule/);
  assert.match(first.stdout, /\+ create +function +humidity-alert/);
  const second = await cli('deploy', 'stacks/soil-moisture.yaml', '--param', 'alertEmail=ops@example.org');
  assert.equal(second.code, 0, second.stderr);
  assert.doesNotMatch(second.stdout, /\+ create|~ update|- delete/);
  assert.match(second.stdout, /0 to create, 0 to update, 0 to delete/);

  const rules = JSON.parse((await cli('rules', '--json')).stdout) as Array<{ name: string }>;
  assert.deepEqual(rules.map((r) => r.name).sort(), ['SoilHumidityAlertRule', 'SoilHumidityReadingsRule', 'SoilHumidityTestRule']);
  const functions = JSON.parse((await cli('functions', 'list', '--json')).stdout) as Array<{ name: string }>;
  assert.deepEqual(functions.map((f) => f.name), ['humidity-alert']);
  const things = await cli('things');
  assert.match(things.stdout, /^serverless-iot-backend-thing +\S+ +location=greenhouse/m);
  const policies = JSON.parse((await cli('policies', '--json')).stdout) as Array<{ policyName: string; version: number }>;
  assert.deepEqual(policies.map((p) => [p.policyName, p.version]), [['serverless-iot-backend-policy', 1]]);
});

test('the dev mailbox holds the confirmation email, listed and shown by the CLI', async () => {
  const list = await cli('mailbox', '--json');
  assert.equal(list.code, 0, list.stderr);
  const messages = JSON.parse(list.stdout) as Array<{ id: string; to: string; subject: string }>;
  const confirmation = messages.find((m) => m.to === 'ops@example.org');
  assert.ok(confirmation, list.stdout);
  const shown = await cli('mailbox', 'show', confirmation.id);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /\/notify\/confirm\/[A-Za-z0-9_-]{40,}/);
});

test('a stack file with invalid SQL fails with file, line and field, and changes nothing deployed', async () => {
  const source = await readFile(join(REPO_ROOT, 'stacks/soil-moisture.yaml'), 'utf8');
  const bad = join(workDir, 'bad.yaml');
  await copyFile(join(REPO_ROOT, 'stacks/soil-moisture.yaml'), join(workDir, 'good.yaml'));
  await writeFile(bad, source.replace("WHERE humidity < 35", "WHERE humidity <").replace('../functions/', `${REPO_ROOT}/functions/`));
  const lineOfSql = source.split('\n').findIndex((l) => l.includes('WHERE humidity < 35')) + 1;
  const result = await cli('deploy', bad);
  assert.equal(result.code, 1);
  assert.match(result.stderr, new RegExp(`bad\\.yaml:${lineOfSql}:\\d+: rules\\.SoilHumidityAlertRule\\.sql: `));
  assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
  const rules = JSON.parse((await cli('rules', '--json')).stdout) as Array<{ name: string; sql: string }>;
  assert.equal(rules.find((r) => r.name === 'SoilHumidityAlertRule')?.sql, "SELECT * FROM 'device/+/devicePayload' WHERE humidity < 35");
});

test('a stack file with an unknown field or a YAML error names the line', async () => {
  const unknownField = join(workDir, 'unknown.yaml');
  await writeFile(unknownField, "stack: s1\nbuckets:\n  b-one: {}\nrules:\n  R:\n    sql: SELECT * FROM 'a'\n    acitons: []\n");
  const first = await cli('deploy', unknownField);
  assert.equal(first.code, 1);
  assert.match(first.stderr, /unknown\.yaml:7:\d+: rules\.R(\.acitons)?: .*acitons/);

  const brokenYaml = join(workDir, 'broken.yaml');
  await writeFile(brokenYaml, 'stack: s2\nbuckets:\n  b-one: {\n');
  const second = await cli('deploy', brokenYaml);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /broken\.yaml:\d+:\d+: /);
});

test('sub prints what pub publishes', async () => {
  const sub = spawn(process.execPath, [SLUICE_BIN, '--data', dataDir, 'sub', 'greenhouse/#', '--count', '1'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Listen for the exit now: sub may exit (after its one message) before pub does.
  const exited = once(sub, 'exit') as Promise<[number]>;
  let stdout = '';
  let stderr = '';
  sub.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  sub.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  while (!stderr.includes('subscribed to')) {
    assert.equal(sub.exitCode, null, stderr);
    await new Promise((r) => setTimeout(r, 50));
  }
  const pub = await cli('pub', 'greenhouse/north', '{"humidity":33}', '--qos', '1');
  assert.equal(pub.code, 0, pub.stderr);
  const [code] = await exited;
  assert.equal(code, 0, stderr);
  assert.equal(stdout.trim(), 'greenhouse/north  {"humidity":33}');
});

test('destroy refuses a non-empty bucket unless --empty-buckets, then removes everything', async () => {
  const pub = await cli('pub', 'device/soilSensor1/devicePayload', '{"name":"soilSensor1","humidity":40}', '--qos', '1');
  assert.equal(pub.code, 0, pub.stderr);
  await server.settle();
  const refused = await cli('destroy', 'soil-moisture');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /rule-filter-bucket.*not empty.*--empty-buckets/);
  assert.equal(JSON.parse((await cli('rules', '--json')).stdout).length, 3, 'nothing was deleted');

  const destroyed = await cli('destroy', 'soil-moisture', '--empty-buckets');
  assert.equal(destroyed.code, 0, destroyed.stderr);
  assert.match(destroyed.stdout, /- delete +bucket +rule-filter-bucket/);
  assert.deepEqual(JSON.parse((await cli('rules', '--json')).stdout), []);
  assert.deepEqual(JSON.parse((await cli('stacks', '--json')).stdout), []);
});

test('a client with no server to talk to says so', async () => {
  const result = await runCli(['--data', join(workDir, 'nowhere'), 'rules']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /no running server found.*endpoints\.json/);
});
