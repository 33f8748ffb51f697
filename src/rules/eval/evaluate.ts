/**
 * Compiles an expression AST once into a tree of closures, so evaluating a
 * rule per message is a few function calls, not a walk over the AST.
 * Everything that can be checked before a message arrives is checked here,
 * with the position of the offending node: unknown and unsupported functions,
 * argument counts, undefined variables, features the rule's SQL version lacks.
 */
import { assertNever, SluiceError } from '../../core/index.js';
import { DEFAULT_SQL_VERSION, type Expression, type SelectItem, type SqlVersion } from '../sql/ast.js';
import { invalidError } from '../sql/errors.js';
import { BUILTIN_FUNCTIONS, UNSUPPORTED_FUNCTIONS, type BuiltinFunction } from './functions.js';
import type { DecodedMessage } from './message.js';
import { arithmetic, compare, deepEqual, getAttribute, getElement, membership, negate, toBoolean } from './values.js';

/** What a compiled expression sees while it runs. */
export interface Env {
  readonly msg: DecodedMessage;
  readonly sqlVersion: SqlVersion;
  /** The decoded JSON payload (or, inside a nested query, the current element); Undefined when the payload is not JSON. */
  payload(): unknown;
  /** SET variables by slot, in assignment order. */
  readonly vars: unknown[];
  /** Present while a rule is evaluated with a function invoker (see `LambdaCalls`). */
  readonly lambda: LambdaCalls | undefined;
}

export type Compiled = (env: Env) => unknown;

/**
 * `aws_lambda()` is the one asynchronous thing in an otherwise synchronous
 * evaluator. Rather than make every closure async, an evaluation that meets
 * an aws_lambda call it has no result for records the call and throws
 * `NEEDS_INVOCATION`; the caller runs the recorded invocations and evaluates
 * again with their results. Evaluation is pure, so re-running it is safe.
 */
export interface LambdaCalls {
  readonly results: Map<string, unknown>;
  readonly pending: Map<string, { functionName: string; payload: unknown }>;
}

export const NEEDS_INVOCATION: unique symbol = Symbol('sluice.rules.needsInvocation');

export interface CompileOptions {
  functions?: ReadonlyMap<string, BuiltinFunction>;
  /** SET variables visible here, name → slot. */
  variables?: ReadonlyMap<string, number>;
  sqlVersion?: SqlVersion;
}

/**
 * For rules and templates: a non-JSON payload has no attributes, so reading
 * one gives Undefined (AWS "Binary payloads"). A class, so the per-message
 * cost is one small object (this is on every message's path).
 */
class MessageEnv implements Env {
  constructor(
    readonly msg: DecodedMessage,
    readonly sqlVersion: SqlVersion,
    readonly vars: unknown[],
    readonly lambda: LambdaCalls | undefined,
  ) {}

  payload(): unknown {
    const result = this.msg.json();
    return result.ok ? result.value : undefined;
  }
}

export function messageEnv(msg: DecodedMessage, sqlVersion: SqlVersion = DEFAULT_SQL_VERSION, vars: unknown[] = [], lambda?: LambdaCalls): Env {
  return new MessageEnv(msg, sqlVersion, vars, lambda);
}

interface Context {
  functions: ReadonlyMap<string, BuiltinFunction>;
  variables: ReadonlyMap<string, number>;
  sqlVersion: SqlVersion;
}

export function compileExpression(expression: Expression, options: CompileOptions = {}): Compiled {
  const context: Context = {
    functions: options.functions ?? BUILTIN_FUNCTIONS,
    variables: options.variables ?? new Map(),
    sqlVersion: options.sqlVersion ?? DEFAULT_SQL_VERSION,
  };
  return compileNode(expression, context);
}

function compileNode(node: Expression, context: Context): Compiled {
  const compile = (child: Expression): Compiled => compileNode(child, context);
  switch (node.type) {
    case 'Literal': {
      const value = node.value;
      return () => value;
    }
    case 'Identifier': {
      const name = node.name;
      return (env) => getAttribute(env.payload(), name);
    }
    case 'Variable': {
      const slot = context.variables.get(node.name);
      if (slot === undefined) {
        throw invalidError(node.span.start, `variable @${node.name} is not defined; assign it in the SET clause before it is used (SET @${node.name} = ...)`, {
          variable: node.name,
        });
      }
      return (env) => env.vars[slot];
    }
    case 'Payload':
      // The raw bytes, JSON or not: encode(*, 'base64') and friends take a Buffer.
      return (env) => env.msg.payload;
    case 'Member': {
      const object = compile(node.object);
      const property = node.property;
      return (env) => getAttribute(object(env), property);
    }
    case 'Index': {
      const object = compile(node.object);
      const index = compile(node.index);
      return (env) => getElement(object(env), index(env));
    }
    case 'Call':
      return compileCall(node, context, compile);
    case 'Unary': {
      const operand = compile(node.operand);
      const op = node.op;
      switch (op) {
        case 'NOT':
          return (env) => {
            const b = toBoolean(operand(env));
            return b === undefined ? undefined : !b;
          };
        case '-':
          return (env) => negate(operand(env));
        default:
          return assertNever(op, 'unary operator');
      }
    }
    case 'Binary': {
      const left = compile(node.left);
      const right = compile(node.right);
      const op = node.op;
      switch (op) {
        case 'AND':
        case 'OR':
          return compileLogical(op, left, right);
        case '=':
        case '<>':
        case '<':
        case '<=':
        case '>':
        case '>=':
          return (env) => compare(op, left(env), right(env));
        case '+':
        case '-':
        case '*':
        case '/':
        case '%': {
          // SQL 2015-10-08 keeps a literal written as a decimal (10.0) Decimal, so 10.0 / 4 is 2.5 there.
          const decimal = context.sqlVersion === '2015-10-08' && (isDecimalLiteral(node.left) || isDecimalLiteral(node.right));
          return (env) => arithmetic(op, left(env), right(env), decimal);
        }
        case 'IN':
        case 'CONTAINS':
          return (env) => membership(op, left(env), right(env));
        default:
          return assertNever(op, 'binary operator');
      }
    }
    case 'Array': {
      requireVersion2016(node, context, 'array literals');
      const elements = node.elements.map(compile);
      // Undefined has no JSON form: such elements are left out, as keys are in SELECT.
      return (env) => {
        const out: unknown[] = [];
        for (const element of elements) {
          const v = element(env);
          if (v !== undefined) out.push(v);
        }
        return out;
      };
    }
    case 'Object': {
      requireVersion2016(node, context, 'object literals');
      const properties = node.properties.map((p) => [p.key, compile(p.value)] as const);
      return (env) => {
        const out: Record<string, unknown> = {};
        for (const [key, value] of properties) {
          const v = value(env);
          if (v !== undefined) out[key] = v;
        }
        return out;
      };
    }
    case 'Case': {
      // AWS "Case statements": v is matched for equality against each WHEN in order;
      // Undefined v, or no match and no ELSE, gives Undefined.
      const subject = compile(node.subject);
      const whens = node.whens.map((w) => [compile(w.when), compile(w.then)] as const);
      const otherwise = node.otherwise ? compile(node.otherwise) : undefined;
      return (env) => {
        const v = subject(env);
        if (v === undefined) return undefined;
        for (const [when, then] of whens) {
          const t = when(env);
          if (t !== undefined && deepEqual(v, t)) return then(env);
        }
        return otherwise?.(env);
      };
    }
    case 'Subquery':
      return compileSubquery(node, context, compile);
    default:
      return assertNever(node, 'expression');
  }
}

function isDecimalLiteral(node: Expression): boolean {
  return node.type === 'Literal' && node.decimal === true;
}

function requireVersion2016(node: Expression, context: Context, feature: string): void {
  if (context.sqlVersion !== '2016-03-23') {
    throw invalidError(node.span.start, `${feature} need sqlVersion 2016-03-23 (this rule uses ${context.sqlVersion})`, { sqlVersion: context.sqlVersion });
  }
}

/**
 * `(SELECT ... FROM e WHERE ...)`: the SELECT runs once per element of the
 * array `e`, the element standing in for the payload; the results form an
 * array (elements whose WHERE is not true, and Undefined VALUEs, are left
 * out). An object `e` is queried as itself and gives one result, not an
 * array, as AWS's transform() examples rely on; anything else is Undefined.
 */
function compileSubquery(node: Extract<Expression, { type: 'Subquery' }>, context: Context, compile: (node: Expression) => Compiled): Compiled {
  requireVersion2016(node, context, 'nested queries');
  const from = compile(node.from);
  const where = node.where ? compile(node.where) : undefined;
  const select = compileSelectList(node.items, node.value, compile);
  return (env) => {
    const source = from(env);
    const run = (element: unknown): unknown => {
      const inner: Env = { msg: env.msg, sqlVersion: env.sqlVersion, vars: env.vars, lambda: env.lambda, payload: () => element };
      return where && where(inner) !== true ? undefined : select(inner);
    };
    if (isPlainObject(source)) return run(source);
    if (!Array.isArray(source)) return undefined;
    const out: unknown[] = [];
    for (const element of source as unknown[]) {
      const v = run(element);
      if (v !== undefined) out.push(v);
    }
    return out;
  };
}

/**
 * A SELECT list as one closure: the bare value for VALUE, otherwise an object
 * of the items (`*` merges the payload object; dotted aliases nest).
 * Undefined values leave their key out (AWS "Data types").
 */
export function compileSelectList(items: readonly SelectItem[], value: boolean, compile: (node: Expression) => Compiled): Compiled {
  const first = items[0];
  if (value && first?.type === 'SelectExpression') return compile(first.expression);
  const compiled = items.map((item, index) =>
    item.type === 'SelectAll'
      ? ({ kind: 'all' } as const)
      : ({ kind: 'field', path: item.alias ?? [outputKey(item.expression, index + 1)], value: compile(item.expression) } as const),
  );
  return (env) => {
    const out: Record<string, unknown> = {};
    for (const item of compiled) {
      if (item.kind === 'all') {
        const payload = env.payload();
        if (isPlainObject(payload)) Object.assign(out, payload);
        continue;
      }
      const v = item.value(env);
      if (v !== undefined) setPath(out, item.path, v);
    }
    return out;
  };
}

/** `AS a.b.c` → out.a.b.c = v, creating (or replacing non-object) intermediate objects. */
function setPath(out: Record<string, unknown>, path: readonly string[], v: unknown): void {
  let target = out;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string;
    const next = target[key];
    if (isPlainObject(next)) {
      target = next;
    } else {
      const created: Record<string, unknown> = {};
      target[key] = created;
      target = created;
    }
  }
  target[path[path.length - 1] as string] = v;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/**
 * The output key of an unaliased SELECT item: `a.b` → `b`, `topic()` → `topic`
 * (AWS names a function's result after the function), `@v` → `v`; any other
 * expression gets `_<n>`, its 1-based position in the SELECT list.
 */
export function outputKey(expression: Expression, position: number): string {
  switch (expression.type) {
    case 'Identifier':
    case 'Variable':
      return expression.name;
    case 'Member':
      return expression.property;
    case 'Call':
      return expression.name;
    case 'Literal':
    case 'Index':
    case 'Unary':
    case 'Binary':
    case 'Array':
    case 'Object':
    case 'Case':
    case 'Subquery':
    case 'Payload':
      return `_${position}`;
    default:
      return assertNever(expression, 'expression');
  }
}

/** Functions that exist only in some SQL versions (AWS function reference, "Supported by SQL version ..."). */
const VERSION_2016_FUNCTIONS = new Set(['encode', 'decode', 'indexof', 'isundefined', 'length', 'numbytes', 'parse_time', 'time_to_epoch', 'transform']);
const VERSION_2016_CAST_TYPES = new Set(['decimal', 'bool', 'boolean']);

function compileCall(node: Extract<Expression, { type: 'Call' }>, context: Context, compile: (node: Expression) => Compiled): Compiled {
  const unsupported = UNSUPPORTED_FUNCTIONS.get(node.name);
  if (unsupported !== undefined) throw invalidError(node.span.start, `function '${node.name}' is not supported by Sluice: ${unsupported}`, { function: node.name });
  if (node.name === 'aws_lambda') return compileLambdaCall(node, compile);
  const fn = context.functions.get(node.name);
  if (!fn) throw invalidError(node.span.start, `unknown function '${node.name}' (docs/sql-functions.md lists the functions)`, { function: node.name });
  checkArity(node, fn.minArgs, fn.maxArgs);
  if (context.sqlVersion !== '2016-03-23') {
    const castType = node.name === 'cast' ? node.args[1] : undefined;
    if (VERSION_2016_FUNCTIONS.has(node.name)) requireVersion2016(node, context, `${node.name}()`);
    if (castType?.type === 'Literal' && VERSION_2016_CAST_TYPES.has(String(castType.value).toLowerCase())) {
      requireVersion2016(castType, context, `cast to ${String(castType.value)}`);
    }
  }
  const args = node.args.map(compile);
  const call = fn.call.bind(fn);
  switch (args.length) {
    // The common arities without the intermediate array map, which is measurable on the hot path.
    case 0:
      return (env) => call([], env);
    case 1: {
      const [a] = args as [Compiled];
      return (env) => call([a(env)], env);
    }
    case 2: {
      const [a, b] = args as [Compiled, Compiled];
      return (env) => call([a(env), b(env)], env);
    }
    default:
      return (env) => call(args.map((arg) => arg(env)), env);
  }
}

function checkArity(node: Extract<Expression, { type: 'Call' }>, minArgs: number, maxArgs: number): void {
  const count = node.args.length;
  if (count >= minArgs && count <= maxArgs) return;
  const expected = minArgs === maxArgs ? `${minArgs}` : maxArgs >= Number.MAX_SAFE_INTEGER ? `at least ${minArgs}` : `${minArgs} to ${maxArgs}`;
  throw invalidError(node.span.start, `function '${node.name}' takes ${expected} argument(s) but was given ${count}`, {
    function: node.name,
    expected: { min: minArgs, max: maxArgs },
    given: count,
  });
}

/**
 * `aws_lambda(functionArn, payload)`: the function's result. The first
 * argument is a Sluice function name or a Lambda-style ARN ending in
 * `:function:<name>`. See `LambdaCalls` for how the call leaves the
 * synchronous evaluator.
 */
function compileLambdaCall(node: Extract<Expression, { type: 'Call' }>, compile: (node: Expression) => Compiled): Compiled {
  checkArity(node, 2, 2);
  const [nameArg, payloadArg] = node.args.map(compile) as [Compiled, Compiled];
  // Call sites are told apart by position, so two calls with equal arguments still get their own result.
  const site = node.span.start.offset;
  return (env) => {
    const target = nameArg(env);
    const payload = lambdaPayload(payloadArg(env), env);
    if (typeof target !== 'string' || payload === undefined) return undefined;
    const functionName = lambdaFunctionName(target);
    if (!env.lambda) {
      throw new SluiceError('SLUICE_ERR_RULE_SQL_INVALID', `aws_lambda('${target}') needs the server's functions; it cannot run in a local evaluation`, {
        details: { function: functionName },
      });
    }
    const key = `${site}\u0000${functionName}\u0000${JSON.stringify(payload)}`;
    if (env.lambda.results.has(key)) return env.lambda.results.get(key);
    env.lambda.pending.set(key, { functionName, payload });
    throw NEEDS_INVOCATION;
  };
}

/**
 * `aws_lambda(f, *)` sends the payload: its JSON value, or for a binary
 * payload its base64 text (a function event is JSON, as Lambda's is).
 */
function lambdaPayload(value: unknown, env: Env): unknown {
  if (!Buffer.isBuffer(value)) return value;
  const json = env.msg.json();
  return json.ok ? json.value : value.toString('base64');
}

/** A Sluice function name, or a Lambda ARN `...:function:<name>[:qualifier]` reduced to the name. */
export function lambdaFunctionName(target: string): string {
  const marker = ':function:';
  const at = target.indexOf(marker);
  if (at < 0) return target;
  // arn:aws:lambda:region:account:function:name[:qualifier]
  return target.slice(at + marker.length).split(':')[0] ?? target;
}

/**
 * AWS: Boolean (or "true"/"false") operands; if either side is anything else
 * the result is Undefined, even `false AND <missing>` (AWS "AND operator"
 * table). In a WHERE clause Undefined and false both mean "no match"; the
 * difference shows under NOT and in SELECT output, so we follow AWS exactly.
 */
function compileLogical(op: 'AND' | 'OR', left: Compiled, right: Compiled): Compiled {
  return (env) => {
    const a = toBoolean(left(env));
    const b = toBoolean(right(env));
    if (a === undefined || b === undefined) return undefined;
    return op === 'AND' ? a && b : a || b;
  };
}

/** Whether an expression reads the payload as JSON (attributes, or `*` merged into an object). */
export function readsPayload(expression: Expression): boolean {
  switch (expression.type) {
    case 'Literal':
    case 'Variable':
    case 'Payload':
      return false;
    case 'Identifier':
      return true;
    case 'Member':
      return readsPayload(expression.object);
    case 'Index':
      return readsPayload(expression.object) || readsPayload(expression.index);
    case 'Call':
      return expression.args.some(readsPayload);
    case 'Unary':
      return readsPayload(expression.operand);
    case 'Binary':
      return readsPayload(expression.left) || readsPayload(expression.right);
    case 'Array':
      return expression.elements.some(readsPayload);
    case 'Object':
      return expression.properties.some((p) => readsPayload(p.value));
    case 'Case':
      return (
        readsPayload(expression.subject) ||
        expression.whens.some((w) => readsPayload(w.when) || readsPayload(w.then)) ||
        (expression.otherwise !== undefined && readsPayload(expression.otherwise))
      );
    case 'Subquery':
      // Its own items read the elements, not the payload; only FROM (and outer references) can.
      return readsPayload(expression.from);
    default:
      return assertNever(expression, 'expression');
  }
}
