/**
 * The function runtime: bundling TypeScript/JavaScript handlers with esbuild
 * and running them in worker threads. Function code itself imports
 * `sluice/runtime` (./runtime/index.ts), never this file.
 */
export { bundleFunction, type BundleOptions } from './bundle.js';
export { DEFAULT_MAX_EVENT_AGE_MS, DEFAULT_RETRY_ATTEMPTS, FunctionRuntime, type AsyncOutcome } from './function-runtime.js';
export {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_LINES,
  DEFAULT_QUERY_LIMIT,
  FUNCTION_LOG_LEVELS,
  FunctionLogStore,
  formatLogLine,
  type FunctionLogLevel,
  type FunctionLogLine,
  type LogQuery,
  type LogRetention,
} from './log-store.js';
export { DEFAULT_INVOCATIONS_KEPT, InvocationHistory, type InvocationRecord } from './invocations.js';
export { THROTTLED_ERROR_TYPE } from './types.js';
export type {
  DestinationCondition,
  DestinationRecord,
  DestinationTarget,
  Destinations,
  FunctionDefinition,
  FunctionRuntimeOptions,
  FunctionSummary,
  FunctionConfiguration,
  InvocationResult,
  InvocationType,
  InvokeOptions,
  RuntimeServices,
  SerializedError,
} from './types.js';
