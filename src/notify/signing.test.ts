import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHmac, createPublicKey, createVerify, generateKeyPairSync } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import MessageValidator from 'sns-validator';
import { SluiceError, topicArn } from '../core/index.js';
import {
  HMAC_SIGNATURE_HEADER,
  NotificationSigner,
  SIGNING_CERT_FILE,
  SIGNING_KEY_FILE,
  hmacSignature,
  hmacSignatureHeader,
  stringToSign,
  verifyHmacSignature,
} from './signing.js';
import {
  buildNotification,
  buildSubscriptionConfirmation,
  buildUnsubscribeConfirmation,
  envelopeHttpRequest,
  serializeEnvelope,
  type EnvelopeSigner,
  type SignatureVersion,
  type SnsEnvelope,
} from './sns-envelope.js';

const TOPIC = topicArn('alerts');
const SUBSCRIPTION = `${TOPIC}:0b7c4a0e-5f1e-4a55-9b3a-2c1d7e0f9a11`;
const AT = Date.UTC(2012, 4, 2, 0, 54, 6, 655);

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sluice-signing-'));
}

type Envelopes = Array<{ name: string; envelope: SnsEnvelope }>;

/** One of each message type in each signature version, with and without the optional parts. */
function sampleEnvelopes(signer: EnvelopeSigner): Envelopes {
  const out: Envelopes = [];
  for (const version of ['1', '2'] as SignatureVersion[]) {
    const base = { messageId: `m-${version}`, topicArn: TOPIC, timestamp: AT, signatureVersion: version };
    out.push({ name: `Notification v${version}`, envelope: buildNotification({ ...base, message: 'Hello world!', unsubscribeUrl: 'https://x/u' }, signer) });
    out.push({
      name: `Notification v${version} with subject and attributes`,
      envelope: buildNotification(
        {
          ...base, subject: 'Température', message: '{"moisture": 12,\n "unit": "%"} ✓', unsubscribeUrl: 'https://x/u',
          messageAttributes: { severity: { Type: 'String', Value: 'high' } },
        },
        signer,
      ),
    });
    const confirmation = { ...base, token: 'tok-en', subscribeUrl: 'https://x/notify/confirm/tok-en' };
    out.push({ name: `SubscriptionConfirmation v${version}`, envelope: buildSubscriptionConfirmation(confirmation, signer) });
    out.push({ name: `UnsubscribeConfirmation v${version}`, envelope: buildUnsubscribeConfirmation({ ...confirmation, subscriptionArn: SUBSCRIPTION }, signer) });
  }
  return out;
}

/**
 * An independent verifier, from AWS's "Verifying the signatures of Amazon SNS
 * messages" (it does not use signing.ts): for a Notification the string to
 * sign is Message, MessageId, Subject (if present), Timestamp, TopicArn, Type;
 * for the confirmations Message, MessageId, SubscribeURL, Timestamp, Token,
 * TopicArn, Type; each as "name\nvalue\n".
 */
function docsVerify(message: Record<string, unknown>, certificatePem: string): boolean {
  const m = message as Record<string, string>;
  let text: string;
  if (m.Type === 'Notification') {
    text = `Message\n${m.Message}\nMessageId\n${m.MessageId}\n`;
    if (m.Subject !== undefined) text += `Subject\n${m.Subject}\n`;
    text += `Timestamp\n${m.Timestamp}\nTopicArn\n${m.TopicArn}\nType\n${m.Type}\n`;
  } else {
    text =
      `Message\n${m.Message}\nMessageId\n${m.MessageId}\nSubscribeURL\n${m.SubscribeURL}\n` +
      `Timestamp\n${m.Timestamp}\nToken\n${m.Token}\nTopicArn\n${m.TopicArn}\nType\n${m.Type}\n`;
  }
  const algorithm = m.SignatureVersion === '1' ? 'RSA-SHA1' : m.SignatureVersion === '2' ? 'RSA-SHA256' : undefined;
  if (!algorithm) return false;
  return createVerify(algorithm).update(text, 'utf8').verify(certificatePem, String(m.Signature), 'base64');
}

function parsed(envelope: SnsEnvelope): Record<string, unknown> {
  return JSON.parse(serializeEnvelope(envelope)) as Record<string, unknown>;
}

test('signing: the string to sign is SNS\'s, per message type, in the documented key order', () => {
  assert.equal(
    stringToSign({ Type: 'Notification', MessageId: 'id', TopicArn: 'arn', Message: 'msg', Timestamp: 'ts' }),
    'Message\nmsg\nMessageId\nid\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n',
  );
  assert.equal(
    stringToSign({ Type: 'Notification', MessageId: 'id', TopicArn: 'arn', Subject: 'subj', Message: 'msg', Timestamp: 'ts' }),
    'Message\nmsg\nMessageId\nid\nSubject\nsubj\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n',
  );
  for (const type of ['SubscriptionConfirmation', 'UnsubscribeConfirmation'] as const) {
    assert.equal(
      stringToSign({ Type: type, MessageId: 'id', Token: 'tok', TopicArn: 'arn', Message: 'msg', SubscribeURL: 'url', Timestamp: 'ts' }),
      `Message\nmsg\nMessageId\nid\nSubscribeURL\nurl\nTimestamp\nts\nToken\ntok\nTopicArn\narn\nType\n${type}\n`,
    );
  }
});

test('signing: sns-validator accepts envelopes whose certificate it fetches over HTTPS; tampering fails', async (t) => {
  const dir = await tempDir();
  let certificateRequests = 0;
  // No TLS credentials yet: the signer, whose certificate the server presents, needs the port first.
  const server = https.createServer((request, response) => {
    certificateRequests += 1;
    if (request.url === '/notify/signing-cert.pem') response.end(signer.certificatePem);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const { port } = server.address() as AddressInfo;
  // The signing certificate's CN is the public URL's host, so it also serves as the test server's TLS certificate.
  const signer = await NotificationSigner.open({ directory: dir, publicUrl: `https://localhost:${port}/` });
  server.setSecureContext({ key: await readFile(join(dir, SIGNING_KEY_FILE), 'utf8'), cert: signer.certificatePem });
  const previousCa = https.globalAgent.options.ca;
  https.globalAgent.options.ca = signer.certificatePem;
  t.after(async () => {
    https.globalAgent.options.ca = previousCa;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  // The host pattern is matched against host:port; the default only trusts sns.<region>.amazonaws.com.
  const validator = new MessageValidator(/^localhost:\d+$/);
  const validate = (message: Record<string, unknown> | string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => validator.validate(message, (error, result) => (error ? reject(error) : resolve(result ?? {}))));

  assert.equal(signer.signingCertUrl, `https://localhost:${port}/notify/signing-cert.pem`);
  // sns-validator 0.3.5 leaves Token out of an UnsubscribeConfirmation's string to sign (against AWS's
  // documentation, so real SNS messages fail it too); those are checked by the docs verifier below.
  const envelopes = sampleEnvelopes(signer).filter(({ envelope }) => envelope.Type !== 'UnsubscribeConfirmation');
  assert.equal(envelopes.length, 6);
  for (const { name, envelope } of envelopes) {
    // The raw body, as a receiver gets it.
    const result = await validate(serializeEnvelope(envelope));
    assert.equal(result.MessageId, envelope.MessageId, name);
  }
  assert.ok(certificateRequests >= 1);

  const notification = parsed(envelopes[1]!.envelope);
  await assert.rejects(validate({ ...notification, Message: `${String(notification.Message)}!` }), /signature is invalid/);
  await assert.rejects(validate({ ...notification, Subject: 'Other' }), /signature is invalid/);
  await assert.rejects(validate({ ...notification, Timestamp: '2012-05-02T00:54:06.656Z' }), /signature is invalid/);
  const { Subject: _dropped, ...withoutSubject } = notification;
  await assert.rejects(validate(withoutSubject), /signature is invalid/);
  const confirmation = parsed(envelopes[2]!.envelope);
  await assert.rejects(validate({ ...confirmation, SubscribeURL: 'https://evil.example/confirm' }), /signature is invalid/);
  // Version 1 and 2 are not interchangeable.
  await assert.rejects(validate({ ...notification, SignatureVersion: notification.SignatureVersion === '1' ? '2' : '1' }), /signature is invalid/);
  // And the host restriction is really in force.
  await assert.rejects(
    new Promise((resolve, reject) => new MessageValidator().validate(notification, (error, result) => (error ? reject(error) : resolve(result)))),
    /invalid domain/,
  );
});

test('signing: a verifier written from AWS\'s documentation accepts all three types, v1 (SHA1) and v2 (SHA256)', async (t) => {
  const dir = await tempDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const signer = await NotificationSigner.open({ directory: dir, publicUrl: 'https://sluice.example' });
  const other = await NotificationSigner.open({ directory: join(dir, 'other'), publicUrl: 'https://sluice.example' });

  for (const { name, envelope } of sampleEnvelopes(signer)) {
    const message = parsed(envelope);
    assert.ok(docsVerify(message, signer.certificatePem), name);
    assert.ok(!docsVerify(message, other.certificatePem), `${name}: another key's certificate`);
    for (const field of ['Message', 'MessageId', 'Timestamp', 'TopicArn', 'Type', ...(envelope.Type === 'Notification' ? [] : ['Token', 'SubscribeURL'])]) {
      assert.ok(!docsVerify({ ...message, [field]: `${String(message[field])}x` }, signer.certificatePem), `${name}: tampered ${field}`);
    }
  }

  // v1 is SHA1withRSA and v2 SHA256withRSA, checked with the digest named explicitly.
  const fields = { Type: 'Notification' as const, MessageId: 'id', TopicArn: TOPIC, Message: 'm', Timestamp: '2012-05-02T00:54:06.655Z' };
  const text = `Message\nm\nMessageId\nid\nTimestamp\n2012-05-02T00:54:06.655Z\nTopicArn\n${TOPIC}\nType\nNotification\n`;
  const v1 = signer.sign(fields, '1');
  const v2 = signer.sign(fields, '2');
  assert.equal(signer.sign(fields), v2, 'version 2 is the default');
  assert.equal(Buffer.from(v2, 'base64').length, 256, 'RSA-2048');
  assert.ok(createVerify('RSA-SHA1').update(text).verify(signer.certificatePem, v1, 'base64'));
  assert.ok(!createVerify('RSA-SHA256').update(text).verify(signer.certificatePem, v1, 'base64'));
  assert.ok(createVerify('RSA-SHA256').update(text).verify(signer.certificatePem, v2, 'base64'));
  assert.ok(!createVerify('RSA-SHA1').update(text).verify(signer.certificatePem, v2, 'base64'));
  assert.throws(
    () => signer.sign(fields, '3' as SignatureVersion),
    (error: unknown) => error instanceof SluiceError && error.code === 'SLUICE_ERR_REQUEST_INVALID',
  );
});

test('signing: the key and certificate survive a reload; the key file is 0600', async (t) => {
  const dir = await tempDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const directory = join(dir, 'notify', 'signing');
  const first = await NotificationSigner.open({ directory, publicUrl: 'https://sluice.example/' });
  const keyFile = join(directory, SIGNING_KEY_FILE);
  const certFile = join(directory, SIGNING_CERT_FILE);
  assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
  assert.equal((await stat(certFile)).mode & 0o777, 0o644);
  assert.equal((await stat(directory)).mode & 0o077, 0);
  assert.equal(await readFile(certFile, 'utf8'), first.certificatePem);
  assert.match(await readFile(keyFile, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);

  const envelope = buildNotification({ messageId: 'm', topicArn: TOPIC, message: 'x', timestamp: AT, unsubscribeUrl: 'u' }, first);
  // A loosened key file is tightened again on open.
  await chmod(keyFile, 0o644);
  const second = await NotificationSigner.open({ directory, publicUrl: 'https://other.example:8443' });
  assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
  assert.equal(second.certificatePem, first.certificatePem);
  assert.equal(second.signingCertUrl, 'https://other.example:8443/notify/signing-cert.pem');
  assert.ok(docsVerify(parsed(envelope), second.certificatePem));
  assert.equal(second.sign(envelope), envelope.Signature, 'PKCS#1 v1.5 signatures are deterministic: same key, same signature');

  // A lost certificate is made again from the key: a new certificate, the same public key.
  await rm(certFile);
  const third = await NotificationSigner.open({ directory, publicUrl: 'https://sluice.example' });
  assert.notEqual(third.certificatePem, first.certificatePem);
  assert.ok(new X509Certificate(third.certificatePem).publicKey.equals(new X509Certificate(first.certificatePem).publicKey));
  assert.ok(docsVerify(parsed(envelope), third.certificatePem));
});

test('signing: the certificate is a self-signed RSA-2048 X.509 v3 certificate for the public URL\'s host', async (t) => {
  const dir = await tempDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const now = Date.UTC(2030, 0, 15, 12, 0, 0);
  const signer = await NotificationSigner.open({ directory: dir, publicUrl: 'https://notify.sluice.example:8443/base', clock: { now: () => now } });
  assert.equal(signer.signingCertUrl, 'https://notify.sluice.example:8443/base/notify/signing-cert.pem');
  assert.match(signer.certificatePem, /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/);
  const certificate = new X509Certificate(signer.certificatePem);
  assert.equal(certificate.subject, 'CN=notify.sluice.example\nO=Sluice');
  assert.equal(certificate.issuer, certificate.subject);
  assert.ok(certificate.verify(certificate.publicKey), 'self-signed');
  assert.equal(certificate.ca, false);
  assert.equal(certificate.publicKey.asymmetricKeyType, 'rsa');
  assert.equal(certificate.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  assert.equal(new Date(certificate.validFrom).getTime(), now - 5 * 60_000);
  assert.equal(certificate.validTo, 'Dec 31 23:59:59 9999 GMT');
  const key = createPublicKey(await readFile(join(dir, SIGNING_KEY_FILE), 'utf8'));
  assert.ok(certificate.publicKey.equals(key));
});

test('signing: a certificate without its key, a foreign certificate or a non-RSA key is a configuration error', async (t) => {
  const dir = await tempDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const isConfigError = (pattern: RegExp) => (error: unknown) =>
    error instanceof SluiceError && error.code === 'SLUICE_ERR_CONFIG_INVALID' && pattern.test(error.message);

  const a = join(dir, 'a');
  await NotificationSigner.open({ directory: a, publicUrl: 'https://sluice.example' });
  await rm(join(a, SIGNING_KEY_FILE));
  await assert.rejects(NotificationSigner.open({ directory: a, publicUrl: 'https://sluice.example' }), isConfigError(/exists but its key/));

  const b = join(dir, 'b');
  const c = join(dir, 'c');
  await NotificationSigner.open({ directory: b, publicUrl: 'https://sluice.example' });
  const foreign = await NotificationSigner.open({ directory: c, publicUrl: 'https://sluice.example' });
  await writeFile(join(b, SIGNING_CERT_FILE), foreign.certificatePem);
  await assert.rejects(NotificationSigner.open({ directory: b, publicUrl: 'https://sluice.example' }), isConfigError(/does not belong to the signing key/));

  const d = join(dir, 'd');
  await NotificationSigner.open({ directory: d, publicUrl: 'https://sluice.example' });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  await writeFile(join(d, SIGNING_KEY_FILE), privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  await assert.rejects(NotificationSigner.open({ directory: d, publicUrl: 'https://sluice.example' }), isConfigError(/RSA key of at least 2048 bits/));
  await writeFile(join(d, SIGNING_KEY_FILE), 'not a key', { mode: 0o600 });
  await assert.rejects(NotificationSigner.open({ directory: d, publicUrl: 'https://sluice.example' }), isConfigError(/not a PEM private key/));

  await assert.rejects(NotificationSigner.open({ directory: join(dir, 'e'), publicUrl: 'ftp://sluice.example' }), isConfigError(/invalid public URL/));
});

test('signing: HMAC-SHA256 known answers, header format and constant-time check', () => {
  // GitHub's published webhook example: this secret and payload give this signature.
  assert.equal(hmacSignature("It's a Secret to Everybody", 'Hello, World!'), '757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  // Computed independently with node:crypto: a string body is its UTF-8 bytes; Buffer secrets work too.
  const secret = 'whsec_9f2c1b';
  const body = '{\n  "Type" : "Notification",\n  "Message" : "21 °C ✓"\n}';
  const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(body, 'utf8')).digest('hex');
  assert.equal(hmacSignature(secret, body), expected);
  assert.equal(hmacSignature(Buffer.from(secret), Buffer.from(body, 'utf8')), expected);
  assert.equal(hmacSignatureHeader(secret, body), `sha256=${expected}`);
  assert.equal(HMAC_SIGNATURE_HEADER, 'X-Sluice-Signature');

  assert.ok(verifyHmacSignature(secret, Buffer.from(body, 'utf8'), `sha256=${expected}`));
  assert.ok(!verifyHmacSignature(secret, `${body} `, `sha256=${expected}`));
  assert.ok(!verifyHmacSignature('other', body, `sha256=${expected}`));
  assert.ok(!verifyHmacSignature(secret, body, expected), 'the sha256= prefix is required');
  assert.ok(!verifyHmacSignature(secret, body, `sha256=${expected.toUpperCase()}`));
  assert.ok(!verifyHmacSignature(secret, body, undefined));
  assert.ok(!verifyHmacSignature(secret, body, ''));
});

test('signing: the verification snippet in signing.ts\'s doc comment works as documented', async (t) => {
  const source = await readFile(new URL('./signing.ts', import.meta.url), 'utf8');
  const header = source.slice(0, source.indexOf('*/'));
  const fenced = /```js\n([\s\S]*?)\n \* ```/.exec(header)?.[1];
  assert.ok(fenced, 'signing.ts starts with a ```js snippet');
  const code = fenced.split('\n').map((line) => line.replace(/^ \*( |$)/, '')).join('\n');
  assert.ok(!code.includes('./signing') && !code.includes('sluice'), 'the snippet stands alone');

  const dir = await tempDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'snippet.mjs'), code);
  const snippet = (await import(pathToFileURL(join(dir, 'snippet.mjs')).href)) as {
    verifySnsSignature(message: unknown, certificatePem: string): boolean;
    verifySluiceHmac(secret: string, rawBody: Buffer | string, header: string | undefined): boolean;
  };

  const signer = await NotificationSigner.open({ directory: join(dir, 'signing'), publicUrl: 'https://sluice.example' });
  for (const { name, envelope } of sampleEnvelopes(signer)) {
    const request = envelopeHttpRequest(envelope, { subscriptionArn: SUBSCRIPTION, hmacSecret: 'per-subscription-secret' });
    const rawBody = Buffer.from(request.body, 'utf8');
    const message = JSON.parse(rawBody.toString('utf8')) as Record<string, unknown>;
    assert.ok(snippet.verifySnsSignature(message, signer.certificatePem), name);
    assert.ok(!snippet.verifySnsSignature({ ...message, Message: 'forged' }, signer.certificatePem), `${name}: tampered`);
    assert.ok(!snippet.verifySnsSignature({ ...message, SignatureVersion: '3' }, signer.certificatePem), `${name}: unknown version`);
    assert.ok(snippet.verifySluiceHmac('per-subscription-secret', rawBody, request.headers['X-Sluice-Signature']), name);
    assert.ok(snippet.verifySluiceHmac('per-subscription-secret', request.body, request.headers['X-Sluice-Signature']), `${name}: body as a string`);
    assert.ok(!snippet.verifySluiceHmac('wrong-secret', rawBody, request.headers['X-Sluice-Signature']), `${name}: wrong secret`);
    assert.ok(!snippet.verifySluiceHmac('per-subscription-secret', Buffer.concat([rawBody, Buffer.from(' ')]), request.headers['X-Sluice-Signature']));
    assert.ok(!snippet.verifySluiceHmac('per-subscription-secret', rawBody, undefined));
  }
});
