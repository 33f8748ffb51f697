export {
  policyDocumentSchema,
  parsePolicyDocument,
  policyDocumentWarnings,
  statementsOf,
  POLICY_VERSION,
  MQTT_ACTIONS,
  IOT_POLICY_ACTIONS,
  POLICY_SERVICES,
} from './document.js';
export type { PolicyDocument, PolicyStatement, PolicyEffect, PolicyWarning, StringOrList, ConditionScalar } from './document.js';
export { createAuthorizer, DEFAULT_DECISION_CACHE_SIZE } from './authorizer.js';
export type {
  Authorizer,
  AuthorizerOptions,
  AlternativeNames,
  CertificateFields,
  ConnectionContext,
  IotAction,
  PolicyScope,
} from './authorizer.js';
