/**
 * Numeric functions (AWS IoT SQL reference, "Functions": abs ... trunc, bit*).
 * Arguments are Int/Decimal or Strings that convert to Decimal; anything else
 * is Undefined. Numbers are JS doubles, which is exactly the "Decimal (with
 * double precision)" most of these return on AWS; a result with no JSON form
 * (NaN from acos(2) or sqrt(-1), Infinity from exp(1000) or ln(0)) is
 * Undefined, as AWS documents for "imaginary results".
 */
import { Decimal } from 'decimal.js';
import { arithmetic, toNumber } from '../values.js';
import { binary, finite, toInt, unary } from './support.js';
import type { BuiltinFunction, FunctionEntries } from './types.js';

function double(fn: (n: number) => number): BuiltinFunction {
  return unary((x) => {
    const n = toNumber(x);
    return n === undefined ? undefined : finite(fn(n));
  });
}

function double2(fn: (a: number, b: number) => number): BuiltinFunction {
  return binary((x, y) => {
    const a = toNumber(x);
    const b = toNumber(y);
    return a === undefined || b === undefined ? undefined : finite(fn(a, b));
  });
}

function bitwise(fn: (a: bigint, b: bigint) => bigint): BuiltinFunction {
  return binary((x, y) => {
    const a = toInt(x);
    const b = toInt(y);
    // BigInt, not the 32-bit JS operators: an Int here may need up to 53 bits.
    return a === undefined || b === undefined ? undefined : finite(Number(fn(BigInt(a), BigInt(b))));
  });
}

/**
 * Half away from zero: round(1.5) = 2, round(-1.5) = -2. The AWS argument
 * table says "rounded down" and the prose says "rounded up"; the examples
 * (Round(1.7) = 2, Round(-1.5) = -2) only fit half-away-from-zero, which is
 * Java's HALF_UP.
 */
function roundHalfAwayFromZero(n: number): number {
  return Math.sign(n) * Math.round(Math.abs(n));
}

const MAX_TRUNC_PLACES = 34;

/**
 * trunc(x, places): decimal digits are cut in base 10 (decimal.js), so
 * trunc(0.29, 2) is 0.29, not the 0.28 that binary floating point gives.
 */
function trunc(x: unknown, places: unknown): number | undefined {
  const n = toNumber(x);
  const p = toInt(places);
  if (n === undefined || p === undefined) return undefined;
  const digits = Math.min(Math.max(p, 0), MAX_TRUNC_PLACES);
  return finite(new Decimal(n).toDecimalPlaces(digits, Decimal.ROUND_DOWN).toNumber());
}

/**
 * mod and remainder are documented as the same function and as the `%`
 * operator, so both are the operator: the sign follows the dividend
 * (mod(-8, 3) = -2, as Java's BigDecimal.remainder), decimals are exact,
 * and a zero divisor is Undefined.
 */
const modulo = binary((a, b) => arithmetic('%', a, b));

export const MATH_FUNCTIONS: FunctionEntries = [
  ['abs', double(Math.abs)],
  ['acos', double(Math.acos)],
  ['asin', double(Math.asin)],
  ['atan', double(Math.atan)],
  // atan2(y, x), the Java argument order: the documented atan2(1, 0) is π/2.
  ['atan2', double2(Math.atan2)],
  ['ceil', double(Math.ceil)],
  ['cos', double(Math.cos)],
  ['cosh', double(Math.cosh)],
  ['exp', double(Math.exp)],
  ['floor', double(Math.floor)],
  ['ln', double(Math.log)],
  // Base 10 with one argument only; AWS has no log(base, x).
  ['log', double(Math.log10)],
  ['mod', modulo],
  ['power', double2(Math.pow)],
  ['rand', { minArgs: 0, maxArgs: 0, call: () => Math.random() }],
  ['remainder', modulo],
  ['round', double(roundHalfAwayFromZero)],
  ['sign', double(Math.sign)],
  ['sin', double(Math.sin)],
  ['sinh', double(Math.sinh)],
  ['sqrt', double(Math.sqrt)],
  ['tan', double(Math.tan)],
  ['tanh', double(Math.tanh)],
  ['trunc', binary(trunc)],
  ['bitand', bitwise((a, b) => a & b)],
  ['bitor', bitwise((a, b) => a | b)],
  ['bitxor', bitwise((a, b) => a ^ b)],
  /*
   * Two's complement, as NOT of a signed Int is everywhere: bitnot(13) = -14.
   * The AWS example says bitnot(13) = 2 (13 NOT-ed in 4 bits), which fits no
   * integer width; its neighbour example `bitor(13, 5) = 8` is a hand-written
   * bitxor, so these examples were not produced by the service.
   */
  [
    'bitnot',
    unary((x) => {
      const a = toInt(x);
      return a === undefined ? undefined : finite(Number(~BigInt(a)));
    }),
  ],
];
