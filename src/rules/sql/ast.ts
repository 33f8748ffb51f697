/**
 * The AST of the AWS IoT SQL dialect. Every node is tagged by `type` and
 * carries a `span`, so later stages (compile, deploy-time checks, the console)
 * can point at the exact place in the rule text.
 *
 * Every switch over these unions ends in `assertNever`, so adding a member
 * makes the compiler list each place that must handle it.
 */

/**
 * The SQL versions AWS IoT offers (rule property `awsIotSqlVersion`); a rule
 * picks one with `sqlVersion`, default 2016-03-23. See docs/sql.md for what
 * differs.
 */
export const SQL_VERSIONS = ['2016-03-23', '2015-10-08'] as const;
export type SqlVersion = (typeof SQL_VERSIONS)[number];
export const DEFAULT_SQL_VERSION: SqlVersion = '2016-03-23';

export interface Position {
  /** 1-based */
  line: number;
  /** 1-based, in UTF-16 code units */
  column: number;
  /** 0-based offset into the source text */
  offset: number;
}

export interface Span {
  start: Position;
  end: Position;
}

export type LiteralValue = string | number | boolean | null;

export interface Literal {
  type: 'Literal';
  value: LiteralValue;
  /**
   * For numbers written with a decimal point or an exponent (`10.0`, `1e3`):
   * SQL 2015-10-08 keeps such whole numbers Decimal, 2016-03-23 makes them Int.
   */
  decimal?: boolean;
  span: Span;
}

/** `@name`: a variable assigned in the SET clause (name without the `@`). */
export interface Variable {
  type: 'Variable';
  name: string;
  span: Span;
}

/**
 * `*` as a function argument, e.g. `encode(*, 'base64')`: the raw payload
 * bytes, whatever their format (AWS "Binary payloads").
 */
export interface PayloadReference {
  type: 'Payload';
  span: Span;
}

/**
 * A nested query, `(SELECT VALUE n FROM e WHERE ...)` (AWS "Nested object
 * queries"): runs the SELECT once per element of the array `from` evaluates
 * to, each element standing in for the payload; the result is an array.
 */
export interface Subquery {
  type: 'Subquery';
  value: boolean;
  items: SelectItem[];
  from: Expression;
  where: Expression | undefined;
  span: Span;
}

/** A top-level attribute of the payload, e.g. `humidity`. */
export interface Identifier {
  type: 'Identifier';
  name: string;
  span: Span;
}

/** `object.property`, e.g. `state.reported.temp`. */
export interface Member {
  type: 'Member';
  object: Expression;
  property: string;
  span: Span;
}

/** `object[index]`, e.g. `readings[0]`. */
export interface Index {
  type: 'Index';
  object: Expression;
  index: Expression;
  span: Span;
}

export interface Call {
  type: 'Call';
  /** Lower-cased: function names are case-insensitive. */
  name: string;
  args: Expression[];
  span: Span;
}

export type UnaryOperator = 'NOT' | '-';

export interface Unary {
  type: 'Unary';
  op: UnaryOperator;
  operand: Expression;
  span: Span;
}

/** `!=` is parsed as `<>`: one operator, two spellings. */
export type ComparisonOperator = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%';
export type LogicalOperator = 'AND' | 'OR';
/** `x IN array`, `array CONTAINS x`, `string CONTAINS substring`: comparison precedence. */
export type MembershipOperator = 'IN' | 'CONTAINS';
export type BinaryOperator = ComparisonOperator | ArithmeticOperator | LogicalOperator | MembershipOperator;

export interface Binary {
  type: 'Binary';
  op: BinaryOperator;
  left: Expression;
  right: Expression;
  span: Span;
}

/** `[a, b, ...]` (AWS "JSON extensions"). */
export interface ArrayLiteral {
  type: 'Array';
  elements: Expression[];
  span: Span;
}

export interface ObjectProperty {
  type: 'Property';
  key: string;
  value: Expression;
  /** From the key to the end of the value. */
  span: Span;
}

/** `{'k': expr, "k2": expr}` (AWS "JSON extensions"); keys are unique. */
export interface ObjectLiteral {
  type: 'Object';
  properties: ObjectProperty[];
  span: Span;
}

export interface WhenClause {
  type: 'When';
  when: Expression;
  then: Expression;
  /** From WHEN to the end of the THEN expression. */
  span: Span;
}

/**
 * `CASE v WHEN t THEN r ... [ELSE e] END` (AWS "Case statements"): the only
 * form AWS IoT SQL has; there is no searched `CASE WHEN cond`.
 */
export interface Case {
  type: 'Case';
  subject: Expression;
  /** At least one. */
  whens: WhenClause[];
  otherwise: Expression | undefined;
  span: Span;
}

export type Expression =
  | Literal
  | Identifier
  | Variable
  | Member
  | Index
  | Call
  | Unary
  | Binary
  | ArrayLiteral
  | ObjectLiteral
  | Case
  | Subquery
  | PayloadReference;

/** `*`: every attribute of the payload. */
export interface SelectAll {
  type: 'SelectAll';
  span: Span;
}

export interface SelectExpression {
  type: 'SelectExpression';
  expression: Expression;
  /**
   * Written with AS, one entry per dotted segment: `AS state.reported.t` is
   * ['state', 'reported', 't'] and nests the value in the output object. The
   * output key is derived (see `outputKey`) when absent.
   */
  alias: string[] | undefined;
  span: Span;
}

export type SelectItem = SelectAll | SelectExpression;

export interface FromClause {
  type: 'From';
  /** The MQTT topic filter, quoted or (as AWS also accepts) bare. */
  topicFilter: string;
  /** Whether it was written in quotes, so printing gives back the same form. */
  quoted: boolean;
  /** Where the quoted filter is, for errors about the filter itself. */
  filterSpan: Span;
  span: Span;
}

/** `@name = expression` in the SET clause. */
export interface Assignment {
  type: 'Assignment';
  name: string;
  value: Expression;
  span: Span;
}

export interface SelectStatement {
  type: 'Select';
  /** `SET @a = ..., @b = ...` before SELECT; empty when there is none. Each may use the ones before it. */
  set: Assignment[];
  /**
   * `SELECT VALUE expr`: the output is the bare value of the single item
   * (always a SelectExpression without alias), not an object.
   */
  value: boolean;
  items: SelectItem[];
  /** Absent for rules that only Basic Ingest triggers (`$aws/rules/<rule name>/...`). */
  from: FromClause | undefined;
  where: Expression | undefined;
  span: Span;
}

export type Node = Expression | ObjectProperty | WhenClause | SelectItem | FromClause | Assignment | SelectStatement;
