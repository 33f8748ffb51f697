/**
 * Built-in SQL functions (AWS IoT SQL reference, "Functions"), one module per
 * family under ./functions/. Adding one is one table entry: name (lower case;
 * calls are case-insensitive), arity, and an implementation over
 * already-evaluated arguments. Wrong argument types give Undefined, as on AWS;
 * wrong argument counts, and the functions in UNSUPPORTED_FUNCTIONS, are
 * rejected at compile time. docs/sql-functions.md lists every AWS function
 * with its status here. Pure: no I/O (rand() and newuuid() draw randomness).
 */
import { CAST_FUNCTIONS } from './functions/cast.js';
import { CONTEXT_FUNCTIONS } from './functions/context.js';
import { ENCODING_FUNCTIONS } from './functions/encoding.js';
import { HASH_FUNCTIONS } from './functions/hash.js';
import { MATH_FUNCTIONS } from './functions/math.js';
import { OBJECT_FUNCTIONS } from './functions/objects.js';
import { REGEX_FUNCTIONS } from './functions/regex.js';
import { STRING_FUNCTIONS } from './functions/strings.js';
import { TIME_FUNCTIONS } from './functions/time.js';
import type { BuiltinFunction, FunctionEntries } from './functions/types.js';

export type { BuiltinFunction, FunctionContext } from './functions/types.js';

function assemble(...families: FunctionEntries[]): ReadonlyMap<string, BuiltinFunction> {
  const table = new Map<string, BuiltinFunction>();
  for (const [name, fn] of families.flat()) {
    if (table.has(name)) throw new Error(`built-in function '${name}' is defined twice`);
    table.set(name, fn);
  }
  return table;
}

export const BUILTIN_FUNCTIONS: ReadonlyMap<string, BuiltinFunction> = assemble(
  CONTEXT_FUNCTIONS,
  MATH_FUNCTIONS,
  STRING_FUNCTIONS,
  REGEX_FUNCTIONS,
  HASH_FUNCTIONS,
  ENCODING_FUNCTIONS,
  CAST_FUNCTIONS,
  OBJECT_FUNCTIONS,
  TIME_FUNCTIONS,
);

/**
 * AWS functions that have no meaning in Sluice: name → why, shown when a rule
 * uses one so it fails at deploy rather than silently giving Undefined.
 * (aws_lambda is not here: the compiler handles it.)
 */
export const UNSUPPORTED_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ['get_dynamodb', 'get_dynamodb() reads an AWS DynamoDB table, which Sluice does not have; call a function with aws_lambda() that reads your own store'],
  [
    'get_secret',
    'get_secret() reads AWS Secrets Manager, which Sluice does not have; give the secret to the action or function that needs it through its configuration or environment',
  ],
  [
    'get_thing_shadow',
    'get_thing_shadow() reads an AWS IoT device shadow, and Sluice has no shadow service; keep device state in your own store and read it from a function called with aws_lambda()',
  ],
  [
    'get_registry_data',
    'get_registry_data() calls the AWS IoT registry APIs (DescribeThing, ListThingGroupsForThing) while the rule runs, and Sluice rules run without I/O; look the thing up in a function called with aws_lambda()',
  ],
  [
    'machinelearning_predict',
    'machinelearning_predict() calls Amazon Machine Learning, which AWS has retired and Sluice does not have; call your model from a function with aws_lambda()',
  ],
  ['md2', "md2() needs the MD2 digest, which is obsolete and missing from Node's crypto (OpenSSL 3); use md5() or one of the sha*() functions"],
]);
