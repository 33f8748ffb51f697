/**
 * Built-in SQL functions (AWS IoT SQL reference, "Functions"). Adding one is
 * one table entry: name (lower case; calls are case-insensitive), arity, and
 * an implementation over already-evaluated arguments. Wrong argument types
 * give Undefined, as on AWS; wrong argument counts are rejected at compile time.
 */
import type { DecodedMessage } from './message.js';

export interface FunctionContext {
  readonly msg: DecodedMessage;
}

export interface BuiltinFunction {
  readonly minArgs: number;
  readonly maxArgs: number;
  call(args: readonly unknown[], ctx: FunctionContext): unknown;
}

export const BUILTIN_FUNCTIONS: ReadonlyMap<string, BuiltinFunction> = new Map<string, BuiltinFunction>([
  [
    'topic',
    {
      minArgs: 0,
      maxArgs: 1,
      // topic() is the whole topic; topic(n) its n-th level, 1-based.
      call(args, { msg }) {
        if (args.length === 0) return msg.topic;
        const n = args[0];
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) return undefined;
        return msg.topic.split('/')[n - 1];
      },
    },
  ],
  ['timestamp', { minArgs: 0, maxArgs: 0, call: (_args, { msg }) => msg.timestamp }],
  ['clientid', { minArgs: 0, maxArgs: 0, call: (_args, { msg }) => msg.clientId }],
]);
