export { ALLOW_ALL, Broker, tokenMatches } from './broker.js';
export type {
  BrokerHooks,
  BrokerOptions,
  ClientPermissions,
  ConnectDecision,
  ConnectionInfo,
  ConnectRequest,
  DisconnectReason,
  InboundMessage,
  LifecycleEvent,
  TlsCredentials,
  Transport,
} from './broker.js';
export { DEFAULT_BROKER_LIMITS } from './limits.js';
export type { BrokerLimits, LimitKind } from './limits.js';
