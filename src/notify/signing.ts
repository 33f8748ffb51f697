/**
 * How http/https subscribers can tell a notification came from this Sluice.
 *
 * 1. SNS's signature, on every envelope (`sns-envelope.ts`). The string to
 *    sign is `Key\nValue\n` for each key present, in this order:
 *    - Notification: Message, MessageId, Subject (only when present),
 *      Timestamp, TopicArn, Type;
 *    - SubscriptionConfirmation and UnsubscribeConfirmation: Message,
 *      MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type.
 *    `Signature` is its base64 RSA PKCS#1 v1.5 signature: SHA1withRSA for
 *    SignatureVersion "1", SHA256withRSA for "2" (Sluice's default). The key
 *    is Sluice's own RSA-2048 key; its self-signed certificate is served at
 *    `<publicUrl>/notify/signing-cert.pem`, the `SigningCertURL`. SNS
 *    validators need to be told to trust that host instead of amazonaws.com.
 * 2. Optionally, per subscription, an HMAC (GitHub-webhook style): header
 *    `X-Sluice-Signature: sha256=<hex>`, where `<hex>` is the lower-case hex
 *    HMAC-SHA256, keyed with the subscription's secret, of the raw request
 *    body bytes exactly as received (before any JSON parsing).
 *
 * Verifying both on the receiving side (Node.js):
 *
 * ```js
 * import { createHmac, createVerify, timingSafeEqual } from 'node:crypto';
 *
 * // msg = JSON.parse(body); certPem = the text at msg.SigningCertURL, fetched
 * // over HTTPS (and cached) after checking that the URL is your Sluice's.
 * export function verifySnsSignature(msg, certPem) {
 *   if (msg.SignatureVersion !== '1' && msg.SignatureVersion !== '2') return false;
 *   const keys = msg.Type === 'Notification'
 *     ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
 *     : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
 *   const text = keys.filter((k) => k in msg).map((k) => `${k}\n${msg[k]}\n`).join('');
 *   return createVerify(msg.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256')
 *     .update(text, 'utf8').verify(certPem, msg.Signature, 'base64');
 * }
 *
 * // rawBody: the request body as received (Buffer or string); header: X-Sluice-Signature.
 * export function verifySluiceHmac(secret, rawBody, header) {
 *   const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`);
 *   const given = Buffer.from(String(header ?? ''));
 *   return given.length === expected.length && timingSafeEqual(given, expected);
 * }
 * ```
 *
 * The certificate is made here with node:crypto and a few lines of DER rather
 * than @peculiar/x509: notify may import only core, and @peculiar/x509 needs
 * the reflect shim that lives in registry/ca. It carries only the public key:
 * subject `CN=<publicUrl host>, O=Sluice`, basicConstraints CA:FALSE, keyUsage
 * digitalSignature, and notAfter 9999-12-31 (RFC 5280's "no well-defined
 * expiration"), because validators cache it by URL for as long as they run.
 */
import {
  X509Certificate,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  sign as signData,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SluiceError, readFileIfExists, systemClock, writeFileAtomically, type Clock } from '../core/index.js';
import type { EnvelopeSigner, SignableFields, SignatureVersion } from './sns-envelope.js';
import { normalizePublicUrl } from './util.js';

/** Files under the signing directory (`<data>/notify/signing/`). */
export const SIGNING_KEY_FILE = 'signing-key.pem';
export const SIGNING_CERT_FILE = 'signing-cert.pem';
/** Path of the certificate under the public URL: `SigningCertURL` is `<publicUrl>` + this. */
export const SIGNING_CERT_PATH = '/notify/signing-cert.pem';

export const HMAC_SIGNATURE_HEADER = 'X-Sluice-Signature';

const NOTIFICATION_KEYS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const CONFIRMATION_KEYS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const;

/** SNS's canonical string to sign: `Key\nValue\n` per key of the message type, in the documented order. */
export function stringToSign(fields: SignableFields): string {
  const keys = fields.Type === 'Notification' ? NOTIFICATION_KEYS : CONFIRMATION_KEYS;
  const values = fields as unknown as Record<string, string | undefined>;
  let text = '';
  for (const key of keys) {
    const value = values[key];
    // Subject is the only optional key; an empty one is left out, as the envelope leaves it out.
    if (value === undefined || (key === 'Subject' && value === '')) continue;
    text += `${key}\n${value}\n`;
  }
  return text;
}

/** Node's digest name for a SignatureVersion: "1" SHA1withRSA, "2" SHA256withRSA. */
export function signatureDigest(version: SignatureVersion): 'sha1' | 'sha256' {
  if (version === '1') return 'sha1';
  if (version === '2') return 'sha256';
  throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `unsupported SignatureVersion ${JSON.stringify(version)}: use "1" or "2"`, { place: { field: 'SignatureVersion' } });
}

/** Lower-case hex HMAC-SHA256 of the body bytes (a string is taken as UTF-8). */
export function hmacSignature(secret: string | Buffer, body: string | Buffer): string {
  return createHmac('sha256', secret).update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body).digest('hex');
}

/** The value of the `X-Sluice-Signature` header: `sha256=<hex>`. */
export function hmacSignatureHeader(secret: string | Buffer, body: string | Buffer): string {
  return `sha256=${hmacSignature(secret, body)}`;
}

/** Constant-time check of an `X-Sluice-Signature` header value against the body. */
export function verifyHmacSignature(secret: string | Buffer, body: string | Buffer, header: string | undefined): boolean {
  const expected = Buffer.from(hmacSignatureHeader(secret, body));
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface NotificationSignerOptions {
  /** Where the key and certificate live, e.g. `<data>/notify/signing`. Created (mode 0700) if missing. */
  directory: string;
  /** Sluice's public URL; the certificate is served at `<publicUrl>/notify/signing-cert.pem`. */
  publicUrl: string;
  /** For the certificate's notBefore. */
  clock?: Clock;
}

/**
 * Signs envelopes with Sluice's RSA-2048 notification key. `open` loads the
 * key (PKCS#8 PEM, mode 0600) and certificate from the directory, or makes
 * them on first start: key first, so a certificate always has its key. A
 * missing certificate is made again from the key; a certificate without its
 * key, or one that does not match it, is an error (receivers may have cached
 * it): remove both files to start over with a new key.
 */
export class NotificationSigner implements EnvelopeSigner {
  readonly certificatePem: string;
  /** `<publicUrl>/notify/signing-cert.pem`. */
  readonly signingCertUrl: string;
  readonly #privateKey: KeyObject;

  private constructor(certificatePem: string, privateKey: KeyObject, signingCertUrl: string) {
    this.certificatePem = certificatePem;
    this.#privateKey = privateKey;
    this.signingCertUrl = signingCertUrl;
  }

  static async open(options: NotificationSignerOptions): Promise<NotificationSigner> {
    const publicUrl = normalizePublicUrl(options.publicUrl);
    const clock = options.clock ?? systemClock;
    const keyFile = join(options.directory, SIGNING_KEY_FILE);
    const certFile = join(options.directory, SIGNING_CERT_FILE);
    await mkdir(options.directory, { recursive: true, mode: 0o700 });

    let keyPem = await readFileIfExists(keyFile);
    let certificatePem = await readFileIfExists(certFile);
    if (keyPem === undefined) {
      if (certificatePem !== undefined) {
        throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `${certFile} exists but its key ${keyFile} does not; restore the key, or remove the certificate to make a new key`);
      }
      keyPem = await newRsaKeyPem();
      await writeFileAtomically(keyFile, keyPem, { mode: 0o600 });
    } else if (((await stat(keyFile)).mode & 0o077) !== 0) {
      await chmod(keyFile, 0o600);
    }
    const privateKey = loadPrivateKey(keyPem, keyFile);

    if (certificatePem === undefined) {
      certificatePem = selfSignedCertificate(privateKey, new URL(publicUrl).hostname, new Date(clock.now()));
      await writeFileAtomically(certFile, certificatePem, { mode: 0o644 });
    } else {
      assertCertificateMatches(certificatePem, privateKey, certFile);
    }
    return new NotificationSigner(certificatePem, privateKey, `${publicUrl}${SIGNING_CERT_PATH}`);
  }

  /** Base64 SHA1withRSA ("1") or SHA256withRSA ("2", the default) signature of the fields' string to sign. */
  sign(fields: SignableFields, version: SignatureVersion = '2'): string {
    return signData(signatureDigest(version), Buffer.from(stringToSign(fields), 'utf8'), this.#privateKey).toString('base64');
  }
}

function newRsaKeyPem(): Promise<string> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048 }, (error, _publicKey, privateKey) => {
      if (error) reject(error);
      else resolve(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    });
  });
}

function loadPrivateKey(pem: string, file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `${file} is not a PEM private key: ${(error as Error).message}`, { cause: error });
  }
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `${file} must be an RSA key of at least 2048 bits (SNS signatures are RSA)`);
  }
  return key;
}

function assertCertificateMatches(certificatePem: string, privateKey: KeyObject, file: string): void {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch (error) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `${file} does not parse as a certificate: ${(error as Error).message}`, { cause: error });
  }
  const spki = (key: KeyObject): Buffer => key.export({ format: 'der', type: 'spki' });
  if (!spki(certificate.publicKey).equals(spki(createPublicKey(privateKey)))) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `${file} does not belong to the signing key; remove it to make a new certificate from the key`);
  }
}

// ---- A minimal self-signed X.509 v3 certificate (DER), RSA with SHA-256. ----

const OID_SHA256_WITH_RSA = '06092a864886f70d01010b';
const OID_COMMON_NAME = '0603550403';
const OID_ORGANIZATION = '060355040a';
const OID_BASIC_CONSTRAINTS = '0603551d13';
const OID_KEY_USAGE = '0603551d0f';
/** RFC 5280 §4.1.2.5: "no well-defined expiration date". */
const NO_EXPIRY = new Date(Date.UTC(9999, 11, 31, 23, 59, 59));
const CLOCK_SKEW_MS = 5 * 60_000;

function selfSignedCertificate(privateKey: KeyObject, commonName: string, now: Date): string {
  const algorithm = tlv(0x30, hex(OID_SHA256_WITH_RSA), hex('0500'));
  const name = tlv(
    0x30,
    tlv(0x31, tlv(0x30, hex(OID_COMMON_NAME), tlv(0x0c, Buffer.from(commonName, 'utf8')))),
    tlv(0x31, tlv(0x30, hex(OID_ORGANIZATION), tlv(0x0c, Buffer.from('Sluice', 'utf8')))),
  );
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01; // positive and non-zero, no leading zero byte needed
  const extensions = tlv(
    0xa3,
    tlv(
      0x30,
      // basicConstraints, critical, CA:FALSE (an empty SEQUENCE).
      tlv(0x30, hex(OID_BASIC_CONSTRAINTS), hex('0101ff'), tlv(0x04, hex('3000'))),
      // keyUsage, critical, digitalSignature only (BIT STRING, 7 unused bits, bit 0 set).
      tlv(0x30, hex(OID_KEY_USAGE), hex('0101ff'), tlv(0x04, hex('03020780'))),
    ),
  );
  const tbs = tlv(
    0x30,
    tlv(0xa0, hex('020102')), // version v3
    tlv(0x02, serial),
    algorithm,
    name,
    tlv(0x30, derTime(new Date(now.getTime() - CLOCK_SKEW_MS)), derTime(NO_EXPIRY)),
    name,
    createPublicKey(privateKey).export({ format: 'der', type: 'spki' }),
    extensions,
  );
  const signature = signData('sha256', tbs, privateKey);
  const der = tlv(0x30, tbs, algorithm, tlv(0x03, Buffer.from([0]), signature));
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`;
}

function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  let length: Buffer;
  if (body.length < 0x80) {
    length = Buffer.from([body.length]);
  } else {
    const bytes: number[] = [];
    for (let n = body.length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

function hex(text: string): Buffer {
  return Buffer.from(text, 'hex');
}

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
function derTime(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  return year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), 'ascii')) : tlv(0x18, Buffer.from(digits, 'ascii'));
}


