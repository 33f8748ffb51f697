/** Stack certificates: the schema, references, issuing once, delivering the key once, attachments on update, destroy. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SluiceError, silentLogger } from '../core/index.js';
import { createMemoryStateStore } from '../state/index.js';
import { parseStack, simulatorCertificate, StackService, type StackDeployRequest } from './index.js';
import { markLocalRequest } from './local-request.js';
import { recordingTarget } from './test-helpers.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const POLICY = [
  'policies:',
  '  sensor-policy:',
  '    document:',
  "      Version: '2012-10-17'",
  '      Statement:',
  '        - Effect: Allow',
  '          Action: iot:Connect',
  "          Resource: 'arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName}'",
];

function stackSource(certificates: string[], extra: string[] = []): string {
  return ['stack: certs', 'things:', '  sensor-thing: {}', ...POLICY, ...extra, 'certificates:', ...certificates].join('\n');
}

const ONE = ['  sensor:', '    thing: sensor-thing', '    policies: [sensor-policy]', '    out: ./certs/sensor'];

function setup() {
  const target = recordingTarget();
  const state = createMemoryStateStore();
  const service = new StackService({ state, target, logger: silentLogger() });
  return { target, state, service };
}

function request(source: string): StackDeployRequest {
  return { fileName: 'stacks/certs.yaml', source, params: {}, functions: {} };
}

function place(run: () => unknown): { code: string; line?: number; field?: string; message: string } {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof SluiceError, String(error));
    return { code: error.code, message: error.message, ...(error.place?.line !== undefined ? { line: error.place.line } : {}), ...(error.place?.field ? { field: error.place.field } : {}) };
  }
  assert.fail('expected an error');
}

test('a certificate names its thing, policies, out directory and key algorithm (RSA-2048 by default)', () => {
  const stack = parseStack({ fileName: 'c.yaml', source: stackSource([...ONE, '  spare:', '    out: ../spare', '    keyAlgorithm: EC-P256']) }, {});
  assert.deepEqual(stack.certificates, {
    sensor: { thing: 'sensor-thing', policies: ['sensor-policy'], out: './certs/sensor', keyAlgorithm: 'RSA-2048' },
    spare: { policies: [], out: '../spare', keyAlgorithm: 'EC-P256' },
  });
});

test('certificate mistakes point at the line and field', () => {
  const table: Array<{ certificates: string[]; line: number; field: string; message: RegExp; code?: string }> = [
    { certificates: ['  sensor:', '    thing: sensor-thing'], line: 13, field: 'certificates.sensor.out', message: /missing required field 'out'/ },
    { certificates: ['  sensor:', '    thing: ghost', '    out: x'], line: 14, field: 'certificates.sensor.thing', message: /unknown thing 'ghost'/, code: 'SLUICE_ERR_STACK_REFERENCE' },
    { certificates: ['  sensor:', '    policies: [sensor-policy, sensorpolicy]', '    out: x'], line: 14, field: 'certificates.sensor.policies[1]', message: /unknown policy 'sensorpolicy'.*did you mean 'sensor-policy'/, code: 'SLUICE_ERR_STACK_REFERENCE' },
    { certificates: ['  sensor:', '    policies: [sensor-policy, sensor-policy]', '    out: x'], line: 14, field: 'certificates.sensor.policies[1]', message: /listed twice/ },
    { certificates: ['  sensor:', '    out: x', '    keyAlgorithm: RSA-1024'], line: 15, field: 'certificates.sensor.keyAlgorithm', message: /RSA-2048, EC-P256/ },
    { certificates: ['  sensor:', '    out: x', '    polices: []'], line: 15, field: 'certificates.sensor.polices', message: /did you mean 'policies'/ },
    { certificates: ['  bad name:', '    out: x'], line: 13, field: 'certificates.bad name', message: /certificate names/ },
  ];
  for (const row of table) {
    const error = place(() => parseStack({ fileName: 'c.yaml', source: stackSource(row.certificates) }, {}));
    assert.equal(error.code, row.code ?? 'SLUICE_ERR_STACK_INVALID', row.field);
    assert.equal(error.line, row.line, `${row.field}: ${error.message}`);
    assert.equal(error.field, row.field);
    assert.match(error.message, row.message);
  }
});

test('stack policies are checked by the registry\'s policy engine, with the line of the field', () => {
  const typo = stackSource(ONE).replace('Action: iot:Connect', 'Action: iot:Conect');
  const error = place(() => parseStack({ fileName: 'c.yaml', source: typo }, {}));
  assert.equal(error.field, 'policies.sensor-policy.document.Statement[0].Action');
  assert.equal(error.line, 10);
  assert.match(error.message, /iot:Connect/);
  // What the engine accepts, the stack accepts: conditions, NotAction, one statement as an object.
  const rich = [
    'stack: rich',
    'policies:',
    '  p:',
    '    document:',
    "      Version: '2012-10-17'",
    '      Statement:',
    '        Effect: Deny',
    '        NotAction: iot:Connect',
    "        Resource: '*'",
    '        Condition:',
    '          Bool: { iot:Connection.Thing.IsAttached: false }',
  ].join('\n');
  assert.ok(parseStack({ fileName: 'r.yaml', source: rich }, {}).policies.p);
  // Thing types and attribute names as AWS IoT has them.
  const things = parseStack({ fileName: 't.yaml', source: 'stack: t\nthingTypes:\n  soil: {}\nthings:\n  t1:\n    thingTypeName: soil\n    attributes: { room: shed }\n' }, {});
  assert.deepEqual(things.things.t1, { attributes: { room: 'shed' }, thingTypeName: 'soil' });
  const badAttribute = place(() => parseStack({ fileName: 't.yaml', source: 'stack: t\nthings:\n  t1:\n    attributes: { "a b": x }\n' }, {}));
  assert.equal(badAttribute.field, 'things.t1.attributes.a b');
});

test('the first deploy issues the certificate and answers its key; redeploys keep it and issue nothing', async () => {
  const { target, service } = setup();
  const first = await service.deploy(request(stackSource(ONE)));
  assert.deepEqual(target.calls, ['putPolicy sensor-policy', 'putThing sensor-thing', 'putCertificate sensor issue']);
  assert.equal(first.certificates?.length, 1);
  const issued = first.certificates?.[0];
  assert.equal(issued?.name, 'sensor');
  assert.equal(issued?.privateKeyPem, 'KEY 1');
  assert.equal(issued?.rootCaPem, 'ROOT');
  assert.equal(issued?.out, './certs/sensor');
  assert.deepEqual(issued?.policies, ['sensor-policy']);
  assert.equal(issued?.files, undefined, 'over HTTP the client writes the files');
  const record = await service.get('certs');
  const resource = record?.resources.find((r) => r.kind === 'certificate');
  assert.equal(resource?.kind === 'certificate' ? resource.certificateId : undefined, issued?.certificateId, 'the record remembers the id');
  assert.ok(!JSON.stringify(record).includes('KEY 1'), 'the record never holds the key');

  target.calls.length = 0;
  const again = await service.deploy(request(stackSource(ONE)));
  assert.equal(again.applied, false);
  assert.equal(again.certificates, undefined);
  assert.deepEqual(target.calls, []);

  // A change to the certificate's attachments is an update of the same certificate.
  const morePolicies = stackSource(['  sensor:', '    thing: sensor-thing', '    policies: [sensor-policy, other]', '    out: ./certs/sensor'], [
    '  other:',
    '    document:',
    "      Version: '2012-10-17'",
    '      Statement: { Effect: Allow, Action: iot:Publish, Resource: "*" }',
  ]);
  const updated = await service.deploy(request(morePolicies));
  assert.equal(updated.certificates, undefined);
  assert.ok(updated.plan.some((s) => s.action === 'update' && s.kind === 'certificate'));
  assert.deepEqual(target.calls, ['putPolicy other', `putCertificate sensor keep ${issued?.certificateId.slice(0, 4)}`]);
  const kept = (await service.get('certs'))?.resources.find((r) => r.kind === 'certificate');
  assert.equal(kept?.kind === 'certificate' ? kept.certificateId : undefined, issued?.certificateId);

  // Destroy takes the certificate first (it holds the thing and the policies).
  target.calls.length = 0;
  await service.destroy('certs');
  assert.deepEqual(target.calls.slice(0, 2), ['deleteCertificate sensor', 'deleteThing sensor-thing']);
  assert.equal(target.certificates.size, 0);
});

test('a file deployed in this process gets its certificate files written beside it, the key 0600', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-stack-certs-'));
  dirs.push(dir);
  const { service } = setup();
  const result = await service.deploy(markLocalRequest(request(stackSource(ONE)), dir));
  const issued = result.certificates?.[0];
  assert.equal(issued?.privateKeyPem, undefined, 'the key went to disk, not into the answer');
  const out = join(dir, 'certs', 'sensor');
  assert.deepEqual(issued?.files, ['certificate.pem.crt', 'private.pem.key', 'root-ca.pem'].map((f) => join(out, f)));
  assert.equal(await readFile(join(out, 'private.pem.key'), 'utf8'), 'KEY 1\n');
  assert.equal((await stat(join(out, 'private.pem.key'))).mode & 0o777, 0o600);
  assert.equal((await stat(join(out, 'certificate.pem.crt'))).mode & 0o777, 0o644);
  assert.equal(await readFile(join(out, 'root-ca.pem'), 'utf8'), 'ROOT\n');
});

test('a deploy that fails after issuing takes the certificate back, and the next one issues again', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-stack-certs-'));
  dirs.push(dir);
  await writeFile(join(dir, 'blocked'), 'a file where the out directory should be');
  const { target, service } = setup();
  const blocked = stackSource(['  sensor:', '    thing: sensor-thing', '    out: ./blocked/sensor']);
  await assert.rejects(service.deploy(markLocalRequest(request(blocked), dir)), /ENOTDIR|EEXIST/);
  assert.ok(target.calls.includes('deleteCertificate sensor'), 'rolled back');
  assert.equal(target.certificates.size, 0);
  const record = await service.get('certs');
  assert.deepEqual(record?.resources.map((r) => r.kind).sort(), ['policy', 'thing'], 'the certificate is not recorded');

  target.calls.length = 0;
  const retry = await service.deploy(request(blocked));
  assert.deepEqual(target.calls, ['putCertificate sensor issue']);
  assert.equal(retry.certificates?.length, 1);
});

test('restore never issues; certificate names are the stack\'s own, so two stacks may use one', async () => {
  const { target, state, service } = setup();
  await service.deploy(request(stackSource(ONE)));
  const other = ['stack: other', 'certificates:', '  sensor:', '    out: ./x'].join('\n');
  const second = await service.deploy({ fileName: 'o.yaml', source: other, params: {}, functions: {} });
  assert.equal(second.certificates?.length, 1);
  const restarted = recordingTarget();
  await new StackService({ state, target: restarted, logger: silentLogger() }).restore();
  assert.deepEqual(restarted.calls, ['putPolicy sensor-policy', 'putThing sensor-thing']);
  assert.equal(target.certificates.size, 2);
});

test('up --simulate finds the certificate issued for the simulator\'s thing', async () => {
  const { service } = setup();
  const source = stackSource(ONE, ['simulator:', '  thing: sensor-thing']);
  await service.deploy(request(source));
  const record = await service.get('certs');
  assert.ok(record);
  const found = simulatorCertificate(record);
  assert.equal(found?.name, 'sensor');
  assert.equal(found?.dir, join(process.cwd(), 'stacks', 'certs', 'sensor'));
  assert.equal(simulatorCertificate({ ...record, simulator: { ...record.simulator!, thing: 'other' } }), undefined);
});
