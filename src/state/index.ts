export { openSqliteStateStore } from './sqlite.js';
export { createMemoryStateStore } from './memory.js';
