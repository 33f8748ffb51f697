// The shim must be evaluated before @peculiar/x509 (and tsyringe) load.
import './reflect-shim.js';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * @peculiar/x509 is typed against the DOM's WebCrypto types, which this
 * Node-only project does not load; these name them through the library's own
 * signatures, for the casts from node:crypto's `webcrypto` types.
 */
export type X509Crypto = Parameters<typeof x509.X509CertificateGenerator.create>[1];
export type X509CryptoKey = x509.X509CertificateCreateWithKeyParams['signingKey'];
export type X509CryptoKeyPair = x509.X509CertificateCreateSelfSignedParams['keys'];

x509.cryptoProvider.set(webcrypto as unknown as NonNullable<X509Crypto>);

export { x509, webcrypto };
