/**
 * Operator semantics of AWS IoT SQL 2016-03-23, on plain JS values:
 * `undefined` is SQL Undefined (a missing attribute, an invalid operation),
 * `null` is SQL Null. Ref: AWS IoT SQL reference, "Operators" and "Data types".
 *
 * - Comparisons `< <= > >=` and arithmetic need numbers; strings are converted
 *   to Decimal when they look like numbers ("29" < 35 is true, as on AWS),
 *   anything else gives Undefined, which a WHERE clause treats as "no match".
 * - Numbers are JS doubles: Int when whole (SQL 2016-03-23 processes 10.0 as
 *   Int too), Decimal otherwise; see `arithmetic`.
 * - `=` and `<>` with an Undefined side give Undefined; otherwise mismatched
 *   types are simply not equal.
 * - AND, OR, NOT take Booleans or the strings "true"/"false" (any case).
 * - `x IN array` / `array CONTAINS x`: whether an element equals x (JSON
 *   equality, as `=`); `string CONTAINS string`: substring. Any other operand
 *   types, or an Undefined side, give Undefined.
 */
import { Decimal } from 'decimal.js';
import type { ArithmeticOperator, ComparisonOperator, MembershipOperator } from '../sql/ast.js';

/** AWS "Conversions", String to Decimal: exactly the strings this matches convert ("0", "-1.2", "5E-12"). */
const NUMERIC = /^-?\d+(\.\d+)?([eE]-?\d+)?$/;

/** Int/Decimal, or a String that converts to Decimal; else Undefined. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value);
  return undefined;
}

export function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return undefined;
}

export function compare(op: ComparisonOperator, left: unknown, right: unknown): boolean | undefined {
  switch (op) {
    case '=':
      return left === undefined || right === undefined ? undefined : deepEqual(left, right);
    case '<>':
      return left === undefined || right === undefined ? undefined : !deepEqual(left, right);
    case '<':
    case '<=':
    case '>':
    case '>=':
      return order(op, left, right);
  }
}

function order(op: '<' | '<=' | '>' | '>=', left: unknown, right: unknown): boolean | undefined {
  const a = toNumber(left);
  const b = toNumber(right);
  if (a === undefined || b === undefined) return undefined;
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/**
 * AWS operator tables: `+` with a String on either side converts the other
 * side to a String and concatenates; otherwise Int op Int is Int (`/`
 * truncates toward zero, as Java integer division), and anything involving a
 * Decimal, or a String that converts to one, is exact decimal arithmetic
 * (34 digits, so 0.1 + 0.2 = 0.3), returned as the nearest double.
 * `decimal` forces the decimal path (SQL 2015-10-08 decimal literals).
 */
export function arithmetic(op: ArithmeticOperator, left: unknown, right: unknown, decimal = false): unknown {
  if (op === '+' && (typeof left === 'string' || typeof right === 'string')) {
    const a = toSqlString(left);
    const b = toSqlString(right);
    return a === undefined || b === undefined ? undefined : a + b;
  }
  if (typeof left === 'number' && typeof right === 'number' && Number.isInteger(left) && Number.isInteger(right) && !decimal) {
    return intArithmetic(op, left, right);
  }
  if (op === '%' && typeof left === 'number' && typeof right === 'number' && !decimal) {
    // AWS lists no Decimal % Decimal row, but a remainder of decimals has one obvious meaning.
    return decimalArithmetic(op, left, right);
  }
  const a = toNumber(left);
  const b = toNumber(right);
  if (a === undefined || b === undefined) return undefined;
  return decimalArithmetic(op, a, b);
}

function intArithmetic(op: ArithmeticOperator, a: number, b: number): number | undefined {
  let result: number;
  switch (op) {
    case '+':
      result = a + b;
      break;
    case '-':
      result = a - b;
      break;
    case '*':
      result = a * b;
      break;
    case '/':
      if (b === 0) return undefined;
      result = Math.trunc(a / b);
      break;
    case '%':
      if (b === 0) return undefined;
      result = a % b;
      break;
  }
  return finite(result);
}

const Decimal34 = Decimal.clone({ precision: 34, rounding: Decimal.ROUND_HALF_EVEN });

function decimalArithmetic(op: ArithmeticOperator, a: number, b: number): number | undefined {
  // Division by zero has no value: Undefined, so the key is left out.
  if ((op === '/' || op === '%') && b === 0) return undefined;
  const fast = op === '+' || op === '-' || op === '*' ? shortDecimalArithmetic(op, a, b) : undefined;
  if (fast !== undefined) return finite(fast);
  const x = new Decimal34(a);
  let result: Decimal;
  switch (op) {
    case '+':
      result = x.plus(b);
      break;
    case '-':
      result = x.minus(b);
      break;
    case '*':
      result = x.times(b);
      break;
    case '/':
      result = x.dividedBy(b);
      break;
    case '%':
      result = x.modulo(b);
      break;
  }
  return finite(result.toNumber());
}

/** Most doubles print with at most this many significant digits and read back exactly. */
const EXACT_DIGITS = 15;

/**
 * The exact decimal result of + - * for operands with short decimal forms
 * (sensor readings: 21.5, 0.1), without decimal.js, which costs about a
 * microsecond per operation: the exact result has at most `scale` decimals,
 * the double result is within an ulp of it, so rounding the double to
 * `scale` decimals recovers it as long as it has at most 15 significant
 * digits. Otherwise undefined, and the caller uses decimal.js.
 */
function shortDecimalArithmetic(op: '+' | '-' | '*', a: number, b: number): number | undefined {
  const da = decimalPlaces(a);
  const db = decimalPlaces(b);
  if (da < 0 || db < 0) return undefined;
  const result = op === '+' ? a + b : op === '-' ? a - b : a * b;
  const scale = op === '*' ? da + db : Math.max(da, db);
  const integerDigits = Math.abs(result) < 1 ? 1 : Math.floor(Math.log10(Math.abs(result))) + 1;
  if (!Number.isFinite(result) || scale + integerDigits > EXACT_DIGITS) return undefined;
  return Number(result.toFixed(scale));
}

/** Digits after the point in the number's shortest form; -1 for exponent notation (very large or small). */
function decimalPlaces(n: number): number {
  const text = String(n);
  if (text.includes('e')) return -1;
  const point = text.indexOf('.');
  return point < 0 ? 0 : text.length - point - 1;
}

/** Overflow and NaN have no JSON form (Undefined); -0 prints as 0. */
function finite(n: number): number | undefined {
  if (!Number.isFinite(n)) return undefined;
  return n === 0 ? 0 : n;
}

/**
 * AWS "Conversions", to String: numbers in their usual notation, Booleans
 * lower case, arrays and objects as JSON; Null and Undefined have no String
 * form (Undefined).
 */
export function toSqlString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return undefined;
  if (Buffer.isBuffer(value)) return undefined;
  return JSON.stringify(value);
}

export function negate(value: unknown): number | undefined {
  const n = toNumber(value);
  return n === undefined ? undefined : n === 0 ? 0 : -n;
}

/** JSON value equality: same type and same value; objects by keys, arrays by position. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  const ka = Object.keys(a);
  const recordA = a as Record<string, unknown>;
  const recordB = b as Record<string, unknown>;
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(recordB, k) && deepEqual(recordA[k], recordB[k]));
}

/** Attribute lookup: Undefined unless `value` is a JSON object that has the key. */
export function getAttribute(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

/** Array element by 0-based index (as AWS `a[0]`); Undefined when out of range or not an array. */
export function getElement(value: unknown, index: unknown): unknown {
  if (!Array.isArray(value) || typeof index !== 'number' || !Number.isInteger(index)) return undefined;
  return index >= 0 && index < value.length ? (value[index] as unknown) : undefined;
}

/** How a value reads inside a substitution template: strings raw, the rest as JSON, Undefined empty. */
export function toTemplateString(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

export function membership(op: MembershipOperator, left: unknown, right: unknown): boolean | undefined {
  const [container, item] = op === 'IN' ? [right, left] : [left, right];
  if (item === undefined) return undefined;
  if (Array.isArray(container)) return container.some((element) => deepEqual(element, item));
  if (op === 'CONTAINS' && typeof container === 'string' && typeof item === 'string') return container.includes(item);
  return undefined;
}
