/**
 * encode(value, 'base64') and decode(value, 'base64'); 'base64' is the only
 * scheme (AWS also has decode(..., 'proto', ...), which needs a descriptor
 * file in S3: not offered). Any other scheme is Undefined.
 */
import { toSqlString } from '../values.js';
import { binary } from './support.js';
import type { FunctionEntries } from './types.js';

const BASE64 = 'base64';

/**
 * `*` arrives as the raw payload Buffer: its bytes are encoded as they are, so
 * binary payloads survive. Anything else is converted to a String first
 * (AWS: "the result of the evaluation is converted to a string before it is
 * encoded") and its UTF-8 bytes encoded.
 */
function encode(value: unknown, scheme: unknown): string | undefined {
  if (scheme !== BASE64) return undefined;
  if (Buffer.isBuffer(value)) return value.toString('base64');
  const s = toSqlString(value);
  return s === undefined ? undefined : Buffer.from(s, 'utf8').toString('base64');
}

/** As Java's basic decoder: the standard alphabet, no line breaks, padding optional but correct if present. */
const BASE64_TEXT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The decoded text; when it is a JSON document, its value, so attributes can
 * be read (decode(x, 'base64').temperature) and numbers compared: the WHERE
 * page's example decodes the payload `80` to the number 80. Text that is not
 * base64, or bytes that are not UTF-8, "cannot be decoded": Null, as AWS
 * documents.
 */
function decode(value: unknown, scheme: unknown): unknown {
  if (scheme !== BASE64) return undefined;
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) return undefined;
  // decode(*, 'base64'): a payload that is base64 text.
  const text = typeof value === 'string' ? value : bytesToText(value);
  if (text === undefined || !BASE64_TEXT.test(text)) return null;
  const decoded = bytesToText(Buffer.from(text, 'base64'));
  if (decoded === undefined) return null;
  try {
    return JSON.parse(decoded) as unknown;
  } catch {
    return decoded;
  }
}

function bytesToText(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export const ENCODING_FUNCTIONS: FunctionEntries = [
  ['decode', binary(decode)],
  ['encode', binary(encode)],
];
