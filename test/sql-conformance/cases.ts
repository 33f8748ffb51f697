/**
 * The shape of one AWS IoT SQL conformance case. Every case cites where it
 * comes from: a page of the AWS IoT developer guide (2023 snapshot, as
 * `page.md#anchor`) or the URL of a newer page. A source that ends in
 * "(derived: ...)" is not a verbatim example of that page but a concrete case
 * built from its text or from one row of its tables.
 *
 * The runner (conformance.test.ts) compiles `sql`, publishes the payload on
 * `topic` and compares the rule's output with `expect`.
 */

export type SqlVersion = '2016-03-23' | '2015-10-08';

export type SqlErrorCode = 'SLUICE_ERR_RULE_SQL_SYNTAX' | 'SLUICE_ERR_RULE_SQL_INVALID';

export interface ExpectedError {
  code: SqlErrorCode;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
}

export type Expectation =
  /** the rule matches; `output.value` equals this JSON value (key order irrelevant) */
  | { output: unknown }
  /** the rule matches; `output.bytes` (base64) equals this; '' is an empty payload */
  | { outputBase64: string }
  /** the rule does not act on the message (WHERE not true, or the topic does not match FROM) */
  | { noMatch: true }
  /** compileRule throws this SluiceError */
  | { error: ExpectedError };

export interface ConformanceCase {
  /** e.g. 'iot-sql-operators.md#iot-sql-operators-plus', or a URL; "(derived: ...)" when not verbatim */
  source: string;
  /** the full statement */
  sql: string;
  /** default: the FROM filter with every `+` and `#` replaced by `x` */
  topic?: string;
  /** a JSON value, published as JSON.stringify(payload) */
  payload?: unknown;
  /** a raw UTF-8 payload (not necessarily JSON) */
  payloadText?: string;
  /** a binary payload */
  payloadBase64?: string;
  clientId?: string;
  timestamp?: number;
  principal?: string;
  sqlVersion?: SqlVersion;
  expect: Expectation;
  /** where the AWS docs contradict themselves, or the case depends on a documented choice */
  note?: string;
}

export const syntaxErrorAt = (line: number, column: number): { error: ExpectedError } => ({
  error: { code: 'SLUICE_ERR_RULE_SQL_SYNTAX', line, column },
});

export const invalidAt = (line: number, column: number): { error: ExpectedError } => ({
  error: { code: 'SLUICE_ERR_RULE_SQL_INVALID', line, column },
});
