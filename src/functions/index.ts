/**
 * The function runtime: bundling TypeScript/JavaScript handlers with esbuild
 * and running them in worker threads. Function code itself imports
 * `sluice/runtime` (./runtime/index.ts), never this file.
 */
export { bundleFunction, type BundleOptions } from './bundle.js';
export { FunctionRuntime } from './function-runtime.js';
export type {
  FunctionDefinition,
  FunctionRuntimeOptions,
  FunctionSummary,
  InvocationResult,
  InvocationType,
  InvokeOptions,
  RuntimeServices,
  SerializedError,
} from './types.js';
