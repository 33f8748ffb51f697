/**
 * Policy strings with variables: `topic/${iot:ClientId}/*`. Parsing is
 * separate from resolving, so a document is checked once and each connection
 * only substitutes.
 *
 * - `${name}`: a policy variable (key names are case-insensitive, as IAM's).
 * - `${name, 'default'}`: IAM's default value, used when `name` has no value.
 * - `${*}`, `${?}`, `${$}`: IAM's escapes for a literal `*`, `?` and `$`.
 */
import type { GlobPiece } from './glob.js';

export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'char'; readonly text: string }
  | { readonly kind: 'var'; readonly name: string; readonly fallback: string | undefined };

export type TemplateParse = { ok: true; parts: TemplatePart[] } | { ok: false; message: string };

const DEFAULT_VALUE = /^(.*?)\s*,\s*'([^']*)'$/s;

export function parseTemplate(source: string): TemplateParse {
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('${', i);
    if (open < 0) break;
    if (open > i) parts.push({ kind: 'text', text: source.slice(i, open) });
    const close = source.indexOf('}', open + 2);
    if (close < 0) return { ok: false, message: `unterminated policy variable '${source.slice(open)}': close it with '}'` };
    const inner = source.slice(open + 2, close).trim();
    if (inner === '*' || inner === '?' || inner === '$') {
      parts.push({ kind: 'char', text: inner });
    } else {
      const withDefault = DEFAULT_VALUE.exec(inner);
      const name = (withDefault ? withDefault[1]! : inner).trim();
      if (name === '' || name.includes('${')) return { ok: false, message: `'\${${inner}}' is not a policy variable` };
      parts.push({ kind: 'var', name, fallback: withDefault ? withDefault[2] : undefined });
    }
    i = close + 1;
  }
  if (i < source.length) parts.push({ kind: 'text', text: source.slice(i) });
  return { ok: true, parts };
}

/** Variable names a template uses, in order. */
export function templateVariables(parts: readonly TemplatePart[]): string[] {
  const names: string[] = [];
  for (const part of parts) if (part.kind === 'var') names.push(part.name);
  return names;
}

/**
 * Substitutes variables: the result's pieces keep policy text wild and
 * substituted values literal. `unresolved` names the first variable without a
 * value (and without a default): then the string matches nothing, as AWS
 * documents ("the resource that includes a policy variable with no value will
 * not match any resource").
 */
export function renderTemplate(
  parts: readonly TemplatePart[],
  resolve: (name: string) => string | undefined,
): { pieces: GlobPiece[]; unresolved: string | undefined } {
  const pieces: GlobPiece[] = [];
  for (const part of parts) {
    if (part.kind === 'text') {
      pieces.push({ text: part.text, wild: true });
    } else if (part.kind === 'char') {
      pieces.push({ text: part.text, wild: false });
    } else {
      const value = resolve(part.name) ?? part.fallback;
      if (value === undefined) return { pieces, unresolved: part.name };
      pieces.push({ text: value, wild: false });
    }
  }
  return { pieces, unresolved: undefined };
}

/** The plain string of rendered pieces (for exact comparisons: wildcards are not special there). */
export function piecesText(pieces: readonly GlobPiece[]): string {
  let out = '';
  for (const piece of pieces) out += piece.text;
  return out;
}

/**
 * Splits pieces into the six ARN segments: the first five colons separate
 * `arn`, partition, service, region and account; the resource part keeps any
 * further colons. `undefined` when there are fewer than five colons.
 */
export function splitArnPieces(pieces: readonly GlobPiece[]): GlobPiece[][] | undefined {
  const segments: GlobPiece[][] = [[]];
  for (const piece of pieces) {
    let rest = piece.text;
    while (segments.length < 6) {
      const colon = rest.indexOf(':');
      if (colon < 0) break;
      if (colon > 0) segments[segments.length - 1]!.push({ text: rest.slice(0, colon), wild: piece.wild });
      segments.push([]);
      rest = rest.slice(colon + 1);
    }
    if (rest !== '') segments[segments.length - 1]!.push({ text: rest, wild: piece.wild });
  }
  return segments.length === 6 ? segments : undefined;
}
