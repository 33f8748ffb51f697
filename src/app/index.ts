export { startServer } from './server.js';
export type { Endpoints, RunningServer } from './server.js';
export type { PendingConfirmation } from './pending-confirmations.js';
