export {
  CertificateAuthority,
  CA_CERTIFICATE_FILE,
  CA_KEY_FILE,
  DEFAULT_SERVER_HOSTS,
  MAX_PEM_LENGTH,
} from './authority.js';
export type {
  CertificateAuthorityOptions,
  IssuedCertificate,
  IssueDeviceCertificateParams,
  ServerCertificate,
  SignCsrOptions,
} from './authority.js';
export { KEY_ALGORITHMS, generateKeyPair, assertAcceptablePublicKey } from './keys.js';
export type { GeneratedKeyPair, KeyAlgorithm } from './keys.js';
