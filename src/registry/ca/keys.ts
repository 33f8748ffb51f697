import { createPrivateKey, createPublicKey, type KeyObject, type webcrypto as WebCrypto } from 'node:crypto';
import { SluiceError } from '../../core/index.js';
import { webcrypto, x509 } from './x509.js';

/** The key types Sluice generates: AWS's device default (RSA 2048) and the smaller, faster EC P-256. */
export const KEY_ALGORITHMS = ['RSA-2048', 'EC-P256'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

export interface GeneratedKeyPair {
  keyAlgorithm: KeyAlgorithm;
  /** SubjectPublicKeyInfo, PEM (`-----BEGIN PUBLIC KEY-----`). */
  publicKeyPem: string;
  /** PKCS#8, PEM (`-----BEGIN PRIVATE KEY-----`), unencrypted. */
  privateKeyPem: string;
  keys: WebCrypto.CryptoKeyPair;
}

const RSA_PARAMS = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
const EC_PARAMS = { name: 'ECDSA', namedCurve: 'P-256' };

/** The WebCrypto algorithm a key of this type signs certificates with: always SHA-256. */
export function signingAlgorithm(keyAlgorithm: KeyAlgorithm): { name: string; hash: string } {
  return keyAlgorithm === 'EC-P256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}

export async function generateKeyPair(keyAlgorithm: KeyAlgorithm): Promise<GeneratedKeyPair> {
  const params = keyAlgorithm === 'EC-P256' ? EC_PARAMS : RSA_PARAMS;
  const keys = (await webcrypto.subtle.generateKey(params, true, ['sign', 'verify'])) as WebCrypto.CryptoKeyPair;
  const spki = await webcrypto.subtle.exportKey('spki', keys.publicKey);
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    keyAlgorithm,
    publicKeyPem: toPem(spki, 'PUBLIC KEY'),
    privateKeyPem: toPem(pkcs8, 'PRIVATE KEY'),
    keys,
  };
}

/** Imports a PKCS#8 PEM private key (RSA or EC P-256) for signing with WebCrypto. */
export async function importSigningKey(privateKeyPem: string): Promise<{ keyAlgorithm: KeyAlgorithm; privateKey: WebCrypto.CryptoKey }> {
  const keyObject = createPrivateKey(privateKeyPem);
  const keyAlgorithm = keyAlgorithmOf(keyObject);
  if (!keyAlgorithm) throw new Error(`unsupported CA key type ${keyObject.asymmetricKeyType ?? 'unknown'}: use RSA 2048+ or EC P-256`);
  const der = keyObject.export({ format: 'der', type: 'pkcs8' });
  const params = keyAlgorithm === 'EC-P256' ? EC_PARAMS : RSA_PARAMS;
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, params, false, ['sign']);
  return { keyAlgorithm, privateKey };
}

/** RSA of any size Sluice accepts maps to 'RSA-2048' for signing purposes; EC only on P-256. */
function keyAlgorithmOf(key: KeyObject): KeyAlgorithm | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'RSA-2048';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'EC-P256';
  return undefined;
}

const ACCEPTED_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

/**
 * Keys Sluice certifies or accepts for devices, as AWS IoT: RSA of at least
 * 2048 bits, or EC on P-256, P-384 or P-521. Throws SLUICE_ERR_CERTIFICATE_INVALID.
 */
export function assertAcceptablePublicKey(key: KeyObject, what: string): void {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    if ((details?.modulusLength ?? 0) >= 2048) return;
    throw new SluiceError('SLUICE_ERR_CERTIFICATE_INVALID', `${what}: RSA key of ${details?.modulusLength ?? '?'} bits; at least 2048 are required`);
  }
  if (key.asymmetricKeyType === 'ec') {
    if (details?.namedCurve && ACCEPTED_CURVES.has(details.namedCurve)) return;
    throw new SluiceError('SLUICE_ERR_CERTIFICATE_INVALID', `${what}: EC curve ${details?.namedCurve ?? '?'} is not accepted; use P-256, P-384 or P-521`);
  }
  throw new SluiceError('SLUICE_ERR_CERTIFICATE_INVALID', `${what}: ${key.asymmetricKeyType ?? 'unknown'} keys are not accepted; use RSA 2048+ or EC P-256`);
}

export function publicKeyFromSpkiDer(der: ArrayBuffer | Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)), format: 'der', type: 'spki' });
}

export function toPem(der: ArrayBuffer | Uint8Array, label: string): string {
  const body = x509.PemConverter.encode(der instanceof Uint8Array ? Uint8Array.from(der).buffer : der, label);
  return body.endsWith('\n') ? body : `${body}\n`;
}
