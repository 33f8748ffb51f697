export { Broker, tokenMatches } from './broker.js';
export type { BrokerHooks, BrokerOptions, InboundMessage } from './broker.js';
