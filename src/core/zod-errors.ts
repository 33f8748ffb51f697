import type { z } from 'zod';
import { SluiceError, type ErrorCode } from './errors.js';

/** `rules[1].actions[0].s3.key` from a zod issue path. */
export function formatFieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** Turns the first zod issue into a SluiceError that names the field. */
export function zodToSluiceError(error: z.ZodError, code: ErrorCode, what: string): SluiceError {
  const issue = error.issues[0];
  const field = issue ? formatFieldPath(issue.path) : '';
  const message = issue ? issue.message : 'invalid';
  return new SluiceError(code, `${what}: ${field ? `${field}: ` : ''}${message}`, {
    place: field ? { field } : {},
    details: { issues: error.issues.map((i) => ({ path: formatFieldPath(i.path), message: i.message })) },
  });
}
