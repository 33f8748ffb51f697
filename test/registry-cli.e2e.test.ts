/**
 * The device registry from the command line, against a real server started
 * without --insecure: things, policies from a document file, certificates
 * written as the reference device reads them, the simulator over mutual TLS,
 * revocation, certificates issued by a stack deploy, and thing types.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SLUICE_BIN, SluiceServer, runCli } from './support/sluice-process.js';

let dataDir: string;
let workDir: string;
let server: SluiceServer;
const cli = (...args: string[]) => runCli(['--data', dataDir, ...args]);

const POLICY = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'Connect', Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/soilSensor*' },
    { Sid: 'PublishOwn', Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/device/${iot:ClientId}/devicePayload' },
  ],
};

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-registry-data-'));
  workDir = await mkdtemp(join(tmpdir(), 'sluice-registry-work-'));
  server = await SluiceServer.start(dataDir, ['--mqtts-port', '0', '--wss-port', '0']);
});

after(async () => {
  if (server) await server.stop('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
  await rm(workDir, { recursive: true, force: true });
});

interface CertificateListed {
  certificateId: string;
  status: string;
  things: string[];
  policyNames: string[];
}

async function certificates(...filter: string[]): Promise<CertificateListed[]> {
  const listed = await cli('certs', 'list', '--json', ...filter);
  assert.equal(listed.code, 0, listed.stderr);
  return JSON.parse(listed.stdout) as CertificateListed[];
}

/** `sluice sub` as the operator (admin token over ws), until `count` messages came. */
function subscribe(filter: string, count: number): { ready: Promise<void>; messages: Promise<string[]> } {
  const child = spawn(process.execPath, [SLUICE_BIN, '--data', dataDir, 'sub', filter, '--count', String(count), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('subscribed to')) resolve();
    });
    child.once('exit', () => reject(new Error(`sub exited early: ${stderr}`)));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const messages = once(child, 'exit').then(() => {
    clearTimeout(timer);
    return stdout.trim().split('\n').filter(Boolean);
  });
  return { ready, messages };
}

test('things: create with attributes, list (the bare command too), describe', async () => {
  const created = await cli('things', 'create', 'soil-thing', '--attr', 'location=greenhouse', '--attr', 'row=3');
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /^Created thing soil-thing \(arn:sluice:iot:local:000000000000:thing\/soil-thing\)$/m);
  const bare = await cli('things');
  assert.match(bare.stdout, /^soil-thing +- +location=greenhouse row=3/m);
  const json = JSON.parse((await cli('things', 'list', '--json')).stdout) as Array<{ thingName: string; attributes: Record<string, string> }>;
  assert.deepEqual(json.find((t) => t.thingName === 'soil-thing')?.attributes, { location: 'greenhouse', row: '3' });
  const described = await cli('things', 'describe', 'soil-thing');
  assert.match(described.stdout, /^Principals: +-$/m);
  const missing = await cli('things', 'describe', 'ghost');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no thing 'ghost' \[SLUICE_ERR_NOT_FOUND\]/);
});

test('policies create --document: a valid file is stored; a bad one names the file, line and field', async () => {
  const good = join(workDir, 'policy.json');
  await writeFile(good, JSON.stringify(POLICY, null, 2));
  const created = await cli('policies', 'create', 'soil-policy', '--document', good);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /Created policy soil-policy .*version 1/);
  const listed = JSON.parse((await cli('policies', '--json')).stdout) as Array<{ policyName: string; version: number }>;
  assert.deepEqual(listed.map((p) => [p.policyName, p.version]), [['soil-policy', 1]]);

  const bad = join(workDir, 'bad-policy.json');
  await writeFile(bad, JSON.stringify({ ...POLICY, Statement: [{ ...POLICY.Statement[0], Effect: 'allow' }] }, null, 2));
  const invalid = await cli('policies', 'create', 'bad-policy', '--document', bad);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /bad-policy\.json:6:\d+: Statement\[0\]\.Effect: Effect must be 'Allow' or 'Deny'.*\[SLUICE_ERR_REQUEST_INVALID\]/);
  const notJson = join(workDir, 'not-json.json');
  await writeFile(notJson, '{\n  "Version": "2012-10-17",\n}\n');
  const syntax = await cli('policies', 'create', 'bad-policy', '--document', notJson);
  assert.equal(syntax.code, 1);
  assert.match(syntax.stderr, /not-json\.json:3:1: not valid JSON/);
  const missingFile = await cli('policies', 'create', 'bad-policy', '--document', join(workDir, 'nope.json'));
  assert.match(missingFile.stderr, /nope\.json: cannot read the policy document: ENOENT/);
  assert.equal(JSON.parse((await cli('policies', '--json')).stdout).length, 1, 'nothing was created');
});

let certificateId: string;
let certDir: string;

test('certs create writes the three files; the certificate verifies against root-ca.pem and is ACTIVE', async () => {
  certDir = join(workDir, 'certs', 'soilSensor');
  const created = await cli('certs', 'create', '--thing', 'soil-thing', '--policy', 'soil-policy', '--out', certDir);
  assert.equal(created.code, 0, created.stderr);
  certificateId = /Created certificate ([0-9a-f]{64}) \(ACTIVE\), attached to thing soil-thing and policies soil-policy/.exec(created.stdout)?.[1] ?? '';
  assert.ok(certificateId, created.stdout);

  assert.deepEqual((await readdir(certDir)).sort(), ['certificate.pem.crt', 'private.pem.key', 'root-ca.pem']);
  assert.equal((await stat(join(certDir, 'private.pem.key'))).mode & 0o777, 0o600);
  assert.equal((await stat(join(certDir, 'certificate.pem.crt'))).mode & 0o777, 0o644);
  const certificate = new X509Certificate(await readFile(join(certDir, 'certificate.pem.crt')));
  const root = new X509Certificate(await readFile(join(certDir, 'root-ca.pem')));
  assert.ok(certificate.checkIssued(root) && certificate.verify(root.publicKey), 'issued and signed by root-ca.pem');
  assert.ok(certificate.checkPrivateKey(createPrivateKey(await readFile(join(certDir, 'private.pem.key')))));
  const shown = await cli('ca', 'show');
  assert.equal(shown.stdout.trim(), (await readFile(join(certDir, 'root-ca.pem'), 'utf8')).trim());

  const listed = await certificates();
  assert.deepEqual(listed.map((c) => [c.certificateId, c.status, c.things, c.policyNames]), [[certificateId, 'ACTIVE', ['soil-thing'], ['soil-policy']]]);
  assert.equal((await certificates('--thing', 'soil-thing')).length, 1);
  const table = await cli('certs', 'list');
  assert.match(table.stdout, /^ID +STATUS +THINGS +POLICIES +CREATED$/m);
  const described = await cli('things', 'describe', 'soil-thing');
  assert.match(described.stdout, new RegExp(`^  ${certificateId}  NON_EXCLUSIVE_THING$`, 'm'));

  const again = await cli('certs', 'create', '--thing', 'soil-thing', '--out', certDir);
  assert.equal(again.code, 1, 'never overwrites a private key unasked');
  assert.match(again.stderr, /private\.pem\.key exists|certificate\.pem\.crt exists/);
  assert.equal((await certificates()).length, 1, 'and creates nothing');
});

test('simulate --cert-dir connects over mutual TLS and its readings arrive', async () => {
  const sub = subscribe('device/+/devicePayload', 2);
  await sub.ready;
  const simulated = await cli('simulate', '--cert-dir', certDir, '--devices', '2', '--count', '1');
  assert.equal(simulated.code, 0, simulated.stderr);
  assert.match(simulated.stderr, /at mqtts:\/\/127\.0\.0\.1:\d+ \(mutual TLS\)/);
  const received = (await sub.messages).map((line) => JSON.parse(line) as { topic: string; payload: string });
  assert.deepEqual(received.map((m) => m.topic).sort(), ['device/soilSensor1/devicePayload', 'device/soilSensor2/devicePayload']);
  assert.equal((JSON.parse(received[0]?.payload ?? '{}') as { name?: string }).name?.startsWith('soilSensor'), true);

  // The policy allows client ids soilSensor* only.
  const refused = await cli('simulate', '--cert-dir', certDir, '--devices', '1', '--count', '1', '--prefix', 'intruder');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /device intruder1 could not connect.*Not authorized/);
});

test('certs revoke: REVOKED, final, and the device can no longer connect; delete --force cleans up', async () => {
  const revoked = await cli('certs', 'revoke', certificateId);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, /is REVOKED/);
  assert.equal((await certificates())[0]?.status, 'REVOKED');
  const reactivate = await cli('certs', 'activate', certificateId);
  assert.equal(reactivate.code, 1);
  assert.match(reactivate.stderr, /REVOKED.*\[SLUICE_ERR_CERTIFICATE_STATE\]/);
  const simulated = await cli('simulate', '--cert-dir', certDir, '--devices', '1', '--count', '1');
  assert.equal(simulated.code, 1);

  const attached = await cli('certs', 'delete', certificateId);
  assert.equal(attached.code, 1);
  assert.match(attached.stderr, /attached to thing\(s\) soil-thing.*\[SLUICE_ERR_IN_USE\]/);
  const forced = await cli('certs', 'delete', certificateId, '--force');
  assert.equal(forced.code, 0, forced.stderr);
  assert.deepEqual(await certificates(), []);
});

test('policies attach and detach by certificate id; things delete', async () => {
  const dir = join(workDir, 'certs', 'spare');
  const created = await cli('certs', 'create', '--out', dir, '--key-algorithm', 'EC-P256', '--json');
  assert.equal(created.code, 0, created.stderr);
  const spare = JSON.parse(created.stdout) as { certificateId: string; files: string[] };
  assert.ok(!created.stdout.includes('PRIVATE KEY'), '--json never prints the key');
  assert.equal(spare.files.length, 3);
  const attach = await cli('policies', 'attach', 'soil-policy', '--principal', spare.certificateId);
  assert.equal(attach.code, 0, attach.stderr);
  const described = await cli('policies', 'describe', 'soil-policy', '--json');
  assert.deepEqual((JSON.parse(described.stdout) as { targets: string[] }).targets, [spare.certificateId]);
  const inUse = await cli('policies', 'delete', 'soil-policy');
  assert.match(inUse.stderr, /\[SLUICE_ERR_IN_USE\]/);
  assert.equal((await cli('policies', 'detach', 'soil-policy', '--principal', spare.certificateId)).code, 0);
  assert.equal((await cli('things', 'delete', 'soil-thing')).code, 0);
  assert.equal((await cli('policies', 'delete', 'soil-policy')).code, 0);
  assert.equal((await cli('certs', 'delete', spare.certificateId, '--force')).code, 0);
});

test('a stack issues its certificate on the first deploy only, writing the files beside the stack file; destroy deletes it', async () => {
  const stackDir = join(workDir, 'stack');
  await mkdir(stackDir, { recursive: true });
  const stackFile = join(stackDir, 'sensors.yaml');
  await writeFile(
    stackFile,
    [
      'stack: sensors',
      'things:',
      '  sensor-thing: {}',
      'policies:',
      '  sensor-policy:',
      '    document:',
      `      ${JSON.stringify(POLICY)}`,
      'certificates:',
      '  sensor:',
      '    thing: sensor-thing',
      '    policies: [sensor-policy]',
      '    out: ./certs/sensor',
    ].join('\n'),
  );
  const first = await cli('deploy', stackFile);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /\+ create +certificate +sensor/);
  const out = join(stackDir, 'certs', 'sensor');
  assert.match(first.stdout, new RegExp(`issued certificate sensor [0-9a-f]{64}: wrote ${out}/certificate\\.pem\\.crt`));
  assert.equal((await stat(join(out, 'private.pem.key'))).mode & 0o777, 0o600);
  const issued = await readFile(join(out, 'certificate.pem.crt'), 'utf8');
  const listed = await certificates('--thing', 'sensor-thing');
  assert.equal(listed.length, 1);
  assert.equal(listed[0]?.status, 'ACTIVE');
  assert.deepEqual(listed[0]?.policyNames, ['sensor-policy']);
  assert.equal(new X509Certificate(issued).fingerprint256.replaceAll(':', '').toLowerCase(), listed[0]?.certificateId);

  const second = await cli('deploy', stackFile, '--json');
  assert.equal(second.code, 0, second.stderr);
  const result = JSON.parse(second.stdout) as { applied: boolean; certificates?: unknown[] };
  assert.equal(result.applied, false);
  assert.equal(result.certificates, undefined, 'no new certificate');
  assert.equal(await readFile(join(out, 'certificate.pem.crt'), 'utf8'), issued, 'the files are not rewritten');
  assert.equal((await certificates()).length, 1);

  const simulated = await cli('simulate', '--cert-dir', out, '--devices', '1', '--count', '1');
  assert.equal(simulated.code, 0, simulated.stderr);

  // A certificate attached by hand to the stack's thing and policy does not block destroy: it is detached, and stays.
  const manual = await cli('certs', 'create', '--thing', 'sensor-thing', '--policy', 'sensor-policy', '--out', join(workDir, 'certs', 'manual'), '--json');
  assert.equal(manual.code, 0, manual.stderr);
  const manualId = (JSON.parse(manual.stdout) as { certificateId: string }).certificateId;

  const destroyed = await cli('destroy', 'sensors');
  assert.equal(destroyed.code, 0, destroyed.stderr);
  assert.match(destroyed.stdout, /- delete +certificate +sensor/);
  assert.deepEqual(
    (await certificates()).map((c) => [c.certificateId, c.status, c.things, c.policyNames]),
    [[manualId, 'ACTIVE', [], []]],
  );
  assert.equal(JSON.parse((await cli('things', '--json')).stdout).length, 0);
  assert.equal(JSON.parse((await cli('policies', '--json')).stdout).length, 0);
});

test('thing types: create, a thing of the type, things list filters, deprecate, delete only when deprecated and unused', async () => {
  const created = await cli('thing-types', 'create', 'moisture-probe', '--description', 'soil moisture probes', '--searchable-attribute', 'site', '--searchable-attribute', 'row');
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /^Created thing type moisture-probe \(arn:sluice:iot:local:000000000000:thingtype\/moisture-probe\)$/m);
  const same = await cli('thing-types', 'create', 'moisture-probe', '--description', 'soil moisture probes', '--searchable-attribute', 'site', '--searchable-attribute', 'row');
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /already exists with these properties/);
  const other = await cli('thing-types', 'create', 'moisture-probe', '--description', 'something else');
  assert.equal(other.code, 1);
  assert.match(other.stderr, /already exists with other properties.*\[SLUICE_ERR_ALREADY_EXISTS\]/);
  const updated = await cli('thing-types', 'update', 'moisture-probe', '--description', 'soil moisture probes, v2', '--searchable-attribute', 'site', '--searchable-attribute', 'row');
  assert.equal(updated.code, 0, updated.stderr);
  assert.match(updated.stdout, /^Updated thing type moisture-probe$/m);
  const tooMany = await cli('thing-types', 'create', 'crowded', '--searchable-attribute', 'a', '--searchable-attribute', 'b', '--searchable-attribute', 'c', '--searchable-attribute', 'd');
  assert.equal(tooMany.code, 1);
  assert.match(tooMany.stderr, /thingTypeProperties\.searchableAttributes: at most 3 searchable attributes/);

  const table = await cli('thing-types');
  assert.match(table.stdout, /^NAME +STATUS +SEARCHABLE +DESCRIPTION$/m);
  assert.match(table.stdout, /^moisture-probe +active +site,row +soil moisture probes, v2$/m);
  const listed = JSON.parse((await cli('thing-types', 'list', '--json')).stdout) as Array<{ thingTypeName: string; thingTypeProperties: { searchableAttributes: string[] } }>;
  assert.deepEqual(listed.map((t) => [t.thingTypeName, t.thingTypeProperties.searchableAttributes]), [['moisture-probe', ['site', 'row']]]);

  const typed = await cli('things', 'create', 'probe-1', '--type', 'moisture-probe', '--attr', 'site=north-field');
  assert.equal(typed.code, 0, typed.stderr);
  assert.equal((await cli('things', 'create', 'probe-2', '--attr', 'site=north-barn')).code, 0);
  const unknownType = await cli('things', 'create', 'probe-x', '--type', 'no-such-type');
  assert.equal(unknownType.code, 1);
  assert.match(unknownType.stderr, /thingTypeName: no thing type named 'no-such-type'; create it first \[SLUICE_ERR_REQUEST_INVALID\]/);

  const thingNames = async (...filter: string[]) => {
    const result = await cli('things', 'list', '--json', ...filter);
    assert.equal(result.code, 0, result.stderr);
    return (JSON.parse(result.stdout) as Array<{ thingName: string }>).map((t) => t.thingName).sort();
  };
  assert.deepEqual(await thingNames('--type', 'moisture-probe'), ['probe-1']);
  assert.deepEqual(await thingNames('--attribute', 'site=north', '--prefix'), ['probe-1', 'probe-2']);
  assert.deepEqual(await thingNames('--attribute', 'site=north-barn'), ['probe-2']);
  assert.deepEqual(await thingNames('--attribute', 'site', '--type', 'moisture-probe'), ['probe-1']);
  const prefixAlone = await cli('things', 'list', '--prefix');
  assert.equal(prefixAlone.code, 1);
  assert.match(prefixAlone.stderr, /--prefix needs --attribute NAME=VALUE/);
  assert.match((await cli('things', 'list', '--type', 'moisture-probe')).stdout, /^probe-1 +moisture-probe +site=north-field/m);

  const shown = await cli('thing-types', 'show', 'moisture-probe');
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /^Searchable: +site, row$/m);
  assert.match(shown.stdout, /^Status: +active$/m);
  assert.match(shown.stdout, /^Things: +1$/m);

  const deprecated = await cli('thing-types', 'deprecate', 'moisture-probe');
  assert.equal(deprecated.code, 0, deprecated.stderr);
  assert.match(deprecated.stdout, /Thing type moisture-probe is deprecated \(deprecated since \d{4}-/);
  const refused = await cli('things', 'create', 'probe-3', '--type', 'moisture-probe');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /thing type 'moisture-probe' is deprecated .*a deprecated type takes no new things \[SLUICE_ERR_REQUEST_INVALID\]/);
  const described = JSON.parse((await cli('thing-types', 'describe', 'moisture-probe', '--json')).stdout) as { thingTypeMetadata: { deprecated: boolean } };
  assert.equal(described.thingTypeMetadata.deprecated, true);

  const inUse = await cli('thing-types', 'delete', 'moisture-probe');
  assert.equal(inUse.code, 1);
  assert.match(inUse.stderr, /1 thing\(s\) still have it \(probe-1\).*\[SLUICE_ERR_IN_USE\]/);
  // Re-created without --type, the thing no longer has the type.
  assert.equal((await cli('things', 'create', 'probe-1', '--attr', 'site=north-field')).code, 0);
  assert.deepEqual(await thingNames('--type', 'moisture-probe'), []);

  const undone = await cli('thing-types', 'deprecate', 'moisture-probe', '--undo');
  assert.equal(undone.code, 0, undone.stderr);
  assert.match(undone.stdout, /no longer deprecated/);
  const notDeprecated = await cli('thing-types', 'delete', 'moisture-probe');
  assert.equal(notDeprecated.code, 1);
  assert.match(notDeprecated.stderr, /deprecate it first.*\[SLUICE_ERR_IN_USE\]/);
  assert.equal((await cli('thing-types', 'deprecate', 'moisture-probe')).code, 0);
  const deleted = await cli('thing-types', 'delete', 'moisture-probe');
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(deleted.stdout, /^Deleted thing type moisture-probe$/m);
  const gone = await cli('thing-types', 'show', 'moisture-probe');
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /no thing type named 'moisture-probe' \[SLUICE_ERR_NOT_FOUND\]/);
  assert.deepEqual(JSON.parse((await cli('thing-types', '--json')).stdout), []);

  assert.equal((await cli('things', 'delete', 'probe-1')).code, 0);
  assert.equal((await cli('things', 'delete', 'probe-2')).code, 0);
});
