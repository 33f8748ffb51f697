import { SluiceError } from '../core/index.js';
import type { FunctionDefinition } from './types.js';

/** Lambda's function-name rule; it also keeps the name safe as a directory name. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** setTimeout's ceiling (2^31 - 1 ms, about 24.8 days); longer delays fire at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** Megabytes: below this V8 cannot start a worker; above Lambda's 10 GB limit is surely a typo. */
const MIN_MEMORY_MB = 16;
const MAX_MEMORY_MB = 10_240;

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
  return Object.freeze({ ...def, environment: Object.freeze(environment) });
}
