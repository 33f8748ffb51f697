import { SluiceError } from '../core/index.js';
import type { DestinationTarget, FunctionDefinition } from './types.js';

/** Lambda's function-name rule; it also keeps the name safe as a directory name. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** setTimeout's ceiling (2^31 - 1 ms, about 24.8 days); longer delays fire at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** Megabytes: below this V8 cannot start a worker; above Lambda's 10 GB limit is surely a typo. */
const MIN_MEMORY_MB = 16;
const MAX_MEMORY_MB = 10_240;
/** Lambda's longest MaximumEventAgeInSeconds: 6 hours. */
export const MAX_EVENT_AGE_MS = 6 * 3_600_000;

function invalid(field: string, message: string): SluiceError {
  return new SluiceError('SLUICE_ERR_REQUEST_INVALID', `function definition: ${field}: ${message}`, { place: { field } });
}

/** Checks a definition at the edge of the runtime and returns a frozen copy. */
export function validateDefinition(def: FunctionDefinition): Readonly<FunctionDefinition> {
  if (typeof def.name !== 'string' || !NAME.test(def.name)) {
    throw invalid('name', 'must be 1 to 64 letters, digits, hyphens or underscores');
  }
  if (typeof def.code !== 'string' || def.code.length === 0) throw invalid('code', 'must be a non-empty ES module');
  if (typeof def.exportName !== 'string' || !IDENTIFIER.test(def.exportName)) {
    throw invalid('exportName', 'must be a JavaScript identifier');
  }
  if (!Number.isInteger(def.timeoutMs) || def.timeoutMs <= 0 || def.timeoutMs > MAX_TIMEOUT_MS) {
    throw invalid('timeoutMs', `must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}`);
  }
  if (!Number.isInteger(def.memorySizeMb) || def.memorySizeMb < MIN_MEMORY_MB || def.memorySizeMb > MAX_MEMORY_MB) {
    throw invalid('memorySizeMb', `must be a whole number of megabytes from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB}`);
  }
  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries(def.environment ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw invalid(`environment.${key}`, 'variable names are letters, digits and underscores');
    if (typeof value !== 'string') throw invalid(`environment.${key}`, 'must be a string');
    environment[key] = value;
  }
  if (def.reservedConcurrency !== undefined && (!Number.isInteger(def.reservedConcurrency) || def.reservedConcurrency < 0)) {
    throw invalid('reservedConcurrency', 'must be a whole number, 0 or more');
  }
  if (def.retryAttempts !== undefined && (!Number.isInteger(def.retryAttempts) || def.retryAttempts < 0 || def.retryAttempts > 2)) {
    throw invalid('retryAttempts', 'must be 0, 1 or 2');
  }
  // The stack file asks for 60 s..6 h as Lambda does; the runtime only needs a positive bound (tests use less).
  if (def.maxEventAgeMs !== undefined && (!Number.isInteger(def.maxEventAgeMs) || def.maxEventAgeMs <= 0 || def.maxEventAgeMs > MAX_EVENT_AGE_MS)) {
    throw invalid('maxEventAgeMs', `must be a whole number of milliseconds from 1 to ${MAX_EVENT_AGE_MS}`);
  }
  for (const key of ['onSuccess', 'onFailure'] as const) {
    const target = def.destinations?.[key];
    if (target !== undefined) validateDestination(`destinations.${key}`, target);
  }
  return Object.freeze({ ...def, environment: Object.freeze(environment) });
}

function validateDestination(field: string, target: DestinationTarget): void {
  const keys = Object.keys(target).filter((k) => k !== 'prefix');
  const nonEmpty = (value: unknown): boolean => typeof value === 'string' && value.length > 0;
  if (keys.length !== 1) throw invalid(field, 'must name exactly one of topic, function, bucket or mqtt');
  if ('topic' in target && nonEmpty(target.topic)) return;
  if ('function' in target && typeof target.function === 'string' && NAME.test(target.function)) return;
  if ('mqtt' in target && nonEmpty(target.mqtt) && !/[#+]/.test(target.mqtt)) return;
  if ('bucket' in target && nonEmpty(target.bucket) && (target.prefix === undefined || typeof target.prefix === 'string')) return;
  throw invalid(field, 'must be { topic }, { function }, { bucket, prefix? } or { mqtt } with a valid name');
}
