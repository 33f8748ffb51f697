export { Broker, tokenMatches } from './broker.js';
export type { BrokerHooks, BrokerOptions, InboundMessage } from './broker.js';
export { DEFAULT_BROKER_LIMITS } from './limits.js';
export type { BrokerLimits, LimitKind } from './limits.js';
