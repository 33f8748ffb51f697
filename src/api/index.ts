export { createApi } from './server.js';
export type { ApiDeps } from './deps.js';
