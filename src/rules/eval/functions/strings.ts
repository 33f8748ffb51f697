/**
 * String functions (AWS IoT SQL reference, "Functions"). Unless a function's
 * table says otherwise, a non-String argument goes through the standard
 * conversion to String (numbers as written, Booleans lower case, arrays and
 * objects as JSON) and Null or Undefined make the result Undefined: so
 * lower(["HELLO"]) is "[\"hello\"]" and length(false) is 5, as documented.
 */
import { toSqlString } from '../values.js';
import { binary, codePoints, ternary, toInt, unary } from './support.js';
import type { BuiltinFunction, FunctionEntries } from './types.js';

function stringFn(fn: (s: string) => unknown): BuiltinFunction {
  return unary((x) => {
    const s = toSqlString(x);
    return s === undefined ? undefined : fn(s);
  });
}

function stringFn2(fn: (a: string, b: string) => unknown): BuiltinFunction {
  return binary((x, y) => {
    const a = toSqlString(x);
    const b = toSqlString(y);
    return a === undefined || b === undefined ? undefined : fn(a, b);
  });
}

/**
 * No arguments: Undefined. Any Array among them: one array of all the
 * arguments, arrays spliced in (concat([1, 2, 3], "hello") = [1, 2, 3, "hello"]).
 * Otherwise the String forms joined. One argument follows the example
 * concat(1) = "1" rather than the table's "returned unmodified": an Array or a
 * String comes back as it was, anything else as its String form.
 */
function concat(args: readonly unknown[]): unknown {
  if (args.length === 0 || args.some((a) => a === undefined || Buffer.isBuffer(a))) return undefined;
  if (args.some(Array.isArray)) return args.flatMap((a) => (Array.isArray(a) ? (a as unknown[]) : [a]));
  let out = '';
  for (const a of args) {
    const s = toSqlString(a);
    if (s === undefined) return undefined;
    out += s;
  }
  return out;
}

/**
 * substring(s, from [, until]): 0-based, `until` exclusive, indexes rounded
 * down and clamped to the string; from >= until gives "".
 */
function substring(args: readonly unknown[]): string | undefined {
  const text = toSqlString(args[0]);
  if (text === undefined) return undefined;
  const chars = codePoints(text);
  const start = toInt(args[1]);
  const end = args.length === 3 ? toInt(args[2]) : chars.length;
  if (start === undefined || end === undefined) return undefined;
  const clamp = (n: number) => Math.min(Math.max(n, 0), chars.length);
  const a = clamp(start);
  const b = clamp(end);
  return a >= b ? '' : chars.slice(a, b).join('');
}

const ASCII_MAX = 127;

/** chr(Int): the ASCII character; outside 0..127 Undefined. Booleans are "Other value", not 0/1. */
function chr(x: unknown): string | undefined {
  if (typeof x !== 'number' && typeof x !== 'string') return undefined;
  const code = toInt(x);
  return code === undefined || code < 0 || code > ASCII_MAX ? undefined : String.fromCharCode(code);
}

/** indexof(s, sub): first 0-based index (in characters) of sub in s, -1 when absent. */
function indexOf(s: string, sub: string): number {
  const at = s.indexOf(sub);
  return at < 0 ? -1 : codePoints(s.slice(0, at)).length;
}

/** Every occurrence, literally: `$` in the replacement is not special (that is regexp_replace). */
function replace(x: unknown, y: unknown, z: unknown): string | undefined {
  const s = toSqlString(x);
  const search = toSqlString(y);
  const replacement = toSqlString(z);
  if (s === undefined || search === undefined || replacement === undefined) return undefined;
  return s.replaceAll(search, () => replacement);
}

const MAX_PAD = 1000;

/** lpad/rpad(s, n): n spaces; n is rounded down and clamped to 0..1000; a non-numeric n is Undefined. */
function pad(side: 'left' | 'right'): BuiltinFunction {
  return binary((x, n) => {
    const s = toSqlString(x);
    // The width must be Int, Decimal or a String that converts: a Boolean or an object is "Other value".
    const width = typeof n === 'number' || typeof n === 'string' ? toInt(n) : undefined;
    if (s === undefined || width === undefined) return undefined;
    const spaces = ' '.repeat(Math.min(Math.max(width, 0), MAX_PAD));
    return side === 'left' ? spaces + s : s + spaces;
  });
}

/*
 * "White space (tabs and spaces)", as the ltrim/rtrim docs define it; trim uses
 * the same set so the three agree. Newlines are kept (Java's String.trim()
 * would also drop them and other control characters).
 */
const LEADING_BLANKS = /^[ \t]+/;
const TRAILING_BLANKS = /[ \t]+$/;

export const STRING_FUNCTIONS: FunctionEntries = [
  ['chr', unary(chr)],
  ['concat', { minArgs: 0, maxArgs: Number.MAX_SAFE_INTEGER, call: (args) => concat(args) }],
  ['endswith', stringFn2((s, suffix) => s.endsWith(suffix))],
  ['indexof', stringFn2(indexOf)],
  ['length', stringFn((s) => codePoints(s).length)],
  ['lower', stringFn((s) => s.toLowerCase())],
  ['lpad', pad('left')],
  ['ltrim', stringFn((s) => s.replace(LEADING_BLANKS, ''))],
  ['numbytes', stringFn((s) => Buffer.byteLength(s, 'utf8'))],
  ['replace', ternary(replace)],
  ['rpad', pad('right')],
  ['rtrim', stringFn((s) => s.replace(TRAILING_BLANKS, ''))],
  ['startswith', stringFn2((s, prefix) => s.startsWith(prefix))],
  ['substring', { minArgs: 2, maxArgs: 3, call: (args) => substring(args) }],
  ['trim', stringFn((s) => s.replace(LEADING_BLANKS, '').replace(TRAILING_BLANKS, ''))],
  ['upper', stringFn((s) => s.toUpperCase())],
];
