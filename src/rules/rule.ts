import { assertNever } from '../core/index.js';
import { DEFAULT_SQL_VERSION, type Expression, type SelectItem, type SelectStatement, type SqlVersion } from './sql/ast.js';
import { invalidError } from './sql/errors.js';
import { parseSql } from './sql/parser.js';
import { compileExpression, readsPayload, ruleEnv, type Compiled } from './eval/evaluate.js';
import type { DecodedMessage } from './eval/message.js';
import { validateTopicFilter } from './topic/filter.js';

export interface RuleOutput {
  /** the SELECT result as a JS value; undefined when the payload is passed through unparsed (binary payload with SELECT *), or when SELECT VALUE gives Undefined (then bytes is empty) */
  value: unknown;
  /** bytes for actions that store/forward the output: for a plain `SELECT *` this is the ORIGINAL payload buffer, byte-identical; otherwise JSON.stringify(value) */
  bytes: Buffer;
}

export type RuleEvaluation = { matched: false } | { matched: true; output: RuleOutput };

export interface CompiledRule {
  readonly sql: string;
  readonly topicFilter: string;
  readonly sqlVersion: SqlVersion;
  readonly ast: SelectStatement;
  /** whether it reads JSON fields (anything other than plain SELECT * with no WHERE) */
  readonly readsPayload: boolean;
  evaluate(msg: DecodedMessage): RuleEvaluation;
}

type CompiledItem = { kind: 'all' } | { kind: 'field'; key: string; value: Compiled };

/**
 * The output key of an unaliased SELECT item: `a.b` → `b`, `topic()` → `topic`
 * (AWS names a function's result after the function); any other expression
 * gets `_<n>`, its 1-based position in the SELECT list.
 */
export function outputKey(expression: Expression, position: number): string {
  switch (expression.type) {
    case 'Identifier':
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
      return `_${position}`;
    default:
      return assertNever(expression, 'expression');
  }
}

export interface RuleOptions {
  /** default 2016-03-23 */
  sqlVersion?: SqlVersion;
}

/** Parses and compiles a rule once; `evaluate` then runs per message. Throws SluiceError. */
export function compileRule(sql: string, options: RuleOptions = {}): CompiledRule {
  const sqlVersion = options.sqlVersion ?? DEFAULT_SQL_VERSION;
  const ast = parseSql(sql);
  const topicFilter = ast.from.topicFilter;
  const reason = validateTopicFilter(topicFilter);
  if (reason !== undefined) throw invalidError(ast.from.filterSpan.start, `invalid topic filter '${topicFilter}' in FROM: ${reason}`, { topicFilter });

  const items = ast.items.map(compileItem);
  const where = ast.where ? compileExpression(ast.where) : undefined;
  const first = items[0];
  const selectValue = ast.value && first?.kind === 'field' ? first.value : undefined;
  // `SELECT * ... ` alone forwards the payload as is, so it works for binary payloads too
  // (unless the WHERE clause reads attributes).
  const passthrough = ast.items.length === 1 && ast.items[0]?.type === 'SelectAll';
  const reads =
    (!passthrough && ast.items.some((item) => item.type === 'SelectAll' || readsPayload(item.expression))) ||
    (ast.where !== undefined && readsPayload(ast.where));

  return Object.freeze({
    sql,
    topicFilter,
    sqlVersion,
    ast,
    readsPayload: reads,
    evaluate(msg: DecodedMessage): RuleEvaluation {
      const env = ruleEnv(msg, sqlVersion);
      // Only Boolean true selects the message; false and Undefined (missing field, type mismatch) do not.
      if (where && where(env) !== true) return { matched: false };
      if (passthrough) return { matched: true, output: passthroughOutput(msg) };
      if (selectValue) {
        // SELECT VALUE: the bare value; Undefined gives an empty payload.
        const bare = selectValue(env);
        return { matched: true, output: { value: bare, bytes: bare === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(bare)) } };
      }
      const value: Record<string, unknown> = {};
      for (const item of items) {
        if (item.kind === 'all') {
          const payload = env.payload();
          if (typeof payload === 'object' && payload !== null && !Array.isArray(payload)) Object.assign(value, payload);
        } else {
          const v = item.value(env);
          // Undefined has no JSON form: the key is left out [AWS IoT SQL "Data types"].
          if (v !== undefined) value[item.key] = v;
        }
      }
      return { matched: true, output: { value, bytes: Buffer.from(JSON.stringify(value)) } };
    },
  });
}

function compileItem(item: SelectItem, index: number): CompiledItem {
  switch (item.type) {
    case 'SelectAll':
      return { kind: 'all' };
    case 'SelectExpression':
      return { kind: 'field', key: item.alias ?? outputKey(item.expression, index + 1), value: compileExpression(item.expression) };
    default:
      return assertNever(item, 'select item');
  }
}

/**
 * The value is decoded lazily: an action that stores the bytes (S3) never pays
 * for JSON parsing; one that needs the value shares the message's single parse.
 */
function passthroughOutput(msg: DecodedMessage): RuleOutput {
  return {
    bytes: msg.payload,
    get value(): unknown {
      const json = msg.json();
      return json.ok ? json.value : undefined;
    },
  };
}
