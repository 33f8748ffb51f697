/**
 * Argument conversions shared by the function families, after AWS IoT SQL
 * "Data types" → "Conversions". Every helper answers Undefined for a value it
 * cannot convert, so a function only has to pass Undefined on.
 */
import { toNumber } from '../values.js';
import type { BuiltinFunction, FunctionContext } from './types.js';

export function unary(fn: (x: unknown) => unknown): BuiltinFunction {
  return { minArgs: 1, maxArgs: 1, call: (args) => fn(args[0]) };
}

export function binary(fn: (a: unknown, b: unknown) => unknown): BuiltinFunction {
  return { minArgs: 2, maxArgs: 2, call: (args) => fn(args[0], args[1]) };
}

export function ternary(fn: (a: unknown, b: unknown, c: unknown) => unknown): BuiltinFunction {
  return { minArgs: 3, maxArgs: 3, call: (args) => fn(args[0], args[1], args[2]) };
}

/** NaN and ±Infinity have no JSON form (Undefined); -0 would print as 0 anyway, so make it 0. */
export function finite(n: number): number | undefined {
  if (!Number.isFinite(n)) return undefined;
  return n === 0 ? 0 : n;
}

/**
 * To Int, "rounded down to the nearest Int" as the function tables (bitand,
 * chr, lpad, cast, ...) say, i.e. floor. The "Conversions" page says a Decimal
 * is rounded to the nearest Int, but every documented function example
 * (substring("012345", 2.745) = "2345") rounds down, so that is the rule here.
 */
export function toInt(value: unknown): number | undefined {
  const n = toNumber(value);
  return n === undefined ? undefined : finite(Math.floor(n));
}

/** A JSON object: not null, not an array, not the raw payload (`*` evaluates to a Buffer). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/**
 * Strings are measured and indexed in Unicode code points, not UTF-16 units,
 * so an emoji is one character (as length() always did here). AWS runs on the
 * JVM and likely counts UTF-16 units; the two only differ outside the BMP.
 */
export function codePoints(s: string): string[] {
  return Array.from(s);
}

/**
 * `*` as an argument evaluates to the raw payload Buffer (for encode). A
 * function that hands an argument back (get_or_default, nanvl) must not leak
 * bytes into JSON output: there `*` means the payload's JSON value, as it
 * does for aws_lambda, and a payload that is not JSON is Undefined.
 */
export function payloadAsValue(value: unknown, ctx: FunctionContext): unknown {
  if (!Buffer.isBuffer(value)) return value;
  if (value === ctx.msg.payload) {
    const json = ctx.msg.json();
    return json.ok ? json.value : undefined;
  }
  return undefined;
}
