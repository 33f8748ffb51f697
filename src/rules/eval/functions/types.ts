import type { SqlVersion } from '../../sql/ast.js';
import type { DecodedMessage } from '../message.js';

export interface FunctionContext {
  readonly msg: DecodedMessage;
  /** the rule's SQL version, for sql_version() and version-dependent behaviour */
  readonly sqlVersion: SqlVersion;
}

export interface BuiltinFunction {
  readonly minArgs: number;
  readonly maxArgs: number;
  call(args: readonly unknown[], ctx: FunctionContext): unknown;
}

/** One family's entries: name (lower case) → implementation. */
export type FunctionEntries = ReadonlyArray<readonly [string, BuiltinFunction]>;
