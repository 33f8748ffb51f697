/**
 * SNS subscription filter policies: validate and compile a policy once
 * (`parseFilterPolicy`), then test messages against it (`matches`).
 *
 * Semantics follow the Amazon SNS Developer Guide pages "Filter policy
 * constraints", "String value matching", "Numeric value matching", "Key
 * matching", "AND/OR logic" and "Message body filtering"; where the guide is
 * silent, the behaviour of SNS itself as recorded by tests run against AWS
 * (LocalStack's AWS-validated snapshots). In short:
 *
 * - Scope `MessageAttributes` (the default): top-level keys are attribute
 *   names. `String` attributes match string conditions, `Number` attributes
 *   numeric ones, `String.Array` attributes match when an element matches
 *   (but `anything-but` only when *none* of the elements is excluded, as the
 *   guide says for String.Array). `Binary` attributes are ignored, as if
 *   absent. `{"exists": false}` needs at least one (non-Binary) attribute.
 * - Scope `MessageBody`: the body must be a JSON object, else nothing
 *   matches. Keys nest; a policy key `a.b` also reaches `{"a": {"b": ..}}`
 *   (SNS flattens both sides to dotted paths). Arrays in the body match when
 *   any element matches; `exists` works on leaves only.
 * - Types are strict: policy strings match string values, policy numbers
 *   numeric values (compared to five decimals, within ±10^9), and
 *   `true`/`false`/`null` only the same JSON literal.
 * - `$or` is an operator only as the guide defines it (an array of at least 2
 *   objects whose keys are not operator names); otherwise it is a plain key.
 *
 * Matching is allocation-free except for parsing: the body's JSON and a
 * String.Array's JSON are parsed once per message object (cached weakly), so
 * one message tested against many subscriptions is parsed once.
 */
import { isIPv6 } from 'node:net';
import { SluiceError } from '../core/index.js';

export const FILTER_POLICY_SCOPES = ['MessageAttributes', 'MessageBody'] as const;
export type FilterPolicyScope = (typeof FILTER_POLICY_SCOPES)[number];

/** SNS: "The maximum size of a filter policy is 256 KB." (bytes of the JSON, UTF-8) */
export const MAX_FILTER_POLICY_BYTES = 256 * 1024;
/** SNS: at most five keys (all keys for attributes, top-level keys for the body). */
export const MAX_FILTER_POLICY_KEYS = 5;
/** SNS: "The total combination of values in a filter policy must not exceed 150." */
export const MAX_FILTER_POLICY_COMBINATIONS = 150;
/** SNS: numbers "can range from -10^9 to 10^9 ... with five digits of accuracy after the decimal point". */
export const FILTER_POLICY_NUMBER_LIMIT = 1e9;
const NUMBER_SCALE = 1e5;

/** A message attribute as given to Publish (SNS's `MessageAttributeValue`). */
export interface MessageAttributeValue {
  /** `String`, `String.Array`, `Number`, `Binary`, or a custom type such as `Number.float`. */
  DataType: 'String' | 'String.Array' | 'Number' | 'Binary' | `String.${string}` | `Number.${string}` | `Binary.${string}`;
  StringValue?: string;
  BinaryValue?: Uint8Array | string;
}

/** What a filter policy looks at: the attributes (scope MessageAttributes) or the body (scope MessageBody). */
export interface FilterableMessage {
  attributes?: Record<string, MessageAttributeValue>;
  body?: string;
}

/** The policy document: a JSON object. */
export type FilterPolicyDocument = Record<string, unknown>;

// ---------------------------------------------------------------------------
// Compiled form

type Scalar = string | number | boolean | null;

type ValueTest =
  | { kind: 'prefix'; value: string }
  | { kind: 'suffix'; value: string }
  /** `value` is lower-cased. */
  | { kind: 'equals-ignore-case'; value: string }
  /** Bounds are scaled by 10^5 (see `scaled`); undefined = unbounded. */
  | { kind: 'numeric'; lo: number | undefined; loInclusive: boolean; hi: number | undefined; hiInclusive: boolean }
  | { kind: 'cidr'; address: Uint8Array; bits: number };

type AnythingBut =
  /** `numbers` are scaled. */
  | { kind: 'values'; strings: ReadonlySet<string>; numbers: ReadonlySet<number> }
  | { kind: 'prefix'; value: string };

/** One key's conditions (OR'ed). */
interface Leaf {
  /** Attribute name, or dotted body path. */
  key: string;
  strings: ReadonlySet<string>;
  /** Scaled. */
  numbers: ReadonlySet<number>;
  matchTrue: boolean;
  matchFalse: boolean;
  matchNull: boolean;
  existsTrue: boolean;
  existsFalse: boolean;
  tests: ValueTest[];
  anythingBut: AnythingBut[];
}

/** All leaves AND all `$or` groups; a group matches when one of its alternatives does. */
interface Group {
  leaves: Leaf[];
  ors: Group[][];
}

/** A validated, compiled filter policy. Make one with `parseFilterPolicy`. */
export class FilterPolicy {
  readonly scope: FilterPolicyScope;
  /** The policy as JSON (a detached copy), for storing and showing. */
  readonly document: FilterPolicyDocument;
  /** SNS's complexity measure; at most 150. */
  readonly combinations: number;
  /** The keys counted against the five-key limit. */
  readonly keys: readonly string[];
  readonly #root: Group;

  private constructor(scope: FilterPolicyScope, document: FilterPolicyDocument, compiled: Compiled) {
    this.scope = scope;
    this.document = document;
    this.combinations = compiled.combinations;
    this.keys = [...compiled.keys];
    this.#root = compiled.group;
    Object.freeze(this);
  }

  /** @see parseFilterPolicy */
  static parse(policy: unknown, scope: FilterPolicyScope = 'MessageAttributes'): FilterPolicy {
    if (!(FILTER_POLICY_SCOPES as readonly unknown[]).includes(scope)) {
      throw invalid('FilterPolicyScope', `must be ${FILTER_POLICY_SCOPES.join(' or ')}, got ${show(scope)}`);
    }
    const document = readDocument(policy);
    return new FilterPolicy(scope, document, compilePolicy(document, scope));
  }

  /** @see matches */
  matches(message: FilterableMessage): boolean {
    if (this.scope === 'MessageBody') {
      const values = bodyValues(message);
      return values !== undefined && matchBodyGroup(this.#root, values);
    }
    return matchAttributeGroup(this.#root, message.attributes);
  }

  toJSON(): FilterPolicyDocument {
    return this.document;
  }
}

/**
 * Validates an SNS filter policy (a JSON object, or its JSON text) and
 * compiles it. Throws `SLUICE_ERR_REQUEST_INVALID` naming the place in the
 * policy, e.g. `FilterPolicy.price[0].numeric[2]: ...`.
 */
export function parseFilterPolicy(policy: unknown, scope: FilterPolicyScope = 'MessageAttributes'): FilterPolicy {
  return FilterPolicy.parse(policy, scope);
}

/** Whether SNS would deliver `message` to a subscription with this filter policy. */
export function matches(policy: FilterPolicy, message: FilterableMessage): boolean {
  return policy.matches(message);
}

// ---------------------------------------------------------------------------
// Validation and compilation

const ROOT = 'FilterPolicy';
/** The operator names; a `$or` whose objects use one of them is not an OR (SNS "OR operator"). */
const OPERATORS: ReadonlySet<string> = new Set(['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists', 'cidr']);
const NUMERIC_OPERATORS: ReadonlySet<string> = new Set(['=', '<', '<=', '>', '>=']);

function invalid(field: string, message: string): SluiceError {
  return new SluiceError('SLUICE_ERR_REQUEST_INVALID', `${field}: ${message}`, { place: { field } });
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function child(path: string, key: string): string {
  return /^[A-Za-z0-9_$-]+$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readDocument(policy: unknown): FilterPolicyDocument {
  if (policy === undefined || policy === null) throw invalid(ROOT, 'is missing: give a JSON object such as {"store": ["example_corp"]}');
  let text: string;
  if (typeof policy === 'string') {
    text = policy;
  } else {
    try {
      text = JSON.stringify(policy) ?? '';
    } catch (error) {
      throw invalid(ROOT, `must be JSON: ${(error as Error).message}`);
    }
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_FILTER_POLICY_BYTES) {
    throw invalid(ROOT, `is ${bytes} bytes of JSON; SNS allows at most ${MAX_FILTER_POLICY_BYTES} (256 KB)`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw invalid(ROOT, `is not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(document)) throw invalid(ROOT, `must be a JSON object, got ${show(document)}`);
  return document;
}

interface Compiled {
  group: Group;
  combinations: number;
  keys: Set<string>;
}

interface CompileContext {
  scope: FilterPolicyScope;
  /** Keys counted against the limit: every attribute name, or the body's top-level names. */
  keys: Set<string>;
}

function compilePolicy(document: FilterPolicyDocument, scope: FilterPolicyScope): Compiled {
  const context: CompileContext = { scope, keys: new Set() };
  const { group, combinations } = compileObject(document, ROOT, '', 1, context);
  if (context.keys.size > MAX_FILTER_POLICY_KEYS) {
    const which = scope === 'MessageBody' ? 'top-level keys' : 'keys';
    throw invalid(ROOT, `has ${context.keys.size} ${which} (${[...context.keys].map((k) => JSON.stringify(k)).join(', ')}); SNS allows at most ${MAX_FILTER_POLICY_KEYS}`);
  }
  if (combinations > MAX_FILTER_POLICY_COMBINATIONS) {
    throw invalid(ROOT, `is too complex: ${combinations} combinations of values, SNS allows at most ${MAX_FILTER_POLICY_COMBINATIONS} (the product of the number of values of each key, times its nesting depth; $or alternatives add up)`);
  }
  return { group, combinations, keys: context.keys };
}

/** SNS's "OR operator" conditions: an array of at least 2 objects, none with an operator name as a key. */
function isOrOperator(value: unknown): value is Record<string, unknown>[] {
  return Array.isArray(value)
    && value.length >= 2
    && value.every((alternative) => isPlainObject(alternative) && !Object.keys(alternative).some((key) => OPERATORS.has(key)));
}

/**
 * One object of the policy (the root, a nested body object, or a `$or`
 * alternative). `depth` is the nesting level of its keys (1 = top level);
 * `prefix` the dotted body path of the object.
 */
function compileObject(
  object: Record<string, unknown>, path: string, prefix: string, depth: number, context: CompileContext,
): { group: Group; combinations: number } {
  const group: Group = { leaves: [], ors: [] };
  let combinations = 1;
  for (const [key, value] of Object.entries(object)) {
    const keyPath = child(path, key);
    if (key === '$or' && isOrOperator(value)) {
      const alternatives: Group[] = [];
      let sum = 0;
      value.forEach((alternative, index) => {
        const altPath = `${keyPath}[${index}]`;
        if (Object.keys(alternative).length === 0) throw invalid(altPath, 'an alternative of $or must have at least one key');
        const compiled = compileObject(alternative, altPath, prefix, depth, context);
        alternatives.push(compiled.group);
        sum += compiled.combinations;
      });
      group.ors.push(alternatives);
      combinations *= sum;
      continue;
    }
    if (key === '$or' && Array.isArray(value) && value.length === 1 && isPlainObject(value[0]) && !Object.keys(value[0]).some((k) => OPERATORS.has(k))) {
      throw invalid(keyPath, '$or needs at least 2 alternatives, e.g. "$or": [{"a": ["x"]}, {"b": ["y"]}]');
    }
    const dotted = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(value)) {
      if (context.scope === 'MessageAttributes') {
        throw invalid(keyPath, nestedHint(key, value)
          ?? 'nested objects need FilterPolicyScope MessageBody; with scope MessageAttributes a key takes an array of conditions, e.g. ["a", {"prefix": "b"}]');
      }
      if (Object.keys(value).length === 0) throw invalid(keyPath, 'must not be an empty object');
      const hint = nestedHint(key, value);
      if (hint) throw invalid(keyPath, hint);
      if (depth === 1) context.keys.add(key);
      const nested = compileObject(value, keyPath, dotted, depth + 1, context);
      group.leaves.push(...nested.group.leaves);
      group.ors.push(...nested.group.ors);
      combinations *= nested.combinations;
      continue;
    }
    if (!Array.isArray(value)) {
      throw invalid(keyPath, `must be an array of conditions${context.scope === 'MessageBody' ? ' or an object' : ''}, e.g. [${show(value)}]; got ${show(value)}`);
    }
    if (value.length === 0) throw invalid(keyPath, 'empty arrays are not allowed: give at least one condition');
    if (context.scope === 'MessageAttributes' || depth === 1) context.keys.add(key);
    group.leaves.push(compileLeaf(dotted, value, keyPath));
    combinations *= value.length * depth;
  }
  return { group, combinations };
}

/** `{"key": {"prefix": "a"}}`: a match expression written without its array. */
function nestedHint(key: string, value: Record<string, unknown>): string | undefined {
  const operator = Object.keys(value).find((name) => OPERATORS.has(name));
  if (operator === undefined || Array.isArray(value[operator]) || isPlainObject(value[operator])) return undefined;
  return `${show(operator)} is an operator: conditions go in an array, e.g. ${show(key)}: [${show({ [operator]: value[operator] })}]`;
}

function compileLeaf(key: string, conditions: unknown[], path: string): Leaf {
  const strings = new Set<string>();
  const numbers = new Set<number>();
  const leaf: Leaf = {
    key, strings, numbers, matchTrue: false, matchFalse: false, matchNull: false,
    existsTrue: false, existsFalse: false, tests: [], anythingBut: [],
  };
  conditions.forEach((condition, index) => {
    const at = `${path}[${index}]`;
    if (typeof condition === 'string') strings.add(condition);
    else if (typeof condition === 'number') numbers.add(policyNumber(condition, at));
    else if (condition === true) leaf.matchTrue = true;
    else if (condition === false) leaf.matchFalse = true;
    else if (condition === null) leaf.matchNull = true;
    else if (isPlainObject(condition)) compileExpression(leaf, condition, at);
    else throw invalid(at, `a condition must be a string, a number, true, false, null or an object like {"prefix": "a"}; got ${show(condition)}`);
  });
  return leaf;
}

function policyNumber(value: unknown, path: string, what = 'number'): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(path, `must be a ${what}, got ${show(value)}`);
  if (Math.abs(value) > FILTER_POLICY_NUMBER_LIMIT) {
    throw invalid(path, `${value} is out of range: SNS compares numbers from -${FILTER_POLICY_NUMBER_LIMIT} to ${FILTER_POLICY_NUMBER_LIMIT}`);
  }
  return Math.round(value * NUMBER_SCALE);
}

function stringOperand(operator: string, value: unknown, path: string): string {
  if (typeof value !== 'string') throw invalid(path, `${operator} match pattern must be a string, got ${show(value)}`);
  return value;
}

function compileExpression(leaf: Leaf, expression: Record<string, unknown>, path: string): void {
  const names = Object.keys(expression);
  if (names.length !== 1) {
    throw invalid(path, names.length === 0
      ? 'a match expression needs an operator, e.g. {"prefix": "a"}'
      : `only one operator allowed in a match expression, got ${names.map((n) => JSON.stringify(n)).join(', ')}; put each in its own object in the array`);
  }
  const operator = names[0] as string;
  const operand = expression[operator];
  const at = child(path, operator);
  switch (operator) {
    case 'prefix':
    case 'suffix':
      leaf.tests.push({ kind: operator, value: stringOperand(operator, operand, at) });
      return;
    case 'equals-ignore-case':
      leaf.tests.push({ kind: operator, value: stringOperand(operator, operand, at).toLowerCase() });
      return;
    case 'exists':
      if (typeof operand !== 'boolean') throw invalid(at, `exists match pattern must be either true or false, got ${show(operand)}`);
      if (operand) leaf.existsTrue = true;
      else leaf.existsFalse = true;
      return;
    case 'anything-but':
      leaf.anythingBut.push(compileAnythingBut(operand, at));
      return;
    case 'numeric':
      leaf.tests.push(compileNumeric(operand, at));
      return;
    case 'cidr':
      leaf.tests.push(compileCidr(operand, at));
      return;
    default:
      throw invalid(path, `unrecognized match type ${show(operator)}: use prefix, suffix, equals-ignore-case, anything-but, numeric, exists or cidr`);
  }
}

function compileAnythingBut(operand: unknown, path: string): AnythingBut {
  if (isPlainObject(operand)) {
    const names = Object.keys(operand);
    if (names.length !== 1 || names[0] !== 'prefix') {
      const name = names.find((n) => n !== 'prefix') ?? '';
      throw invalid(path, names.length === 0
        ? 'anything-but needs a value, a list of values or {"prefix": "..."}'
        : `unsupported anything-but pattern ${show(name)}: SNS supports only {"anything-but": {"prefix": "..."}}`);
    }
    return { kind: 'prefix', value: stringOperand('prefix', operand.prefix, child(path, 'prefix')) };
  }
  const values = Array.isArray(operand) ? operand : [operand];
  if (Array.isArray(operand) && operand.length === 0) throw invalid(path, 'empty arrays are not allowed: list at least one value');
  const strings = new Set<string>();
  const numbers = new Set<number>();
  values.forEach((value, index) => {
    const at = Array.isArray(operand) ? `${path}[${index}]` : path;
    if (typeof value === 'string') strings.add(value);
    else if (typeof value === 'number') numbers.add(policyNumber(value, at));
    else throw invalid(at, `anything-but takes a string, a number, a list of them, or {"prefix": "..."}; got ${show(value)}`);
  });
  return { kind: 'values', strings, numbers };
}

/** `[op, n]` with op one of = < <= > >=, or `[> or >=, n, < or <=, m]` with n < m. */
function compileNumeric(operand: unknown, path: string): ValueTest {
  if (!Array.isArray(operand)) throw invalid(path, `must be an array such as [">=", 0, "<", 100], got ${show(operand)}`);
  if (operand.length === 0) throw invalid(path, 'must not be empty: give an operator and a number, e.g. [">", 0]');
  const first = operand[0];
  if (typeof first !== 'string') throw invalid(`${path}[0]`, `expected an operator (=, <, <=, >, >=) first, got ${show(first)}`);
  if (!NUMERIC_OPERATORS.has(first)) throw invalid(`${path}[0]`, `unrecognized numeric operator ${show(first)}: use =, <, <=, > or >=`);
  const bottom = policyNumber(operand[1], `${path}[1]`, `number after ${show(first)}`);
  if (operand.length === 2) {
    switch (first) {
      case '=': return { kind: 'numeric', lo: bottom, loInclusive: true, hi: bottom, hiInclusive: true };
      case '<': return { kind: 'numeric', lo: undefined, loInclusive: false, hi: bottom, hiInclusive: false };
      case '<=': return { kind: 'numeric', lo: undefined, loInclusive: false, hi: bottom, hiInclusive: true };
      case '>': return { kind: 'numeric', lo: bottom, loInclusive: false, hi: undefined, hiInclusive: false };
      default: return { kind: 'numeric', lo: bottom, loInclusive: true, hi: undefined, hiInclusive: false };
    }
  }
  if (first !== '>' && first !== '>=') {
    throw invalid(path, `too many elements: only a lower bound (> or >=) can be followed by an upper bound (< or <=), e.g. [">", 0, "<=", 100]`);
  }
  const second = operand[2];
  if (typeof second !== 'string') throw invalid(`${path}[2]`, `expected an upper-bound operator (< or <=), got ${show(second)}`);
  if (second !== '<' && second !== '<=') throw invalid(`${path}[2]`, `bad numeric range operator ${show(second)}: the upper bound takes < or <=`);
  const top = policyNumber(operand[3], `${path}[3]`, `number after ${show(second)}`);
  if (operand.length > 4) throw invalid(path, 'too many terms: a range has one lower and one upper bound');
  if (top <= bottom) throw invalid(path, `bottom must be less than top: ${show(operand[1])} is not below ${show(operand[3])}`);
  return { kind: 'numeric', lo: bottom, loInclusive: first === '>=', hi: top, hiInclusive: second === '<=' };
}

function compileCidr(operand: unknown, path: string): ValueTest {
  if (typeof operand !== 'string') throw invalid(path, `cidr match pattern must be a string such as "10.0.0.0/24", got ${show(operand)}`);
  const parts = operand.split('/');
  if (parts.length !== 2) throw invalid(path, `malformed CIDR ${show(operand)}: one "/" required, e.g. "10.0.0.0/24"`);
  const [ip, mask] = parts as [string, string];
  if (!/^\d{1,3}$/.test(mask)) throw invalid(path, `malformed CIDR ${show(operand)}: mask bits must be an integer`);
  const address = parseIp(ip);
  if (!address) throw invalid(path, `nonstandard IP address ${show(ip)}`);
  const bits = Number(mask);
  if (bits > address.length * 8) throw invalid(path, `malformed CIDR ${show(operand)}: an IPv${address.length === 4 ? 4 : 6} mask has at most ${address.length * 8} bits`);
  return { kind: 'cidr', address, bits };
}

// ---------------------------------------------------------------------------
// Values

/** A number as SNS compares it: to five decimals, within ±10^9; undefined outside that range. */
function scaled(value: number): number | undefined {
  return Math.abs(value) <= FILTER_POLICY_NUMBER_LIMIT ? Math.round(value * NUMBER_SCALE) : undefined;
}

const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseNumberText(text: string): number | undefined {
  return NUMBER_TEXT.test(text.trim()) ? Number(text) : undefined;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    bytes[i] = Number(part);
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  if (!isIPv6(text)) return undefined;
  let rest = text.includes('%') ? text.slice(0, text.indexOf('%')) : text;
  const lastColon = rest.lastIndexOf(':');
  if (rest.indexOf('.', lastColon) !== -1) {
    const v4 = parseIpv4(rest.slice(lastColon + 1));
    if (!v4) return undefined;
    const hex = (high: number, low: number) => ((high << 8) | low).toString(16);
    rest = `${rest.slice(0, lastColon + 1)}${hex(v4[0] as number, v4[1] as number)}:${hex(v4[2] as number, v4[3] as number)}`;
  }
  const halves = rest.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const groups = [...head, ...new Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  if (groups.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const value = parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}

function parseIp(text: string): Uint8Array | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

function inCidr(text: string, address: Uint8Array, bits: number): boolean {
  const ip = parseIp(text);
  if (!ip || ip.length !== address.length) return false;
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (ip[i] !== address[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((ip[whole] as number) & mask) === ((address[whole] as number) & mask);
}

// ---------------------------------------------------------------------------
// Matching

function passes(test: ValueTest, value: string | number): boolean {
  if (typeof value === 'string') {
    switch (test.kind) {
      case 'prefix': return value.startsWith(test.value);
      case 'suffix': return value.endsWith(test.value);
      case 'equals-ignore-case': return value.toLowerCase() === test.value;
      case 'cidr': return inCidr(value, test.address, test.bits);
      default: return false;
    }
  }
  if (test.kind !== 'numeric') return false;
  return (test.lo === undefined || (test.loInclusive ? value >= test.lo : value > test.lo))
    && (test.hi === undefined || (test.hiInclusive ? value <= test.hi : value < test.hi));
}

/** Every condition of the leaf but `exists` and `anything-but`, against one value. */
function matchesValue(leaf: Leaf, value: Scalar): boolean {
  switch (typeof value) {
    case 'string':
      if (leaf.strings.has(value)) return true;
      for (const test of leaf.tests) if (passes(test, value)) return true;
      return false;
    case 'number': {
      const number = scaled(value);
      if (number === undefined) return false;
      if (leaf.numbers.has(number)) return true;
      for (const test of leaf.tests) if (passes(test, number)) return true;
      return false;
    }
    case 'boolean':
      return value ? leaf.matchTrue : leaf.matchFalse;
    default:
      return value === null && leaf.matchNull;
  }
}

/** Whether `value` is one anything-but leaves out. */
function excludes(condition: AnythingBut, value: Scalar): boolean {
  if (condition.kind === 'prefix') return typeof value === 'string' && value.startsWith(condition.value);
  if (typeof value === 'string') return condition.strings.has(value);
  if (typeof value === 'number') {
    const number = scaled(value);
    return number !== undefined && condition.numbers.has(number);
  }
  return false;
}

/** anything-but against one present value: it is a value the condition applies to and is not left out. */
function anythingButMatches(condition: AnythingBut, value: Scalar): boolean {
  if (value === null) return false;
  if (condition.kind === 'prefix' && typeof value !== 'string') return false;
  return !excludes(condition, value);
}

/** anything-but against a String.Array: "it matches if none of the array elements are listed". */
function anythingButMatchesNone(condition: AnythingBut, values: readonly Scalar[]): boolean {
  let applicable = false;
  for (const value of values) {
    if (value === null || (condition.kind === 'prefix' && typeof value !== 'string')) continue;
    if (excludes(condition, value)) return false;
    applicable = true;
  }
  return applicable;
}

// Attributes ---------------------------------------------------------------

type AttributeKind = 'string' | 'number' | 'array' | 'ignored';

function attributeKind(dataType: string): AttributeKind {
  if (dataType === 'String.Array') return 'array';
  if (dataType === 'String' || dataType.startsWith('String.')) return 'string';
  if (dataType === 'Number' || dataType.startsWith('Number.')) return 'number';
  return 'ignored'; // Binary (SNS ignores it) and anything unknown
}

function attributeOf(attributes: Record<string, MessageAttributeValue> | undefined, name: string): MessageAttributeValue | undefined {
  if (!attributes || !Object.hasOwn(attributes, name)) return undefined;
  const attribute = attributes[name];
  return attribute && typeof attribute.DataType === 'string' && attributeKind(attribute.DataType) !== 'ignored' ? attribute : undefined;
}

/** "exists: false only matches if at least one attribute is present." (Binary ones do not count: SNS ignores them.) */
function hasMatchableAttribute(attributes: Record<string, MessageAttributeValue> | undefined): boolean {
  if (!attributes) return false;
  for (const name in attributes) if (attributeOf(attributes, name)) return true;
  return false;
}

const arrayCache = new WeakMap<MessageAttributeValue, { text: string; values: Scalar[] | undefined }>();

/** The scalar elements of a String.Array attribute (nested arrays and objects are skipped); undefined if it is not a JSON array. */
function arrayValues(attribute: MessageAttributeValue, text: string): Scalar[] | undefined {
  const cached = arrayCache.get(attribute);
  if (cached && cached.text === text) return cached.values;
  let values: Scalar[] | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) values = parsed.filter((v): v is Scalar => v === null || typeof v !== 'object');
  } catch {
    values = undefined;
  }
  arrayCache.set(attribute, { text, values });
  return values;
}

function matchAttributeLeaf(leaf: Leaf, attributes: Record<string, MessageAttributeValue> | undefined): boolean {
  const attribute = attributeOf(attributes, leaf.key);
  if (!attribute) return leaf.existsFalse && hasMatchableAttribute(attributes);
  if (leaf.existsTrue) return true;
  const text = attribute.StringValue;
  if (typeof text !== 'string') return false;
  switch (attributeKind(attribute.DataType)) {
    case 'string':
      if (matchesValue(leaf, text)) return true;
      for (const condition of leaf.anythingBut) if (anythingButMatches(condition, text)) return true;
      return false;
    case 'number': {
      const number = parseNumberText(text);
      if (number === undefined) return false;
      if (matchesValue(leaf, number)) return true;
      for (const condition of leaf.anythingBut) if (anythingButMatches(condition, number)) return true;
      return false;
    }
    default: {
      const values = arrayValues(attribute, text);
      if (!values) return false;
      for (const value of values) if (matchesValue(leaf, value)) return true;
      for (const condition of leaf.anythingBut) if (anythingButMatchesNone(condition, values)) return true;
      return false;
    }
  }
}

function matchAttributeGroup(group: Group, attributes: Record<string, MessageAttributeValue> | undefined): boolean {
  for (const leaf of group.leaves) if (!matchAttributeLeaf(leaf, attributes)) return false;
  for (const alternatives of group.ors) {
    let any = false;
    for (const alternative of alternatives) {
      if (matchAttributeGroup(alternative, attributes)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

// Body ---------------------------------------------------------------------

type BodyValues = ReadonlyMap<string, readonly Scalar[]>;

const bodyCache = new WeakMap<FilterableMessage, { body: string; values: BodyValues | undefined }>();

/** The body's leaf values by dotted path (arrays contribute each element); undefined unless the body is a JSON object. */
function bodyValues(message: FilterableMessage): BodyValues | undefined {
  const body = message.body;
  if (typeof body !== 'string') return undefined;
  const cached = bodyCache.get(message);
  if (cached && cached.body === body) return cached.values;
  let values: BodyValues | undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    values = isPlainObject(parsed) ? flatten(parsed) : undefined;
  } catch {
    values = undefined;
  }
  bodyCache.set(message, { body, values });
  return values;
}

function flatten(root: Record<string, unknown>): Map<string, Scalar[]> {
  const out = new Map<string, Scalar[]>();
  // An explicit stack: bodies can nest deeper than the call stack allows.
  const stack: [string, unknown][] = Object.entries(root).reverse();
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [path, value] = item;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([path, value[i]]);
    } else if (isPlainObject(value)) {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, inner] = entries[i] as [string, unknown];
        stack.push([`${path}.${key}`, inner]);
      }
    } else {
      const list = out.get(path);
      if (list) list.push(value as Scalar);
      else out.set(path, [value as Scalar]);
    }
  }
  return out;
}

/** "exists: true ... The key must have a non-null and non-empty value." */
function isPresent(value: Scalar): boolean {
  return value !== null && value !== '';
}

function matchBodyLeaf(leaf: Leaf, values: readonly Scalar[] | undefined): boolean {
  if (leaf.existsTrue || leaf.existsFalse) {
    const present = values !== undefined && values.some(isPresent);
    if (present ? leaf.existsTrue : leaf.existsFalse) return true;
  }
  if (!values) return false;
  for (const value of values) {
    if (matchesValue(leaf, value)) return true;
    for (const condition of leaf.anythingBut) if (anythingButMatches(condition, value)) return true;
  }
  return false;
}

function matchBodyGroup(group: Group, values: BodyValues): boolean {
  for (const leaf of group.leaves) if (!matchBodyLeaf(leaf, values.get(leaf.key))) return false;
  for (const alternatives of group.ors) {
    let any = false;
    for (const alternative of alternatives) {
      if (matchBodyGroup(alternative, values)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}
