/**
 * Functions over values themselves: Null/Undefined tests and defaults, get,
 * transform.
 */
import { getAttribute, getElement } from '../values.js';
import { binary, codePoints, isJsonObject, payloadAsValue, toInt, unary } from './support.js';
import type { FunctionEntries } from './types.js';

/**
 * get(array, i), get(string, i): 0-based; the index is converted to Int
 * ("1" and 1.9 are 1). get(object, key): the key must be a String.
 * The AWS example get("abc", 1) = "a" contradicts its own "0-based" table
 * and get(["a", "b", "c"], 1) = "b"; 0-based wins, so get("abc", 1) = "b".
 */
function get(container: unknown, key: unknown): unknown {
  if (typeof container === 'string') {
    const i = toInt(key);
    const chars = codePoints(container);
    return i === undefined || i < 0 || i >= chars.length ? undefined : chars[i];
  }
  if (Array.isArray(container)) return getElement(container, toInt(key));
  return isJsonObject(container) && typeof key === 'string' ? getAttribute(container, key) : undefined;
}

/**
 * nanvl(value, fallback): the fallback when value is Undefined, Null or a NaN
 * Decimal. No Sluice value is ever NaN (a function that would produce one,
 * such as sqrt(-1), gives Undefined instead), so "NaN" arrives here as
 * Undefined and takes the same branch: nanvl(sqrt(-1), 0) is 0, as on AWS.
 */
function nanvl(value: unknown, fallback: unknown): unknown {
  return value === undefined || value === null || (typeof value === 'number' && Number.isNaN(value)) ? fallback : value;
}

/** AWS caps the array transform() returns at 128 KiB; past that the result is Undefined here. */
const TRANSFORM_LIMIT_BYTES = 128 * 1024;

/**
 * transform('enrichArray', object, array): a copy of each element (which
 * must be objects) with object's attributes added; object's value wins when
 * both have the key. Other modes are Undefined.
 */
function transform(args: readonly unknown[]): unknown {
  const [mode, attributes, array] = args;
  if (mode !== 'enrichArray' || !isJsonObject(attributes) || !Array.isArray(array)) return undefined;
  const out: Record<string, unknown>[] = [];
  for (const element of array as unknown[]) {
    if (!isJsonObject(element)) return undefined;
    out.push({ ...element, ...attributes });
  }
  return Buffer.byteLength(JSON.stringify(out)) > TRANSFORM_LIMIT_BYTES ? undefined : out;
}

export const OBJECT_FUNCTIONS: FunctionEntries = [
  ['get', binary(get)],
  /*
   * get_or_default(expression[, default]): the default (Undefined when there
   * is none) when the expression is Undefined or Null. AWS also falls back
   * when the expression "fails"; here evaluating an expression does not fail
   * (wrong types give Undefined), so those two cases are all there is.
   */
  [
    'get_or_default',
    {
      minArgs: 1,
      maxArgs: 2,
      call: (args, ctx) => {
        const value = payloadAsValue(args[0], ctx);
        return value === undefined || value === null ? payloadAsValue(args[1], ctx) : value;
      },
    },
  ],
  ['isnull', unary((x) => x === null)],
  ['isundefined', unary((x) => x === undefined)],
  ['nanvl', { minArgs: 2, maxArgs: 2, call: (args, ctx) => nanvl(payloadAsValue(args[0], ctx), payloadAsValue(args[1], ctx)) }],
  ['transform', { minArgs: 3, maxArgs: 3, call: (args) => transform(args) }],
];
