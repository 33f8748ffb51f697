export * from './policy/index.js';
export { TokenStore, TOKEN_SCOPES, TOKEN_PREFIX } from './tokens.js';
export type { TokenRecord, TokenScope, CreateTokenRequest } from './tokens.js';
export {
  Registry,
  policyArn,
  thingArn,
  THING_NAME,
  POLICY_NAME,
  MAX_POLICY_VERSIONS,
  MAX_POLICY_DOCUMENT_LENGTH,
} from './registry.js';
export type {
  Thing,
  ThingDescription,
  PutThingOptions,
  ListThingsOptions,
  Policy,
  PolicyVersion,
  RegistryChange,
  RegistryChangeListener,
  RegistryOptions,
  CreateKeysAndCertificateOptions,
  CreateCertificateFromCsrOptions,
  RegisterCertificateOptions,
  RegisterCaCertificateOptions,
  UpdateCaCertificateOptions,
  ListCertificatesOptions,
} from './registry.js';
export {
  CERTIFICATE_STATUSES,
  SETTABLE_CERTIFICATE_STATUSES,
  CA_CERTIFICATE_STATUSES,
  AUTO_REGISTRATION_STATUSES,
  DN_ATTRIBUTE_OIDS,
  certificateArn,
  caCertificateArn,
  normalizeCertificateId,
} from './certificates.js';
export type {
  CertificateStatus,
  SettableCertificateStatus,
  CaCertificateStatus,
  AutoRegistrationStatus,
  CertificateOrigin,
  CertificateMode,
  CertificateValidity,
  CertificateRecord,
  CaCertificateRecord,
  KeysAndCertificate,
  CertificateFromCsr,
  RegisteredCertificate,
  IdentifyResult,
  CertificateFields,
  CertificateAlternativeNames,
} from './certificates.js';
export { parsePrincipal, THING_PRINCIPAL_TYPES, TOKEN_PRINCIPAL } from './attachments.js';
export type { Principal, ThingPrincipal, PrincipalThing, ThingPrincipalType, AttachThingPrincipalOptions } from './attachments.js';
export { CertificateAuthority, CA_CERTIFICATE_FILE, CA_KEY_FILE, DEFAULT_SERVER_HOSTS, KEY_ALGORITHMS, generateKeyPair } from './ca/index.js';
export type { KeyAlgorithm, GeneratedKeyPair, ServerCertificate, IssuedCertificate } from './ca/index.js';
export { THING_TYPE_NAME, MAX_SEARCHABLE_ATTRIBUTES, MAX_THING_TYPE_DESCRIPTION, thingTypeArn, thingTypePropertiesSchema } from './thing-types.js';
export type { ThingType, ThingTypeProperties, ThingTypeMetadata } from './thing-types.js';
