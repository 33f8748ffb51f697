import type { PayloadPreview } from './model.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Control characters other than tab, newline and carriage return mark a payload as binary. */
// eslint-disable-next-line no-control-regex -- the point is to find control characters
const BINARY = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * A payload's first bytes as the API shows them: text when they are UTF-8
 * without control characters, else base64. Decoded when a trace is read,
 * not when the message arrives, so the hot path only copies bytes.
 */
export function payloadPreview(bytes: Buffer, truncated: boolean): PayloadPreview {
  const text = decodeText(bytes, truncated);
  if (text !== undefined && !BINARY.test(text)) return { text, truncated };
  return { base64: bytes.toString('base64'), truncated };
}

function decodeText(bytes: Buffer, truncated: boolean): string | undefined {
  // A preview cut short may end inside a multi-byte character (at most 3 of its bytes): drop them.
  const tries = truncated ? 4 : 1;
  for (let cut = 0; cut < tries && cut < bytes.length + 1; cut++) {
    try {
      return utf8.decode(bytes.subarray(0, bytes.length - cut));
    } catch {
      // not valid UTF-8 at this length
    }
  }
  return undefined;
}
