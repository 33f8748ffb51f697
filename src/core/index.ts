export * from './errors.js';
export * from './logger.js';
export * from './ids.js';
export * from './duration.js';
export * from './state.js';
export * from './clock.js';
export * from './arn.js';
export * from './zod-errors.js';
