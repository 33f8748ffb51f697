export { targetKey, notificationTargetKey } from './port.js';
export type { ActionQueue, QueuedJob, JobSnapshot, DeadLetter, DeadLetterFilter, QueueStats } from './port.js';
export type { ActionQueueOptions } from './common.js';
export { createMemoryActionQueue } from './memory.js';
export { openSqliteActionQueue } from './sqlite.js';
export type { SqliteActionQueueOptions } from './sqlite.js';
export { encodeJob, decodeJob } from './codec.js';
