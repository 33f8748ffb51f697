/**
 * IAM condition operators, evaluated with IAM's rules
 * (reference_policies_elements_condition_operators, _multi-value-conditions):
 *
 * - operators in a block, and keys under an operator, are ANDed; values for
 *   one key are ORed — for negated operators (`StringNotEquals`, ...) the key
 *   must match none of them;
 * - a key without a value: positive operators are false, negated ones true,
 *   `...IfExists` true; `Null` tests exactly that;
 * - `ForAnyValue:` is true when any key value matches (false without values),
 *   `ForAllValues:` when every key value does (true without values);
 * - variables are substituted in the values of string and ARN operators only;
 *   a value whose variable has no value matches nothing.
 *
 * Sluice's rule on top: a key Sluice does not provide (see context.ts) makes
 * its operator false, so the statement never applies, whatever its effect.
 */
import { compileGlob, type GlobPiece, type Matcher } from './glob.js';
import type { KeyResolver } from './context.js';
import { parseTemplate, piecesText, renderTemplate, splitArnPieces } from './template.js';

type Base =
  | 'StringEquals'
  | 'StringEqualsIgnoreCase'
  | 'StringLike'
  | 'NumericEquals'
  | 'NumericLessThan'
  | 'NumericLessThanEquals'
  | 'NumericGreaterThan'
  | 'NumericGreaterThanEquals'
  | 'DateEquals'
  | 'DateLessThan'
  | 'DateLessThanEquals'
  | 'DateGreaterThan'
  | 'DateGreaterThanEquals'
  | 'Bool'
  | 'BinaryEquals'
  | 'IpAddress'
  | 'ArnLike'
  | 'Null';

export type OperatorFamily = 'string' | 'numeric' | 'date' | 'bool' | 'binary' | 'ip' | 'arn' | 'null';

const OPERATORS: Record<string, { base: Base; negated: boolean; family: OperatorFamily }> = {};
function op(name: string, base: Base, negated: boolean, family: OperatorFamily): void {
  OPERATORS[name.toLowerCase()] = { base, negated, family };
}
op('StringEquals', 'StringEquals', false, 'string');
op('StringNotEquals', 'StringEquals', true, 'string');
op('StringEqualsIgnoreCase', 'StringEqualsIgnoreCase', false, 'string');
op('StringNotEqualsIgnoreCase', 'StringEqualsIgnoreCase', true, 'string');
op('StringLike', 'StringLike', false, 'string');
op('StringNotLike', 'StringLike', true, 'string');
op('NumericEquals', 'NumericEquals', false, 'numeric');
op('NumericNotEquals', 'NumericEquals', true, 'numeric');
op('NumericLessThan', 'NumericLessThan', false, 'numeric');
op('NumericLessThanEquals', 'NumericLessThanEquals', false, 'numeric');
op('NumericGreaterThan', 'NumericGreaterThan', false, 'numeric');
op('NumericGreaterThanEquals', 'NumericGreaterThanEquals', false, 'numeric');
op('DateEquals', 'DateEquals', false, 'date');
op('DateNotEquals', 'DateEquals', true, 'date');
op('DateLessThan', 'DateLessThan', false, 'date');
op('DateLessThanEquals', 'DateLessThanEquals', false, 'date');
op('DateGreaterThan', 'DateGreaterThan', false, 'date');
op('DateGreaterThanEquals', 'DateGreaterThanEquals', false, 'date');
op('Bool', 'Bool', false, 'bool');
op('BinaryEquals', 'BinaryEquals', false, 'binary');
op('IpAddress', 'IpAddress', false, 'ip');
op('NotIpAddress', 'IpAddress', true, 'ip');
op('ArnEquals', 'ArnLike', false, 'arn');
op('ArnLike', 'ArnLike', false, 'arn');
op('ArnNotEquals', 'ArnLike', true, 'arn');
op('ArnNotLike', 'ArnLike', true, 'arn');
op('Null', 'Null', false, 'null');

export interface ParsedOperator {
  readonly base: Base;
  readonly family: OperatorFamily;
  readonly negated: boolean;
  readonly ifExists: boolean;
  readonly set: 'any' | 'all' | undefined;
}

/** `ForAnyValue:StringLikeIfExists` → its parts; `undefined` for an unknown operator. Case-insensitive. */
export function parseOperator(name: string): ParsedOperator | undefined {
  let rest = name;
  let set: ParsedOperator['set'];
  const lower = rest.toLowerCase();
  if (lower.startsWith('foranyvalue:')) {
    set = 'any';
    rest = rest.slice('ForAnyValue:'.length);
  } else if (lower.startsWith('forallvalues:')) {
    set = 'all';
    rest = rest.slice('ForAllValues:'.length);
  }
  let ifExists = false;
  if (rest.toLowerCase().endsWith('ifexists')) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  const known = OPERATORS[rest.toLowerCase()];
  if (!known) return undefined;
  if (known.base === 'Null' && (ifExists || set)) return undefined;
  return { ...known, ifExists, set };
}

export type ConditionValue = string | number | boolean;
export type ConditionBlock = Record<string, Record<string, ConditionValue | readonly ConditionValue[]>>;

export function conditionValues(value: unknown): string[] {
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  return list.map((v) => String(v));
}

/** The outcome of a statement's Condition block for one connection, with the reason when false. */
export function evaluateConditions(block: ConditionBlock | undefined, keys: KeyResolver): { holds: boolean; reason: string } {
  if (!block) return { holds: true, reason: '' };
  for (const [operatorName, entries] of Object.entries(block)) {
    const operator = parseOperator(operatorName);
    if (!operator) return { holds: false, reason: `unknown condition operator ${operatorName}` };
    if (typeof entries !== 'object' || entries === null) return { holds: false, reason: `${operatorName} has no keys` };
    for (const [keyName, raw] of Object.entries(entries)) {
      const key = keys.key(keyName);
      if (!key.known) return { holds: false, reason: `condition key ${keyName} is not available in Sluice` };
      if (!evaluateOne(operator, key.values, conditionValues(raw), keys)) {
        return { holds: false, reason: `${operatorName} on ${keyName} is false` };
      }
    }
  }
  return { holds: true, reason: '' };
}

function evaluateOne(operator: ParsedOperator, keyValues: readonly string[] | undefined, policyValues: string[], keys: KeyResolver): boolean {
  const present = keyValues !== undefined && keyValues.length > 0;
  if (operator.base === 'Null') {
    // "true": the key is absent; "false": it is present. Several values are ORed.
    return policyValues.some((v) => (v.toLowerCase() === 'true' ? !present : v.toLowerCase() === 'false' ? present : false));
  }
  const match = valueMatcher(operator, policyValues, keys);
  if (operator.set === 'any') {
    if (!present) return operator.ifExists;
    return keyValues.some((k) => match(k) !== operator.negated);
  }
  if (operator.set === 'all') {
    if (!present) return true;
    return keyValues.every((k) => match(k) !== operator.negated);
  }
  if (!present) return operator.ifExists || operator.negated;
  // A single-valued operator on a multi-valued key (`.List`): any key value may match;
  // a negated one must match none.
  const any = keyValues.some((k) => match(k));
  return operator.negated ? !any : any;
}

/** "Does this key value match any of the policy values" for the operator's base (un-negated) form. */
function valueMatcher(operator: ParsedOperator, policyValues: string[], keys: KeyResolver): (keyValue: string) => boolean {
  const variable = (name: string) => keys.variable(name);
  switch (operator.family) {
    case 'string': {
      const tests: Matcher[] = [];
      for (const value of policyValues) {
        const parsed = parseTemplate(value);
        if (!parsed.ok) continue;
        const { pieces, unresolved } = renderTemplate(parsed.parts, variable);
        if (unresolved !== undefined) continue; // a value with no value: "There is no equal or like value."
        if (operator.base === 'StringLike') {
          tests.push(compileGlob(pieces));
        } else if (operator.base === 'StringEqualsIgnoreCase') {
          const expected = piecesText(pieces).toLowerCase();
          tests.push((k) => k.toLowerCase() === expected);
        } else {
          const expected = piecesText(pieces);
          tests.push((k) => k === expected);
        }
      }
      return (k) => tests.some((t) => t(k));
    }
    case 'arn': {
      const tests: Matcher[] = [];
      for (const value of policyValues) {
        const parsed = parseTemplate(value);
        if (!parsed.ok) continue;
        const { pieces, unresolved } = renderTemplate(parsed.parts, variable);
        if (unresolved === undefined) tests.push(compileArnPattern(pieces));
      }
      return (k) => tests.some((t) => t(k));
    }
    case 'numeric': {
      const expected = policyValues.map(parseNumber);
      const compare = NUMERIC[operator.base]!;
      return (k) => {
        const n = parseNumber(k);
        return !Number.isNaN(n) && expected.some((e) => !Number.isNaN(e) && compare(n, e));
      };
    }
    case 'date': {
      const expected = policyValues.map(parseDate);
      const compare = NUMERIC[operator.base]!;
      return (k) => {
        const n = parseDate(k);
        return !Number.isNaN(n) && expected.some((e) => !Number.isNaN(e) && compare(n, e));
      };
    }
    case 'bool': {
      const expected = policyValues.map((v) => v.toLowerCase());
      return (k) => expected.includes(k.toLowerCase());
    }
    case 'binary': {
      const expected = policyValues.map((v) => Buffer.from(v, 'base64'));
      return (k) => {
        const bytes = Buffer.from(k, 'utf8');
        return expected.some((e) => e.equals(bytes));
      };
    }
    case 'ip': {
      const ranges = policyValues.map(parseCidr).filter((r): r is Cidr => r !== undefined);
      return (k) => {
        const ip = parseIp(k);
        return ip !== undefined && ranges.some((r) => cidrContains(r, ip));
      };
    }
    case 'null':
      return () => false;
  }
}

const NUMERIC: Partial<Record<Base, (a: number, b: number) => boolean>> = {
  NumericEquals: (a, b) => a === b,
  NumericLessThan: (a, b) => a < b,
  NumericLessThanEquals: (a, b) => a <= b,
  NumericGreaterThan: (a, b) => a > b,
  NumericGreaterThanEquals: (a, b) => a >= b,
  DateEquals: (a, b) => a === b,
  DateLessThan: (a, b) => a < b,
  DateLessThanEquals: (a, b) => a <= b,
  DateGreaterThan: (a, b) => a > b,
  DateGreaterThanEquals: (a, b) => a >= b,
};

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
export function parseNumber(value: string): number {
  const v = value.trim();
  return NUMBER.test(v) ? Number(v) : Number.NaN;
}

const ISO_DATE = /^\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)?)?$/;
/** W3C ISO 8601 dates or epoch seconds, as IAM's date operators take. */
export function parseDate(value: string): number {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  return ISO_DATE.test(v) ? Date.parse(v) : Number.NaN;
}

/** ArnLike: each of the first five colon-separated parts matched on its own; the resource part keeps its colons. */
export function compileArnPattern(pieces: readonly GlobPiece[]): Matcher {
  const segments = splitArnPieces(pieces);
  if (!segments) {
    // `*` alone matches any ARN; anything else that is not an ARN matches nothing.
    return pieces.length === 1 && pieces[0]!.wild && pieces[0]!.text === '*' ? () => true : () => false;
  }
  const matchers = segments.map((s) => compileGlob(s));
  return (value) => {
    const parts = splitArn(value);
    return parts !== undefined && matchers.every((m, i) => m(parts[i]!));
  };
}

export function splitArn(value: string): string[] | undefined {
  const parts: string[] = [];
  let from = 0;
  for (let i = 0; i < 5; i++) {
    const colon = value.indexOf(':', from);
    if (colon < 0) return undefined;
    parts.push(value.slice(from, colon));
    from = colon + 1;
  }
  parts.push(value.slice(from));
  return parts;
}

// --- IP addresses ----------------------------------------------------------

interface Ip {
  readonly v6: boolean;
  readonly bytes: Uint8Array;
}
interface Cidr {
  readonly ip: Ip;
  readonly bits: number;
}

function parseIpv4(value: string): Uint8Array | undefined {
  const parts = value.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    bytes[i] = Number(p);
  }
  return bytes;
}

function parseIpv6(value: string): Uint8Array | undefined {
  let v = value;
  const zone = v.indexOf('%');
  if (zone >= 0) v = v.slice(0, zone);
  let tailV4: Uint8Array | undefined;
  const lastColon = v.lastIndexOf(':');
  if (lastColon >= 0 && v.includes('.', lastColon)) {
    tailV4 = parseIpv4(v.slice(lastColon + 1));
    if (!tailV4) return undefined;
    v = `${v.slice(0, lastColon + 1)}0:0`;
  }
  const halves = v.split('::');
  if (halves.length > 2) return undefined;
  const group = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = group(halves[0]!);
  const tail = halves.length === 2 ? group(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const words = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[i * 2] = w >> 8;
    bytes[i * 2 + 1] = w & 0xff;
  });
  if (tailV4) bytes.set(tailV4, 12);
  return bytes;
}

export function parseIp(value: string): Ip | undefined {
  const v = value.trim();
  const v4 = parseIpv4(v);
  if (v4) return { v6: false, bytes: v4 };
  const v6 = v.includes(':') ? parseIpv6(v) : undefined;
  if (!v6) return undefined;
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d, as Node reports IPv4 clients on dual-stack sockets) is that IPv4 address.
  if (v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff) return { v6: false, bytes: v6.slice(12) };
  return { v6: true, bytes: v6 };
}

/** `203.0.113.0/24`, `2001:DB8::/32`, or one address (IAM: "the default prefix value of /32"). */
export function parseCidr(value: string): Cidr | undefined {
  const slash = value.indexOf('/');
  const ip = parseIp(slash < 0 ? value : value.slice(0, slash));
  if (!ip) return undefined;
  const max = ip.v6 ? 128 : 32;
  if (slash < 0) return { ip, bits: max };
  const bitsText = value.slice(slash + 1).trim();
  if (!/^\d{1,3}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  return bits <= max ? { ip, bits } : undefined;
}

function cidrContains(range: Cidr, ip: Ip): boolean {
  if (range.ip.v6 !== ip.v6) return false;
  let bits = range.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((range.ip.bytes[i]! & mask) !== (ip.bytes[i]! & mask)) return false;
  }
  return true;
}
