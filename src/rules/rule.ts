import { SluiceError } from '../core/index.js';
import { DEFAULT_SQL_VERSION, type Expression, type SelectStatement, type SqlVersion } from './sql/ast.js';
import { invalidError } from './sql/errors.js';
import { parseSql } from './sql/parser.js';
import { walkExpression, walkItems } from './sql/walk.js';
import {
  compileExpression,
  compileSelectList,
  lambdaFunctionName,
  messageEnv,
  NEEDS_INVOCATION,
  readsPayload,
  type Compiled,
  type CompileOptions,
  type LambdaCalls,
} from './eval/evaluate.js';
import type { DecodedMessage } from './eval/message.js';
import { validateTopicFilter } from './topic/filter.js';

export { outputKey } from './eval/evaluate.js';

export interface RuleOutput {
  /** the SELECT result as a JS value; undefined when the payload is passed through unparsed (binary payload with SELECT *), or when SELECT VALUE gives Undefined (then bytes is empty) */
  value: unknown;
  /** bytes for actions that store/forward the output: for a plain `SELECT *` this is the ORIGINAL payload buffer, byte-identical; otherwise JSON.stringify(value) */
  bytes: Buffer;
}

export type RuleEvaluation =
  | { matched: false }
  | {
      matched: true;
      output: RuleOutput;
      /** The SET variables' values by slot (see `CompiledRule.variables`), for the actions' substitution templates. */
      vars: readonly unknown[];
    };

/** Runs one function synchronously for `aws_lambda()`; resolves to its result, rejects with its error. */
export type FunctionInvoker = (functionName: string, payload: unknown, timeoutMs: number) => Promise<unknown>;

export interface CompiledRule {
  readonly sql: string;
  /** Undefined for a rule without FROM, which only Basic Ingest (`$aws/rules/<name>`) triggers. */
  readonly topicFilter: string | undefined;
  readonly sqlVersion: SqlVersion;
  readonly ast: SelectStatement;
  /** SET variable name → slot, for compiling the rule's substitution templates. */
  readonly variables: ReadonlyMap<string, number>;
  /** whether it reads JSON fields (anything other than plain SELECT * with no WHERE) */
  readonly readsPayload: boolean;
  /** Whether it calls aws_lambda(), so it must be evaluated with `evaluateAsync`. */
  readonly invokesFunctions: boolean;
  evaluate(msg: DecodedMessage): RuleEvaluation;
  /** As `evaluate`, running the aws_lambda() calls through `invoke`. */
  evaluateAsync(msg: DecodedMessage, invoke: FunctionInvoker): Promise<RuleEvaluation>;
}

export interface RuleOptions {
  /** default 2016-03-23 */
  sqlVersion?: SqlVersion;
}

const NO_VARS: unknown[] = Object.freeze([]) as unknown as unknown[];
const NO_MATCH: RuleEvaluation = Object.freeze({ matched: false });

/** Re-evaluations allowed per message for aws_lambda(): each one resolves at least one more call. */
const MAX_INVOCATION_ROUNDS = 16;

/** Parses and compiles a rule once; `evaluate` then runs per message. Throws SluiceError. */
export function compileRule(sql: string, options: RuleOptions = {}): CompiledRule {
  const sqlVersion = options.sqlVersion ?? DEFAULT_SQL_VERSION;
  const ast = parseSql(sql);
  const topicFilter = ast.from?.topicFilter;
  if (ast.from && topicFilter !== undefined) {
    const reason = validateTopicFilter(topicFilter);
    if (reason !== undefined) throw invalidError(ast.from.filterSpan.start, `invalid topic filter '${topicFilter}' in FROM: ${reason}`, { topicFilter });
  }
  checkAliasesInWhere(ast);

  // Each SET expression sees the variables assigned before it.
  const variables = new Map<string, number>();
  const assignments: Compiled[] = [];
  for (const assignment of ast.set) {
    assignments.push(compileExpression(assignment.value, { variables: new Map(variables), sqlVersion }));
    variables.set(assignment.name, variables.size);
  }
  const options_: CompileOptions = { variables, sqlVersion };
  const compile = (node: Expression): Compiled => compileExpression(node, options_);
  const select = compileSelectList(ast.items, ast.value, compile);
  const where = ast.where ? compile(ast.where) : undefined;

  // `SELECT *` alone forwards the payload as is, so it works for binary payloads too.
  const passthrough = ast.items.length === 1 && ast.items[0]?.type === 'SelectAll';
  const mergesPayload = !passthrough && ast.items.some((item) => item.type === 'SelectAll');
  const reads =
    mergesPayload ||
    ast.items.some((item) => item.type === 'SelectExpression' && readsPayload(item.expression)) ||
    ast.set.some((a) => readsPayload(a.value)) ||
    (ast.where !== undefined && readsPayload(ast.where));
  const invokesFunctions = usesFunction(ast, 'aws_lambda');

  const run = (msg: DecodedMessage, lambda?: LambdaCalls): RuleEvaluation => {
    // Rules without SET share one empty array instead of allocating per message.
    const vars: unknown[] = assignments.length === 0 ? NO_VARS : [];
    const env = messageEnv(msg, sqlVersion, vars, lambda);
    for (const assignment of assignments) vars.push(assignment(env));
    // Only Boolean true selects the message; false and Undefined (missing field, type mismatch) do not.
    if (where && where(env) !== true) return NO_MATCH;
    if (passthrough) return { matched: true, output: new PassthroughOutput(msg), vars };
    if (mergesPayload && !msg.json().ok && msg.payload.length > 0) {
      throw new SluiceError('SLUICE_ERR_PAYLOAD_NOT_JSON', `payload on topic '${msg.topic}' is not JSON, so SELECT * cannot add fields to it; use encode(*, 'base64') AS data to carry it in JSON`, {
        details: { topic: msg.topic, clientId: msg.clientId, bytes: msg.payload.length },
      });
    }
    const value = select(env);
    if (ast.value) {
      // SELECT VALUE: the bare value; Undefined gives an empty payload.
      return { matched: true, output: { value, bytes: value === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(value)) }, vars };
    }
    return { matched: true, output: { value, bytes: Buffer.from(JSON.stringify(value)) }, vars };
  };

  return Object.freeze({
    sql,
    topicFilter,
    sqlVersion,
    ast,
    variables,
    readsPayload: reads,
    invokesFunctions,
    evaluate: (msg: DecodedMessage): RuleEvaluation => run(msg),
    async evaluateAsync(msg: DecodedMessage, invoke: FunctionInvoker): Promise<RuleEvaluation> {
      if (!invokesFunctions) return run(msg);
      const lambda: LambdaCalls = { results: new Map(), pending: new Map() };
      for (let round = 0; round < MAX_INVOCATION_ROUNDS; round++) {
        try {
          return run(msg, lambda);
        } catch (error) {
          if (error !== NEEDS_INVOCATION) throw error;
        }
        const calls = [...lambda.pending];
        lambda.pending.clear();
        const results = await Promise.all(calls.map(([, call]) => invoke(call.functionName, call.payload, AWS_LAMBDA_TIMEOUT_MS)));
        calls.forEach(([key], i) => lambda.results.set(key, results[i]));
      }
      throw new SluiceError('SLUICE_ERR_RULE_SQL_INVALID', `rule calls aws_lambda() more than ${MAX_INVOCATION_ROUNDS} times in sequence for one message`, {
        details: { rounds: MAX_INVOCATION_ROUNDS },
      });
    },
  });
}

/** AWS: aws_lambda() runs the function synchronously with a 2 s limit. */
export const AWS_LAMBDA_TIMEOUT_MS = 2000;

/**
 * WHERE sees the incoming payload, not the SELECT output (AWS "WHERE
 * clause"), so `SELECT a AS b ... WHERE b > 1` reads a payload attribute `b`
 * that is almost never there. Reject it at deploy time rather than let the
 * rule silently never match.
 */
function checkAliasesInWhere(ast: SelectStatement): void {
  if (!ast.where) return;
  const aliases = new Map<string, Expression>();
  for (const item of ast.items) {
    if (item.type === 'SelectExpression' && item.alias?.length === 1 && item.alias[0] !== undefined) aliases.set(item.alias[0], item.expression);
  }
  if (aliases.size === 0) return;
  walkExpression(ast.where, (node) => {
    if (node.type !== 'Identifier') return;
    const aliased = aliases.get(node.name);
    // `SELECT x AS x` renames nothing: WHERE x reads the same attribute.
    if (!aliased || (aliased.type === 'Identifier' && aliased.name === node.name)) return;
    throw invalidError(
      node.span.start,
      `'${node.name}' is a SELECT alias, but WHERE sees the incoming payload, not the SELECT output; repeat the expression in WHERE, or compute it once with SET @${node.name} = ... and use @${node.name} in both`,
      { alias: node.name },
    );
  });
}

/** The function names a rule passes to aws_lambda() as literals, so a deploy can check they exist. */
export function lambdaTargets(rule: CompiledRule): string[] {
  const names = new Set<string>();
  forEachExpression(rule.ast, (node) => {
    const [target] = node.type === 'Call' && node.name === 'aws_lambda' ? node.args : [];
    if (target?.type === 'Literal' && typeof target.value === 'string') names.add(lambdaFunctionName(target.value));
  });
  return [...names];
}

function forEachExpression(ast: SelectStatement, visit: (node: Expression) => void): void {
  for (const a of ast.set) walkExpression(a.value, visit);
  walkItems(ast.items, visit);
  if (ast.where) walkExpression(ast.where, visit);
}

function usesFunction(ast: SelectStatement, name: string): boolean {
  let found = false;
  forEachExpression(ast, (node) => {
    if (node.type === 'Call' && node.name === name) found = true;
  });
  return found;
}

/**
 * The value is decoded lazily: an action that stores the bytes (S3) never pays
 * for JSON parsing; one that needs the value shares the message's single parse.
 * A class rather than an object literal with a getter: this is allocated per
 * matched message, and literal accessors are several times slower to create.
 */
class PassthroughOutput implements RuleOutput {
  readonly bytes: Buffer;
  readonly #msg: DecodedMessage;

  constructor(msg: DecodedMessage) {
    this.bytes = msg.payload;
    this.#msg = msg;
  }

  get value(): unknown {
    const json = this.#msg.json();
    return json.ok ? json.value : undefined;
  }
}
