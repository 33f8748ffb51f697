/**
 * Turns the first zod issue into a one-line SluiceError pointing at the YAML
 * node it is about: the key for unknown fields and bad names, the value for
 * wrong values, the enclosing key for missing fields.
 */
import type { z } from 'zod';
import { SluiceError, type ErrorCode } from '../core/index.js';
import { didYouMean } from './suggest.js';
import type { FieldPath, StackLocator } from './yaml-source.js';

export function issueToError(
  error: z.ZodError,
  input: unknown,
  locator: StackLocator,
  schema: z.ZodType,
  prefix: FieldPath = [],
  code: ErrorCode = 'SLUICE_ERR_STACK_INVALID',
): SluiceError {
  // A misspelt field shows up twice (unknown 'acitons', missing 'actions'); the unknown field is the cause.
  const issue = error.issues.find((i) => i.code === 'unrecognized_keys') ?? error.issues[0];
  if (!issue) return new SluiceError(code, 'invalid stack file', { place: { file: locator.fileName } });
  const path = [...prefix, ...issue.path];
  const details = { issues: error.issues.map((i) => ({ path: [...prefix, ...i.path].map(String), message: i.message })) };

  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const known = knownKeys(schema, issue.path);
    const suggestion = didYouMean(key, known);
    const hint = suggestion ? ` (did you mean '${suggestion}'?)` : known.length > 0 ? ` (known fields: ${known.join(', ')})` : '';
    return new SluiceError(code, `unknown field '${key}'${hint}`, { place: locator.place([...path, key], { atKey: true }), details });
  }
  if (issue.code === 'invalid_key') {
    const name = String(issue.path[issue.path.length - 1] ?? '');
    const reason = issue.issues[0]?.message ?? issue.message;
    return new SluiceError(code, `invalid name '${name}': ${reason}`, { place: locator.place(path, { atKey: true }), details });
  }
  const actual = valueAt(input, issue.path);
  if (issue.code === 'invalid_type' && actual === undefined) {
    const field = String(issue.path[issue.path.length - 1] ?? '');
    return new SluiceError(code, `missing required field '${field}'`, { place: locator.place(path), details });
  }
  const message = issue.code === 'invalid_type' && issue.message.startsWith('Invalid input:') ? `expected ${issue.expected}, got ${describe(actual)}` : issue.message;
  return new SluiceError(code, message, { place: locator.place(path), details });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return `string '${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  return `${typeof value} ${String(value)}`;
}

function valueAt(input: unknown, path: FieldPath): unknown {
  let value = input;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/** Minimal view of zod 4's public `_zod.def`, enough to follow a path through wrappers. */
interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
}

function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

/** Peels optional/default/nullable/pipe wrappers off a schema. */
function unwrap(schema: z.ZodType): z.ZodType {
  const def = defOf(schema);
  const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
  return inner ? unwrap(inner) : schema;
}

/** The field names an object schema at `path` accepts, for did-you-mean. */
function knownKeys(schema: z.ZodType, path: FieldPath): string[] {
  let current: z.ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    if (!current) return [];
    const def = defOf(current);
    if (def.type === 'object') current = def.shape?.[String(segment)];
    else if (def.type === 'record') current = def.valueType;
    else if (def.type === 'array') current = def.element;
    else return [];
    current = current && unwrap(current);
  }
  const def = current && defOf(current);
  return def?.type === 'object' ? Object.keys(def.shape ?? {}) : [];
}
