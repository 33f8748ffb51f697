/**
 * S3 user metadata travels as HTTP headers (`x-amz-meta-*`), which carry
 * only printable ASCII. Other values are sent RFC 2047-encoded
 * (`=?UTF-8?B?...?=`), as AWS's documentation suggests for non-ASCII
 * metadata, and decoded on the way back, so a topic with `é` round-trips.
 */
const PLAIN = /^[\x20-\x7e]*$/;
const ENCODED = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/i;

export function encodeMetadataValue(value: string): string {
  // A plain value that looks encoded is encoded too, so decoding gives it back unchanged.
  if (PLAIN.test(value) && !ENCODED.test(value) && value.trim() === value) return value;
  return `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

export function decodeMetadataValue(value: string): string {
  const match = ENCODED.exec(value);
  return match ? Buffer.from(match[1] ?? '', 'base64').toString('utf8') : value;
}
