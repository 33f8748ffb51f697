/**
 * IAM wildcard matching: `*` matches any sequence of characters (including
 * `/` and none at all), `?` exactly one character. Everything else is literal
 * — MQTT's `+` and `#` too. A pattern is built from pieces so that text coming
 * from a policy variable stays literal even when it contains `*` or `?`.
 *
 * No RegExp: the matcher is linear-time per chunk (leftmost-first search of
 * the literal runs between stars is optimal for `*`), so a pattern such as
 * `*a*a*a*a*b` cannot make matching explode the way a backtracking RegExp can.
 */

/** One piece of a pattern: `wild` text treats `*` and `?` as wildcards; other text is literal. */
export interface GlobPiece {
  readonly text: string;
  readonly wild: boolean;
}

export type Matcher = (input: string) => boolean;

/** `null` stands for `?` (any one character) in a token chunk. */
type Token = string | null;

const SURROGATE = /[\uD800-\uDFFF]/;

export const matchNothing: Matcher = () => false;
export const matchAnything: Matcher = () => true;

/** Compiles pieces into a matcher; `ignoreCase` folds both sides with toLowerCase. */
export function compileGlob(pieces: readonly GlobPiece[], ignoreCase = false): Matcher {
  // Chunks of tokens between stars; a pattern with k stars has k + 1 chunks.
  const chunks: Token[][] = [[]];
  let hasOne = false;
  for (const piece of pieces) {
    const text = ignoreCase ? piece.text.toLowerCase() : piece.text;
    for (const ch of text) {
      if (piece.wild && ch === '*') {
        chunks.push([]);
      } else if (piece.wild && ch === '?') {
        hasOne = true;
        chunks[chunks.length - 1]!.push(null);
      } else {
        chunks[chunks.length - 1]!.push(ch);
      }
    }
  }
  const fold = ignoreCase ? (s: string) => s.toLowerCase() : (s: string) => s;

  if (!hasOne) {
    const parts = chunks.map((c) => (c as string[]).join(''));
    if (parts.length === 1) {
      const exact = parts[0]!;
      return ignoreCase ? (s) => s.toLowerCase() === exact : (s) => s === exact;
    }
    if (parts.length === 2) {
      const [head, tail] = parts as [string, string];
      if (head === '' && tail === '') return matchAnything;
      if (tail === '') return (s) => fold(s).startsWith(head);
      if (head === '') return (s) => fold(s).endsWith(tail);
      return (s) => {
        const v = fold(s);
        return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
      };
    }
    return (s) => matchStringChunks(parts, fold(s));
  }
  return (s) => {
    const v = fold(s);
    // `?` is one character: one code point, not half of a surrogate pair.
    return matchTokenChunks(chunks, SURROGATE.test(v) ? Array.from(v) : v);
  };
}

/** Literal runs separated by stars (at least two runs). */
function matchStringChunks(parts: readonly string[], s: string): boolean {
  const head = parts[0]!;
  const tail = parts[parts.length - 1]!;
  if (s.length < head.length + tail.length || !s.startsWith(head) || !s.endsWith(tail)) return false;
  let pos = head.length;
  const end = s.length - tail.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i]!;
    if (part === '') continue;
    const at = s.indexOf(part, pos);
    if (at < 0 || at + part.length > end) return false;
    pos = at + part.length;
  }
  return true;
}

function tokensAt(tokens: readonly Token[], s: ArrayLike<string>, at: number): boolean {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t !== null && t !== s[at + i]) return false;
  }
  return true;
}

function matchTokenChunks(chunks: readonly Token[][], s: ArrayLike<string>): boolean {
  const n = s.length;
  if (chunks.length === 1) {
    const only = chunks[0]!;
    return only.length === n && tokensAt(only, s, 0);
  }
  const head = chunks[0]!;
  const tail = chunks[chunks.length - 1]!;
  if (n < head.length + tail.length) return false;
  if (!tokensAt(head, s, 0) || !tokensAt(tail, s, n - tail.length)) return false;
  let pos = head.length;
  const end = n - tail.length;
  for (let c = 1; c < chunks.length - 1; c++) {
    const chunk = chunks[c]!;
    let at = pos;
    while (at + chunk.length <= end && !tokensAt(chunk, s, at)) at++;
    if (at + chunk.length > end) return false;
    pos = at + chunk.length;
  }
  return true;
}
