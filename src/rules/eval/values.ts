/**
 * Operator semantics of AWS IoT SQL 2016-03-23, on plain JS values:
 * `undefined` is SQL Undefined (a missing attribute, an invalid operation),
 * `null` is SQL Null. Ref: AWS IoT SQL reference, "Operators" and "Data types".
 *
 * - Comparisons `< <= > >=` and arithmetic need numbers; strings are converted
 *   to Decimal when they look like numbers ("29" < 35 is true, as on AWS),
 *   anything else gives Undefined, which a WHERE clause treats as "no match".
 * - `=` and `<>` with an Undefined side give Undefined; otherwise mismatched
 *   types are simply not equal.
 * - AND, OR, NOT take Booleans or the strings "true"/"false" (any case).
 * - `x IN array` / `array CONTAINS x`: whether an element equals x (JSON
 *   equality, as `=`); `string CONTAINS string`: substring. Any other operand
 *   types, or an Undefined side, give Undefined.
 */
import type { ArithmeticOperator, ComparisonOperator, MembershipOperator } from '../sql/ast.js';

const NUMERIC = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;

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

export function arithmetic(op: ArithmeticOperator, left: unknown, right: unknown): unknown {
  // String + String concatenates (AWS "+" operator table); mixed operands are converted to numbers.
  if (op === '+' && typeof left === 'string' && typeof right === 'string') return left + right;
  const a = toNumber(left);
  const b = toNumber(right);
  if (a === undefined || b === undefined) return undefined;
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
      result = a / b;
      break;
    case '%':
      result = a % b;
      break;
  }
  // Division by zero and overflow have no JSON form: Undefined, so the key is omitted.
  return Number.isFinite(result) ? result : undefined;
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
