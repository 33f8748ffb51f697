import assert from 'node:assert/strict';
import { X509Certificate, createHash, createPrivateKey, sign, verify } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createMemoryStateStore } from '../state/index.js';
import { CertificateAuthority, generateKeyPair } from './ca/index.js';
import { x509, type X509CryptoKeyPair } from './ca/x509.js';
import { externalDeviceCertificate, harness, pemToDer, withTempDir } from './certificates.test-support.js';
import { Registry } from './index.js';

const code = (expected: string) => (error: Error & { code?: string }) => {
  assert.equal(error.code, expected, error.message);
  return true;
};

test('the built-in CA is created once under the data dir and reloaded by the next registry', async () => {
  await withTempDir(async (dataDir) => {
    const caDir = join(dataDir, 'ca');
    const first = await Registry.open(createMemoryStateStore(), { caDir });
    const second = await Registry.open(createMemoryStateStore(), { caDir });
    assert.ok(first.caCertificatePem?.startsWith('-----BEGIN CERTIFICATE-----'));
    assert.equal(second.caCertificatePem, first.caCertificatePem);
    assert.equal((await stat(join(caDir, 'root-ca.key'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(caDir, 'root-ca.pem'))).mode & 0o777, 0o644);
    // A certificate made by the first registry verifies against the reloaded root.
    const made = await first.createKeysAndCertificate({ keyAlgorithm: 'EC-P256' });
    assert.ok(second.certificateAuthority?.isIssuerOf(new X509Certificate(made.certificatePem)));
  });
});

test('createKeysAndCertificate: RSA and EC keys, certificates from the CA, id = SHA-256 of the DER, key returned once', async () => {
  const { registry, state, ca, changes } = await harness();
  for (const keyAlgorithm of ['RSA-2048', 'EC-P256'] as const) {
    const created = await registry.createKeysAndCertificate({ keyAlgorithm, setAsActive: true, commonName: `sensor-${keyAlgorithm}` });
    const cert = new X509Certificate(created.certificatePem);
    assert.ok(cert.verify(ca.certificate.publicKey) && cert.checkIssued(ca.certificate), 'signed by the built-in CA');
    assert.equal(created.certificateId, createHash('sha256').update(pemToDer(created.certificatePem)).digest('hex'));
    assert.equal(created.certificateArn, `arn:sluice:iot:local:000000000000:cert/${created.certificateId}`);
    assert.equal(cert.subject, `CN=sensor-${keyAlgorithm}`);
    assert.match(created.keyPair.PublicKey, /^-----BEGIN PUBLIC KEY-----/);
    assert.match(created.keyPair.PrivateKey, /^-----BEGIN PRIVATE KEY-----/);
    const privateKey = createPrivateKey(created.keyPair.PrivateKey);
    assert.equal(privateKey.asymmetricKeyType, keyAlgorithm === 'EC-P256' ? 'ec' : 'rsa');
    const signature = sign('sha256', Buffer.from('proof'), privateKey);
    assert.ok(verify('sha256', Buffer.from('proof'), cert.publicKey, signature), 'the private key belongs to the certificate');

    const record = await registry.describeCertificate(created.certificateId);
    assert.equal(record?.status, 'ACTIVE');
    assert.equal(record?.origin, 'SLUICE_CA');
    assert.equal(record?.caCertificateId, ca.certificateId);
    assert.equal(record?.certificateMode, 'DEFAULT');
    assert.equal(record?.validity.notAfter, ca.notAfter.toISOString());
  }
  const inactive = await registry.createKeysAndCertificate({ keyAlgorithm: 'EC-P256' });
  assert.equal((await registry.describeCertificate(inactive.certificateId))?.status, 'INACTIVE', 'AWS default: not active');
  assert.deepEqual(
    changes.map((c) => c.type),
    ['certificate.registered', 'certificate.registered', 'certificate.registered'],
  );
  // The private key is nowhere in the state store.
  for (const name of ['registry.certificates', 'registry.caCertificates', 'registry.principals', 'registry.things', 'registry.policies']) {
    assert.doesNotMatch(JSON.stringify(await state.collection(name).list()), /PRIVATE KEY/);
  }
  await assert.rejects(registry.createKeysAndCertificate({ keyAlgorithm: 'DSA' as never }), /keyAlgorithm/);
  await assert.rejects(new Registry(createMemoryStateStore()).createKeysAndCertificate(), /without the built-in CA/);
});

test('createCertificateFromCsr signs a verified CSR with its subject, and refuses a forged one', async () => {
  const { registry, ca } = await harness();
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await generateKeyPair('EC-P256')).keys as unknown as X509CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=meter-9, O=Acme, C=NL', keys, signingAlgorithm: alg });
  const created = await registry.createCertificateFromCsr(csr.toString('pem'), { setAsActive: true });
  const cert = new X509Certificate(created.certificatePem);
  assert.ok(ca.isIssuerOf(cert));
  assert.equal(cert.subject, 'CN=meter-9\nO=Acme\nC=NL');
  assert.equal((await registry.identifyClient(cert.raw)).ok, true);

  const der = Buffer.from(csr.rawData);
  der[der.indexOf('meter-9')] = 'X'.charCodeAt(0);
  const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
  await assert.rejects(registry.createCertificateFromCsr(forged), code('SLUICE_ERR_CERTIFICATE_INVALID'));
});

test('registerCertificate with a registered CA, with the built-in CA, and without a CA', async () => {
  const { registry, ca } = await harness();
  const otherCa = await CertificateAuthority.create();
  const device = await externalDeviceCertificate(otherCa, { commonName: 'ext-1' });

  await assert.rejects(registry.registerCertificate(device.certificatePem, { caCertificatePem: otherCa.certificatePem }), code('SLUICE_ERR_NOT_FOUND'));
  await registry.registerCaCertificate(otherCa.certificatePem);
  await assert.rejects(
    registry.registerCertificate(device.certificatePem, { caCertificatePem: otherCa.certificatePem }),
    code('SLUICE_ERR_CERTIFICATE_STATE'),
    'the CA is INACTIVE by default, as AWS',
  );
  await registry.updateCaCertificate(otherCa.certificateId, { newStatus: 'ACTIVE' });
  // Signed by another CA than the one given.
  await assert.rejects(registry.registerCertificate(device.certificatePem, { caCertificatePem: ca.certificatePem }), code('SLUICE_ERR_CERTIFICATE_INVALID'));
  const registered = await registry.registerCertificate(device.certificatePem, { caCertificatePem: otherCa.certificatePem, status: 'ACTIVE' });
  assert.equal(registered.certificateId, device.certificateId);
  const record = await registry.describeCertificate(device.certificateId);
  assert.deepEqual([record?.origin, record?.caCertificateId, record?.certificateMode, record?.status], ['REGISTERED_CA', otherCa.certificateId, 'DEFAULT', 'ACTIVE']);
  await assert.rejects(registry.registerCertificate(device.certificatePem, { caCertificatePem: otherCa.certificatePem }), code('SLUICE_ERR_ALREADY_EXISTS'));
  assert.equal((await registry.identifyClient(device.der)).ok, true);
  assert.deepEqual((await registry.listCertificates({ caCertificateId: otherCa.certificateId })).map((c) => c.certificateId), [device.certificateId]);

  // Without a CA: trusted by itself (SNI_ONLY), even self-signed.
  const selfSigned = await selfSignedCertificate('CN=lonely');
  const withoutCa = await registry.registerCertificateWithoutCA(selfSigned.pem, { status: 'ACTIVE' });
  const lonely = await registry.describeCertificate(withoutCa.certificateId);
  assert.deepEqual([lonely?.origin, lonely?.certificateMode, lonely?.caCertificateId], ['WITHOUT_CA', 'SNI_ONLY', undefined]);
  assert.equal((await registry.identifyClient(selfSigned.der)).ok, true);

  // A certificate the built-in CA issued (and that was deleted) can be registered again, and is known as the CA's.
  const own = await externalDeviceCertificate(ca);
  await registry.registerCertificate(own.certificatePem, { setAsActive: true });
  assert.equal((await registry.describeCertificate(own.certificateId))?.origin, 'SLUICE_CA');

  await assert.rejects(registry.registerCertificate('garbage'), code('SLUICE_ERR_CERTIFICATE_INVALID'));
  await assert.rejects(registry.registerCertificate(`${device.certificatePem}${own.certificatePem}`), /exactly one PEM CERTIFICATE/);
  await assert.rejects(registry.registerCertificate(device.certificatePem, { status: 'PENDING_ACTIVATION' as never }), /status/);
});

test('expired certificates are refused at registration and at connect', async () => {
  const { registry, clock } = await harness();
  const otherCa = await CertificateAuthority.create();
  await registry.registerCaCertificate(otherCa.certificatePem, { status: 'ACTIVE' });
  const now = clock.now();
  const old = await externalDeviceCertificate(otherCa, { notBefore: new Date(now - 7_200_000), notAfter: new Date(now - 3_600_000) });
  await assert.rejects(registry.registerCertificate(old.certificatePem, { caCertificatePem: otherCa.certificatePem }), /expired/);

  const shortLived = await externalDeviceCertificate(otherCa, { notAfter: new Date(now + 3_600_000) });
  await registry.registerCertificate(shortLived.certificatePem, { caCertificatePem: otherCa.certificatePem, status: 'ACTIVE' });
  assert.equal((await registry.identifyClient(shortLived.der)).ok, true);
  clock.advance(2 * 3_600_000);
  const expired = await registry.identifyClient(shortLived.der);
  assert.equal(expired.ok, false);
  assert.match(!expired.ok ? expired.reason : '', /expired at/);
});

test('identifyClient: only known, ACTIVE certificates vouched for by an ACTIVE CA connect', async () => {
  const { registry, ca } = await harness();
  const created = await registry.createKeysAndCertificate({ keyAlgorithm: 'EC-P256', setAsActive: true });
  const der = pemToDer(created.certificatePem);
  const identified = await registry.identifyClient(der, []);
  assert.ok(identified.ok);
  assert.equal(identified.certificate.certificateId, created.certificateId);
  assert.equal((await registry.identifyClient(der)).ok, true, 'second time from the cache');

  await registry.updateCertificateStatus(created.certificateId, 'INACTIVE');
  assert.deepEqual(await registry.identifyClient(der), { ok: false, certificateId: created.certificateId, reason: `certificate ${created.certificateId} is INACTIVE` });
  await registry.updateCertificateStatus(created.certificateId, 'REVOKED');
  assert.match(JSON.stringify(await registry.identifyClient(der)), /is REVOKED/);
  await assert.rejects(registry.updateCertificateStatus(created.certificateId, 'ACTIVE'), code('SLUICE_ERR_CERTIFICATE_STATE'));
  await assert.rejects(registry.updateCertificateStatus(created.certificateId, 'PENDING_ACTIVATION'), code('SLUICE_ERR_CERTIFICATE_STATE'));
  await assert.rejects(registry.updateCertificateStatus(created.certificateId, 'BROKEN'), code('SLUICE_ERR_REQUEST_INVALID'));

  // Unknown CA: a certificate from a CA nobody registered.
  const stranger = await externalDeviceCertificate(await CertificateAuthority.create());
  const unknownCa = await registry.identifyClient(stranger.der);
  assert.equal(unknownCa.ok, false);
  assert.match(!unknownCa.ok ? unknownCa.reason : '', /unknown certificate/);

  // Unknown certificate: issued by the built-in CA but never registered.
  const unregistered = await externalDeviceCertificate(ca);
  assert.match(JSON.stringify(await registry.identifyClient(unregistered.der)), /issued by this server's CA but not registered/);
  assert.equal(await registry.describeCertificate(unregistered.certificateId), undefined, 'not auto-registered');
  assert.match(JSON.stringify(await registry.identifyClient(Buffer.from('not a certificate'))), /does not parse/);
  assert.deepEqual(await registry.identifyClient(Buffer.alloc(0)), { ok: false, reason: 'no client certificate' });

  // A registered CA set INACTIVE cuts off the certificates it vouches for.
  const otherCa = await CertificateAuthority.create();
  await registry.registerCaCertificate(otherCa.certificatePem, { status: 'ACTIVE' });
  const device = await externalDeviceCertificate(otherCa);
  await registry.registerCertificate(device.certificatePem, { caCertificatePem: otherCa.certificatePem, status: 'ACTIVE' });
  assert.equal((await registry.identifyClient(device.der)).ok, true);
  await registry.updateCaCertificate(otherCa.certificateId, { newStatus: 'INACTIVE' });
  assert.match(JSON.stringify(await registry.identifyClient(device.der)), /is INACTIVE/);

  // The data dir's CA was replaced: certificates of the old one no longer connect.
  const state = createMemoryStateStore();
  const before = new Registry(state, { ca: await CertificateAuthority.create() });
  const old = await before.createKeysAndCertificate({ keyAlgorithm: 'EC-P256', setAsActive: true });
  assert.equal((await before.identifyClient(pemToDer(old.certificatePem))).ok, true);
  const after = new Registry(state, { ca });
  assert.match(JSON.stringify(await after.identifyClient(pemToDer(old.certificatePem))), /built-in CA this server no longer has/);
});

test('auto-registration: an unknown certificate of an auto-registering CA becomes PENDING_ACTIVATION, then connects once activated', async () => {
  const { registry, changes } = await harness();
  const fleetCa = await CertificateAuthority.create();
  const registered = await registry.registerCaCertificate(fleetCa.certificatePem, { autoRegistration: true, status: 'ACTIVE' });
  assert.equal(registered.certificateId, fleetCa.certificateId);
  assert.equal(registered.certificateArn, `arn:sluice:iot:local:000000000000:cacert/${fleetCa.certificateId}`);
  const described = await registry.describeCaCertificate(fleetCa.certificateId);
  assert.deepEqual([described?.status, described?.autoRegistrationStatus], ['ACTIVE', 'ENABLE']);

  const device = await externalDeviceCertificate(fleetCa, { commonName: 'jitr-1' });
  const first = await registry.identifyClient(device.der);
  assert.equal(first.ok, false, 'refused, as AWS: something must activate it');
  assert.match(!first.ok ? first.reason : '', /PENDING_ACTIVATION/);
  const record = await registry.describeCertificate(device.certificateId);
  assert.deepEqual([record?.status, record?.origin, record?.caCertificateId], ['PENDING_ACTIVATION', 'REGISTERED_CA', fleetCa.certificateId]);
  assert.deepEqual(changes.at(-1), {
    type: 'certificate.registered',
    certificateId: device.certificateId,
    status: 'PENDING_ACTIVATION',
    caCertificateId: fleetCa.certificateId,
    autoRegistered: true,
  });
  assert.match(JSON.stringify(await registry.identifyClient(device.der)), /is PENDING_ACTIVATION/);
  await registry.updateCertificateStatus(device.certificateId, 'ACTIVE');
  assert.equal((await registry.identifyClient(device.der)).ok, true);

  // Auto-registration disabled: unknown stays unknown.
  await registry.updateCaCertificate(fleetCa.certificateId, { newAutoRegistrationStatus: 'DISABLE' });
  const later = await externalDeviceCertificate(fleetCa);
  assert.match(JSON.stringify(await registry.identifyClient(later.der)), /unknown certificate/);
  assert.equal(await registry.describeCertificate(later.certificateId), undefined);
  assert.deepEqual(changes.filter((c) => c.type === 'ca.updated').map((c) => c.type === 'ca.updated' && c.autoRegistrationStatus), ['DISABLE']);

  // CA rules: only CAs, only once, not our own; deleting needs INACTIVE and no certificates.
  await assert.rejects(registry.registerCaCertificate(device.certificatePem), /not a CA certificate/);
  await assert.rejects(registry.registerCaCertificate(fleetCa.certificatePem), code('SLUICE_ERR_ALREADY_EXISTS'));
  await assert.rejects(registry.registerCaCertificate((await harness()).ca.certificatePem), /Sluice's own CA/);
  await assert.rejects(registry.deleteCaCertificate(fleetCa.certificateId), code('SLUICE_ERR_CERTIFICATE_STATE'));
  await registry.updateCaCertificate(fleetCa.certificateId, { newStatus: 'INACTIVE' });
  await assert.rejects(registry.deleteCaCertificate(fleetCa.certificateId), code('SLUICE_ERR_IN_USE'));
  await registry.updateCertificateStatus(device.certificateId, 'INACTIVE');
  await registry.deleteCertificate(device.certificateId);
  await registry.deleteCaCertificate(fleetCa.certificateId);
  assert.deepEqual(await registry.listCaCertificates(), []);
});

test('deleteCertificate: not while ACTIVE, nor attached to a thing; attached policies only with forceDelete', async () => {
  const { registry, changes } = await harness();
  const created = await registry.createKeysAndCertificate({ keyAlgorithm: 'EC-P256', setAsActive: true });
  await registry.putThing('t1');
  await registry.putPolicy('p1', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });
  await registry.attachThingPrincipal('t1', created.certificateId);
  await registry.attachPolicy('p1', created.certificateArn);

  await assert.rejects(registry.deleteCertificate(created.certificateId), code('SLUICE_ERR_CERTIFICATE_STATE'));
  await registry.updateCertificateStatus(created.certificateId, 'INACTIVE');
  await assert.rejects(registry.deleteCertificate(created.certificateId, { forceDelete: true }), /attached to thing\(s\) t1/);
  await registry.detachThingPrincipal('t1', created.certificateId);
  await assert.rejects(registry.deleteCertificate(created.certificateId), /policies attached \(p1\)/);
  changes.length = 0;
  await registry.deleteCertificate(created.certificateId, { forceDelete: true });
  assert.deepEqual(changes, [
    { type: 'policy.detached', policyName: 'p1', principal: created.certificateId },
    { type: 'certificate.deleted', certificateId: created.certificateId },
  ]);
  assert.deepEqual(await registry.listPolicyTargets('p1'), []);
  assert.equal(await registry.describeCertificate(created.certificateId), undefined);
  assert.match(JSON.stringify(await registry.identifyClient(pemToDer(created.certificatePem))), /unknown certificate/);
  await assert.rejects(registry.deleteCertificate(created.certificateId), code('SLUICE_ERR_NOT_FOUND'));
  await assert.rejects(registry.deleteCertificate('nope'), code('SLUICE_ERR_REQUEST_INVALID'));
});

test('certificateFields exposes subject, issuer, serial, validity and alternative names under AWS variable names', async () => {
  const { registry, ca } = await harness();
  const selfSigned = await selfSignedCertificate(
    [{ CN: ['dev-42'] }, { O: ['Acme', 'Acme Labs'] }, { OU: ['Sensors'] }, { C: ['DE'] }, { ST: ['Bavaria'] }, { L: ['Munich'] }, { E: ['ops@acme.example'] }, { '2.5.4.65': ['nick'] }],
    [
      { type: 'dns', value: 'dev-42.acme.example' },
      { type: 'ip', value: '10.0.0.42' },
      { type: 'email', value: 'dev42@acme.example' },
      { type: 'url', value: 'urn:acme:dev:42' },
    ],
  );
  const { certificateId } = await registry.registerCertificate(selfSigned.pem, { setAsActive: true });
  const fields = await registry.certificateFields(certificateId);
  assert.deepEqual(fields?.subject, {
    CommonName: ['dev-42'],
    Country: ['DE'],
    Locality: ['Munich'],
    State: ['Bavaria'],
    Organization: ['Acme', 'Acme Labs'],
    OrganizationalUnit: ['Sensors'],
    Pseudonym: ['nick'],
    EmailAddress: ['ops@acme.example'],
  });
  assert.deepEqual(fields?.issuer, fields?.subject, 'self-signed');
  assert.deepEqual(fields?.subjectAlternativeName, {
    dnsName: ['dev-42.acme.example'],
    ipAddress: ['10.0.0.42'],
    rfc822Name: ['dev42@acme.example'],
    uniformResourceIdentifier: ['urn:acme:dev:42'],
  });
  assert.equal(fields?.certificateId, certificateId);
  assert.equal(fields?.serialNumber, new X509Certificate(selfSigned.pem).serialNumber);
  assert.match(fields?.notBefore ?? '', /^\d{4}-\d\d-\d\dT/);

  const built = await registry.createKeysAndCertificate({ keyAlgorithm: 'EC-P256', commonName: 'x' });
  const builtFields = await registry.certificateFields((await registry.describeCertificate(built.certificateId))!);
  assert.deepEqual(builtFields?.subject, { CommonName: ['x'] });
  assert.deepEqual(builtFields?.issuer.Organization, ['Sluice']);
  assert.equal(builtFields?.issuer.CommonName?.[0], ca.certificate.subject.split('\n')[0]?.slice(3));
  assert.equal(builtFields?.subjectAlternativeName, undefined);
  assert.equal(await registry.certificateFields('f'.repeat(64)), undefined);
});

async function selfSignedCertificate(
  name: string | x509.JsonName,
  altNames: Array<{ type: 'dns' | 'ip' | 'email' | 'url'; value: string }> = [],
): Promise<{ pem: string; der: Buffer }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await generateKeyPair('EC-P256')).keys as unknown as X509CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name,
    keys,
    signingAlgorithm: alg,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    extensions: altNames.length > 0 ? [new x509.SubjectAlternativeNameExtension(altNames)] : [],
  });
  return { pem: cert.toString('pem'), der: Buffer.from(cert.rawData) };
}
