import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { sha256Hex } from '../../core/index.js';
import { CA_CERTIFICATE_FILE, CA_KEY_FILE, CertificateAuthority, generateKeyPair } from './index.js';
import { x509, type X509CryptoKeyPair } from './x509.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-ca-'));
  dirs.push(dir);
  return dir;
}

test('the root is created once with a 0600 key and reloaded unchanged', async () => {
  const dir = join(await tempDir(), 'ca');
  const first = await CertificateAuthority.loadOrCreate(dir);
  assert.equal((await stat(join(dir, CA_KEY_FILE))).mode & 0o777, 0o600);
  assert.equal((await stat(join(dir, CA_CERTIFICATE_FILE))).mode & 0o777, 0o644);
  assert.equal(await readFile(join(dir, CA_CERTIFICATE_FILE), 'utf8'), first.certificatePem);
  assert.equal(first.keyAlgorithm, 'EC-P256');
  assert.ok(first.certificate.ca);
  assert.ok(first.certificate.verify(first.certificate.publicKey), 'self-signed');
  assert.match(first.certificate.subject, /CN=Sluice Root CA [0-9a-f]{8}/);

  const second = await CertificateAuthority.loadOrCreate(dir);
  assert.equal(second.certificatePem, first.certificatePem);
  assert.equal(second.certificateId, sha256Hex(first.certificate.raw));
  // The reloaded key signs certificates the first instance's root verifies.
  const device = await generateKeyPair('EC-P256');
  const issued = await second.issueDeviceCertificate({ publicKey: device.publicKeyPem });
  assert.ok(first.isIssuerOf(new X509Certificate(issued.certificatePem)));
});

test('a root certificate without its key is an error, not silently replaced', async () => {
  const dir = await tempDir();
  const ca = await CertificateAuthority.loadOrCreate(dir);
  await unlink(join(dir, CA_KEY_FILE));
  await assert.rejects(CertificateAuthority.loadOrCreate(dir), /exists but its key/);
  assert.equal(await readFile(join(dir, CA_CERTIFICATE_FILE), 'utf8'), ca.certificatePem);
});

test('an RSA root works too, and a mismatched key is refused', async () => {
  const rsa = await CertificateAuthority.create({ keyAlgorithm: 'RSA-2048' });
  assert.equal(rsa.keyAlgorithm, 'RSA-2048');
  const device = await generateKeyPair('EC-P256');
  const issued = await rsa.issueDeviceCertificate({ publicKey: device.publicKeyPem, commonName: 'dev' });
  assert.ok(rsa.isIssuerOf(new X509Certificate(issued.certificatePem)));
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  await assert.rejects(CertificateAuthority.fromPem(rsa.certificatePem, other), /does not match/);
});

test('device certificates: client auth, random 16-byte serial, CN, validity capped at the root', async () => {
  const ca = await CertificateAuthority.create();
  for (const keyAlgorithm of ['EC-P256', 'RSA-2048'] as const) {
    const device = await generateKeyPair(keyAlgorithm);
    const issued = await ca.issueDeviceCertificate({ publicKey: device.publicKeyPem, commonName: 'soilSensor1', notAfter: new Date(Date.UTC(2300, 0, 1)) });
    const cert = new X509Certificate(issued.certificatePem);
    assert.ok(cert.verify(ca.certificate.publicKey) && cert.checkIssued(ca.certificate));
    assert.equal(issued.certificateId, sha256Hex(cert.raw));
    assert.equal(cert.subject, 'CN=soilSensor1');
    assert.equal(cert.serialNumber, issued.serialNumber);
    assert.equal(cert.serialNumber.length, 32);
    assert.equal(cert.ca, false);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'extended key usage: clientAuth');
    assert.equal(new Date(cert.validTo).getTime(), ca.notAfter.getTime());
    // The private key returned with the pair matches the certificate.
    const signature = sign('sha256', Buffer.from('hello'), createPrivateKey(device.privateKeyPem));
    assert.ok(verify('sha256', Buffer.from('hello'), cert.publicKey, signature));
  }
  const defaultCn = await ca.issueDeviceCertificate({ publicKey: (await generateKeyPair('EC-P256')).publicKeyPem });
  assert.equal(new X509Certificate(defaultCn.certificatePem).subject, `CN=${defaultCn.serialNumber}`);
});

test('CSRs are signed only when their self-signature verifies and the key is strong enough', async () => {
  const ca = await CertificateAuthority.create();
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await generateKeyPair('EC-P256')).keys as unknown as X509CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=meter-7, O=Acme, C=DE', keys, signingAlgorithm: alg });
  const issued = await ca.signCsr(csr.toString('pem'));
  const cert = new X509Certificate(issued.certificatePem);
  assert.equal(cert.subject, 'CN=meter-7\nO=Acme\nC=DE');
  assert.ok(ca.isIssuerOf(cert));
  assert.equal(cert.publicKey.export({ format: 'pem', type: 'spki' }), csr.publicKey.toString('pem') + '\n');
  assert.equal(new X509Certificate((await ca.signCsr(csr.toString('pem'), { commonName: 'x' })).certificatePem).subject, 'CN=x');

  // Change the requested CN after signing: the CSR still parses, but its self-signature no longer verifies.
  const der = Buffer.from(csr.rawData);
  const at = der.indexOf('meter-7');
  der[at] = 'M'.charCodeAt(0);
  const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
  await assert.rejects(ca.signCsr(tampered), (error: Error & { code?: string }) => error.code === 'SLUICE_ERR_CERTIFICATE_INVALID' && /does not verify/.test(error.message));
  await assert.rejects(ca.signCsr('not a csr'), /not a PEM PKCS#10 request/);

  const weakAlg = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  const { webcrypto } = await import('node:crypto');
  const weak = (await webcrypto.subtle.generateKey(weakAlg, true, ['sign', 'verify'])) as unknown as X509CryptoKeyPair;
  const weakCsr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=weak', keys: weak, signingAlgorithm: weakAlg });
  await assert.rejects(ca.signCsr(weakCsr.toString('pem')), /RSA key of 1024 bits/);
});

test('the server certificate carries the hosts and completes a mutual-TLS handshake with a device certificate', async () => {
  const ca = await CertificateAuthority.create();
  const server = await ca.issueServerCertificate({ hosts: ['mqtt.example.com', '10.1.2.3'] });
  const serverCert = new X509Certificate(server.certificatePem);
  assert.equal(serverCert.subjectAltName, 'DNS:mqtt.example.com, IP Address:10.1.2.3, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  assert.deepEqual(serverCert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.ok(ca.isIssuerOf(serverCert));
  await assert.rejects(ca.issueServerCertificate({ hosts: ['bad host'] }), /neither a DNS name nor an IP address/);

  const device = await generateKeyPair('RSA-2048');
  const deviceCert = await ca.issueDeviceCertificate({ publicKey: device.publicKeyPem, commonName: 'dev-1' });
  const tls = createServer({ cert: server.certificatePem, key: server.privateKeyPem, ca: ca.certificatePem, requestCert: true, rejectUnauthorized: true });
  const peer = new Promise<string>((resolve) => {
    tls.on('secureConnection', (socket: TLSSocket) => {
      resolve(socket.getPeerX509Certificate()?.subject ?? '');
      socket.end();
    });
  });
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  const port = (tls.address() as { port: number }).port;
  const client = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ca.certificatePem, cert: deviceCert.certificatePem, key: device.privateKeyPem });
  await new Promise<void>((resolve, reject) => client.once('secureConnect', resolve).once('error', reject));
  assert.equal(client.authorized, true);
  assert.equal(await peer, 'CN=dev-1');
  client.destroy();
  await new Promise<void>((resolve) => tls.close(() => resolve()));
});
