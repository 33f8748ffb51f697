/**
 * Compiles an expression AST once into a tree of closures, so evaluating a
 * rule per message is a few function calls, not a walk over the AST.
 * Function names and argument counts are checked here, at compile time.
 */
import { assertNever, SluiceError } from '../../core/index.js';
import { DEFAULT_SQL_VERSION, type Expression, type SqlVersion } from '../sql/ast.js';
import { invalidError } from '../sql/errors.js';
import { BUILTIN_FUNCTIONS, type BuiltinFunction } from './functions.js';
import type { DecodedMessage } from './message.js';
import { arithmetic, compare, deepEqual, getAttribute, getElement, membership, negate, toBoolean } from './values.js';

/** What a compiled expression sees while it runs. */
export interface Env {
  readonly msg: DecodedMessage;
  readonly sqlVersion: SqlVersion;
  /** The decoded JSON payload; how a non-JSON payload is handled depends on the caller. */
  payload(): unknown;
}

export type Compiled = (env: Env) => unknown;

export interface CompileOptions {
  functions?: ReadonlyMap<string, BuiltinFunction>;
}

/** For rules: reading an attribute of a non-JSON payload is an error the caller counts and logs. */
export function ruleEnv(msg: DecodedMessage, sqlVersion: SqlVersion = DEFAULT_SQL_VERSION): Env {
  return {
    msg,
    sqlVersion,
    payload() {
      const result = msg.json();
      if (result.ok) return result.value;
      throw new SluiceError('SLUICE_ERR_PAYLOAD_NOT_JSON', `payload on topic '${msg.topic}' is not JSON: ${result.error}`, {
        details: { topic: msg.topic, clientId: msg.clientId, bytes: msg.payload.length },
      });
    },
  };
}

export function compileExpression(expression: Expression, options: CompileOptions = {}): Compiled {
  const functions = options.functions ?? BUILTIN_FUNCTIONS;
  const compile = (node: Expression): Compiled => {
    switch (node.type) {
      case 'Literal': {
        const value = node.value;
        return () => value;
      }
      case 'Identifier': {
        const name = node.name;
        return (env) => getAttribute(env.payload(), name);
      }
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
        return compileCall(node, functions, compile);
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
          case '%':
            return (env) => arithmetic(op, left(env), right(env));
          case 'IN':
          case 'CONTAINS':
            return (env) => membership(op, left(env), right(env));
          default:
            return assertNever(op, 'binary operator');
        }
      }
      case 'Array': {
        const elements = node.elements.map(compile);
        // Undefined has no JSON form: such elements are left out, as keys are in SELECT.
        return (env) => elements.map((element) => element(env)).filter((v) => v !== undefined);
      }
      case 'Object': {
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
      default:
        return assertNever(node, 'expression');
    }
  };
  return compile(expression);
}

function compileCall(
  node: Extract<Expression, { type: 'Call' }>,
  functions: ReadonlyMap<string, BuiltinFunction>,
  compile: (node: Expression) => Compiled,
): Compiled {
  const fn = functions.get(node.name);
  if (!fn) throw invalidError(node.span.start, `unknown function '${node.name}'`, { function: node.name });
  const count = node.args.length;
  if (count < fn.minArgs || count > fn.maxArgs) {
    const expected =
      fn.minArgs === fn.maxArgs ? `${fn.minArgs}` : fn.maxArgs >= Number.MAX_SAFE_INTEGER ? `at least ${fn.minArgs}` : `${fn.minArgs} to ${fn.maxArgs}`;
    throw invalidError(node.span.start, `function '${node.name}' takes ${expected} argument(s) but was given ${count}`, {
      function: node.name,
      expected: { min: fn.minArgs, max: fn.maxArgs },
      given: count,
    });
  }
  const args = node.args.map(compile);
  return (env) => fn.call(args.map((arg) => arg(env)), env);
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

/** Whether an expression reads attributes of the payload (so the payload must be JSON). */
export function readsPayload(expression: Expression): boolean {
  switch (expression.type) {
    case 'Literal':
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
    default:
      return assertNever(expression, 'expression');
  }
}
