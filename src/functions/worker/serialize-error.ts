import type { SerializedError } from './messages.js';

/**
 * Lambda reports `errorType` as the error's name; a subclass that forgot to set
 * `name` still says `Error`, so fall back to the constructor's name, which is
 * what a reader of the log expects (`class ValidationError extends Error`).
 */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const ctorName = error.constructor?.name;
    const type = error.name === 'Error' && ctorName && ctorName !== 'Error' ? ctorName : error.name || 'Error';
    return error.stack === undefined ? { type, message: error.message } : { type, message: error.message, stack: error.stack };
  }
  // Thrown non-errors (`throw 'oops'`): Lambda's Node runtime reports these as plain strings too.
  if (typeof error === 'object' && error !== null) {
    let message: string;
    try {
      message = JSON.stringify(error);
    } catch {
      message = String(error);
    }
    return { type: 'Error', message };
  }
  return { type: 'Error', message: String(error) };
}
