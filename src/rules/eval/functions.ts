/**
 * Built-in SQL functions (AWS IoT SQL reference, "Functions"). Adding one is
 * one table entry: name (lower case; calls are case-insensitive), arity, and
 * an implementation over already-evaluated arguments. Wrong argument types
 * give Undefined, as on AWS; wrong argument counts are rejected at compile time.
 */
import { newId } from '../../core/index.js';
import type { SqlVersion } from '../sql/ast.js';
import type { DecodedMessage } from './message.js';
import { getAttribute, getElement, toNumber } from './values.js';

export interface FunctionContext {
  readonly msg: DecodedMessage;
  /** the rule's SQL version, for sql_version() and version-dependent behaviour */
  readonly sqlVersion: SqlVersion;
}

export interface BuiltinFunction {
  readonly minArgs: number;
  readonly maxArgs: number;
  call(args: readonly unknown[], ctx: FunctionContext): unknown;
}

export const BUILTIN_FUNCTIONS: ReadonlyMap<string, BuiltinFunction> = new Map<string, BuiltinFunction>([
  [
    'topic',
    {
      minArgs: 0,
      maxArgs: 1,
      // topic() is the whole topic; topic(n) its n-th level, 1-based.
      call(args, { msg }) {
        if (args.length === 0) return msg.topic;
        const n = args[0];
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) return undefined;
        return msg.topic.split('/')[n - 1];
      },
    },
  ],
  ['timestamp', { minArgs: 0, maxArgs: 0, call: (_args, { msg }) => msg.timestamp }],
  ['clientid', { minArgs: 0, maxArgs: 0, call: (_args, { msg }) => msg.clientId }],
  // Math: Int/Decimal, or a String that converts to Decimal; anything else is Undefined.
  ['abs', unary((x) => numeric(x, Math.abs))],
  ['ceil', unary((x) => numeric(x, Math.ceil))],
  ['floor', unary((x) => numeric(x, Math.floor))],
  // Half away from zero, as AWS: round(1.5) = 2, round(-1.5) = -2.
  ['round', unary((x) => numeric(x, (n) => Math.sign(n) * Math.round(Math.abs(n))))],
  // Strings: only String arguments; anything else is Undefined.
  ['upper', unary((x) => (typeof x === 'string' ? x.toUpperCase() : undefined))],
  ['lower', unary((x) => (typeof x === 'string' ? x.toLowerCase() : undefined))],
  ['startswith', binary((s, p) => (typeof s === 'string' && typeof p === 'string' ? s.startsWith(p) : undefined))],
  ['endswith', binary((s, p) => (typeof s === 'string' && typeof p === 'string' ? s.endsWith(p) : undefined))],
  // Characters (code points) of a String, elements of an Array.
  ['length', unary((x) => (typeof x === 'string' ? [...x].length : Array.isArray(x) ? x.length : undefined))],
  ['concat', { minArgs: 1, maxArgs: Number.MAX_SAFE_INTEGER, call: (args) => concat(args) }],
  ['substring', { minArgs: 2, maxArgs: 3, call: (args) => substring(args[0], args[1], args[2], args.length === 3) }],
  ['isnull', unary((x) => x === null)],
  ['isundefined', unary((x) => x === undefined)],
  ['get', binary(get)],
  ['newuuid', { minArgs: 0, maxArgs: 0, call: () => newId() }],
]);

function unary(fn: (x: unknown) => unknown): BuiltinFunction {
  return { minArgs: 1, maxArgs: 1, call: (args) => fn(args[0]) };
}

function binary(fn: (a: unknown, b: unknown) => unknown): BuiltinFunction {
  return { minArgs: 2, maxArgs: 2, call: (args) => fn(args[0], args[1]) };
}

function numeric(x: unknown, fn: (n: number) => number): number | undefined {
  const n = toNumber(x);
  if (n === undefined) return undefined;
  const result = fn(n);
  return result === 0 ? 0 : result; // no -0 in JSON output
}

/**
 * Arrays are joined (a non-array argument becomes one element); otherwise the
 * arguments are joined as strings (numbers and Booleans in their JSON form).
 * Undefined anywhere, or an object/null outside an array concat, is Undefined.
 */
function concat(args: readonly unknown[]): unknown {
  if (args.some((a) => a === undefined)) return undefined;
  if (args.some(Array.isArray)) return args.flatMap((a) => (Array.isArray(a) ? (a as unknown[]) : [a]));
  let out = '';
  for (const a of args) {
    if (typeof a === 'string') out += a;
    else if (typeof a === 'number' || typeof a === 'boolean') out += JSON.stringify(a);
    else return undefined;
  }
  return out;
}

/**
 * substring(s, from [, until]): 0-based, `until` exclusive; Decimal indexes are
 * truncated and clamped to the string; a number or Boolean `s` is used as its text.
 */
function substring(s: unknown, from: unknown, until: unknown, hasUntil: boolean): string | undefined {
  const text = typeof s === 'string' ? s : typeof s === 'number' || typeof s === 'boolean' ? JSON.stringify(s) : undefined;
  const start = toNumber(from);
  const end = hasUntil ? toNumber(until) : text?.length;
  if (text === undefined || start === undefined || end === undefined) return undefined;
  const clamp = (n: number) => Math.min(Math.max(Math.trunc(n), 0), text.length);
  const a = clamp(start);
  const b = clamp(end);
  return a >= b ? '' : text.slice(a, b);
}

/** get(array, index), get(string, index) (one character), get(object, key). */
function get(container: unknown, key: unknown): unknown {
  if (typeof container === 'string') {
    return typeof key === 'number' && Number.isInteger(key) && key >= 0 && key < container.length ? container[key] : undefined;
  }
  if (Array.isArray(container)) return getElement(container, key);
  return typeof key === 'string' ? getAttribute(container, key) : undefined;
}
