/**
 * cast(value AS Type): the parser turns it into cast(value, 'Type'), the type
 * name as written. Rules from the AWS cast tables; an unknown type name, or a
 * value with no conversion, is Undefined.
 */
import { toBoolean, toNumber, toSqlString } from '../values.js';
import { finite } from './support.js';
import type { FunctionEntries } from './types.js';

type Target = 'string' | 'int' | 'decimal' | 'boolean';

/** Keyword → target; `decimal`, `bool` and `boolean` exist only in SQL 2016-03-23. */
const TYPES: ReadonlyMap<string, Target> = new Map([
  ['string', 'string'],
  ['nvarchar', 'string'],
  ['text', 'string'],
  ['ntext', 'string'],
  ['varchar', 'string'],
  ['int', 'int'],
  ['integer', 'int'],
  ['double', 'decimal'],
  ['decimal', 'decimal'],
  ['bool', 'boolean'],
  ['boolean', 'boolean'],
]);
const VERSION_2016_ONLY = new Set(['decimal', 'bool', 'boolean']);

/** Booleans become 1/0 here, unlike in the implicit conversions. */
function toDecimal(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return toNumber(value);
}

/** "Rounded down to the nearest Int", for Decimals and Strings alike. */
function toInt(value: unknown): number | undefined {
  const n = toDecimal(value);
  return n === undefined ? undefined : finite(Math.floor(n));
}

function toBool(value: unknown): boolean | undefined {
  if (typeof value === 'number') return value !== 0;
  return toBoolean(value);
}

export function cast(value: unknown, type: unknown, sqlVersion: string): unknown {
  if (typeof type !== 'string') return undefined;
  const keyword = type.toLowerCase();
  const target = TYPES.get(keyword);
  if (target === undefined || (sqlVersion !== '2016-03-23' && VERSION_2016_ONLY.has(keyword))) return undefined;
  switch (target) {
    case 'string':
      // The AWS "Cast to string" table's String row repeats the Boolean one ("true" = True ...);
      // the Conversions page says a String stays itself, which is the only sensible reading.
      return toSqlString(value);
    case 'int':
      return toInt(value);
    case 'decimal':
      return toDecimal(value);
    case 'boolean':
      return toBool(value);
  }
}

export const CAST_FUNCTIONS: FunctionEntries = [['cast', { minArgs: 2, maxArgs: 2, call: (args, ctx) => cast(args[0], args[1], ctx.sqlVersion) }]];
