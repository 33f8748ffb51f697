/**
 * Hashing functions: the lower-case hex digest of the argument's UTF-8 bytes;
 * non-String arguments go through the standard String conversion (md5(1) is
 * md5("1")), Null and Undefined give Undefined. md2 is not offered: Node's
 * OpenSSL 3 build has no MD2 (see UNSUPPORTED_FUNCTIONS).
 */
import { createHash } from 'node:crypto';
import { toSqlString } from '../values.js';
import { unary } from './support.js';
import type { BuiltinFunction, FunctionEntries } from './types.js';

function digest(algorithm: string): BuiltinFunction {
  return unary((x) => {
    const s = toSqlString(x);
    return s === undefined ? undefined : createHash(algorithm).update(s, 'utf8').digest('hex');
  });
}

export const HASH_FUNCTIONS: FunctionEntries = [
  ['md5', digest('md5')],
  ['sha1', digest('sha1')],
  ['sha224', digest('sha224')],
  ['sha256', digest('sha256')],
  ['sha384', digest('sha384')],
  ['sha512', digest('sha512')],
];
