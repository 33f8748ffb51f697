/**
 * regexp_matches, regexp_replace, regexp_substr. AWS evaluates Java regular
 * expressions; this translates the Java syntax to a JS RegExp (with the `u`
 * flag, so `\p{L}` works and a character is a code point, as in Java) and
 * answers Undefined for the Java features JS has no equivalent for:
 * possessive quantifiers (`a*+`), atomic groups (`(?>...)`), `\G`, `\X`,
 * class union and intersection (`[a-z[0-9]]`, `[a-z&&[^e]]`), inline flags
 * anywhere but the very start, the `x` (comments) and `U` flags, and
 * `\p{InBlock}` / `\p{javaX}` classes. An invalid pattern is Undefined too,
 * as on AWS. Translated: `\Q...\E`, `\A`, `\z`, `\Z`, `\h`, `\v`, `\R`, `\e`,
 * `\a`, octal `\0nn`, `\x{h..h}`, the POSIX classes (`\p{Alpha}` ... ASCII
 * only, as in Java), a leading `(?i)` / `(?m)` / `(?s)`, and `$`, which in
 * Java also matches before a final line break.
 * Remaining differences: `\s`, `\w`, `\d`, `\b` are ASCII in both, but JS `\s`
 * also matches Unicode spaces; `.` also matches U+0085 in JS; `(?i)` folds
 * case for all of Unicode in JS (Java: ASCII unless `(?u)`).
 */
import { toSqlString } from '../values.js';
import { binary, ternary } from './support.js';
import type { FunctionEntries } from './types.js';

interface Translated {
  readonly source: string;
  readonly flags: string;
}

/** Thrown inside the translator for a construct JS cannot express; caught at the top. */
class Unsupported extends Error {}

const SYNTAX = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/']);
const LINE_BREAK_CLASS = String.raw`\n\x0B\f\r\x85\u2028\u2029`;
const HORIZONTAL_SPACE_CLASS = String.raw` \t\xA0\u1680\u180E\u2000-\u200A\u202F\u205F\u3000`;
const POSIX: Record<string, string> = {
  Lower: 'a-z',
  Upper: 'A-Z',
  ASCII: String.raw`\x00-\x7F`,
  Alpha: 'a-zA-Z',
  Digit: '0-9',
  Alnum: 'a-zA-Z0-9',
  Punct: String.raw`!-\/:-@\[-\x60\{-~`,
  Graph: String.raw`!-~`,
  Print: String.raw` -~`,
  Blank: String.raw` \t`,
  Cntrl: String.raw`\x00-\x1F\x7F`,
  XDigit: '0-9a-fA-F',
  Space: String.raw` \t\n\x0B\f\r`,
};
const END_OF_INPUT = String.raw`(?![\s\S])`;
const BEFORE_FINAL_BREAK = String.raw`(?=(?:\r\n|[\n\r\x85\u2028\u2029])?(?![\s\S]))`;

function literal(ch: string, inClass: boolean): string {
  return SYNTAX.has(ch) || (inClass && ch === '-') ? `\\${ch}` : ch;
}

function hexEscape(code: number): string {
  return `\\u{${code.toString(16)}}`;
}

export function translateJavaRegex(pattern: string): Translated | undefined {
  try {
    return translate(pattern);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

function translate(pattern: string): Translated {
  let flags = 'u';
  let i = 0;
  const leading = /^\(\?([idmsu]+)\)/.exec(pattern);
  if (leading) {
    for (const f of leading[1] ?? '') if (f === 'i' || f === 'm' || f === 's') flags += f;
    i = leading[0].length;
  }
  const multiline = flags.includes('m');
  let out = '';
  let inClass = false;

  const escape = (): string => {
    const c = pattern[i + 1];
    if (c === undefined) throw new Unsupported('trailing backslash');
    i += 2;
    if (c === 'Q') {
      const end = pattern.indexOf('\\E', i);
      const text = end < 0 ? pattern.slice(i) : pattern.slice(i, end);
      i = end < 0 ? pattern.length : end + 2;
      return Array.from(text, (ch) => literal(ch, inClass)).join('');
    }
    if (c >= '1' && c <= '9') {
      let digits = c;
      while (/[0-9]/.test(pattern[i] ?? '')) digits += pattern[i++];
      if (inClass) throw new Unsupported('backreference in a class');
      return `\\${digits}`;
    }
    switch (c) {
      case '0': {
        const octal = /^[0-3]?[0-7]{1,2}/.exec(pattern.slice(i))?.[0];
        if (!octal) throw new Unsupported('\\0 without octal digits');
        i += octal.length;
        return hexEscape(parseInt(octal, 8));
      }
      case 'x': {
        if (pattern[i] === '{') {
          const end = pattern.indexOf('}', i);
          if (end < 0) throw new Unsupported('unterminated \\x{');
          const hex = pattern.slice(i + 1, end);
          i = end + 1;
          return `\\u{${hex}}`;
        }
        return '\\x';
      }
      case 'u':
      case 'c':
      case 't':
      case 'n':
      case 'r':
      case 'f':
      case 'd':
      case 'D':
      case 's':
      case 'S':
      case 'w':
      case 'W':
        return `\\${c}`;
      case 'a':
        return hexEscape(7);
      case 'e':
        return hexEscape(0x1b);
      case 'b':
      case 'B':
        if (inClass) throw new Unsupported('\\b in a class');
        return `\\${c}`;
      case 'A':
        return String.raw`(?<![\s\S])`;
      case 'z':
        return END_OF_INPUT;
      case 'Z':
        return BEFORE_FINAL_BREAK;
      case 'h':
        return inClass ? HORIZONTAL_SPACE_CLASS : `[${HORIZONTAL_SPACE_CLASS}]`;
      case 'v':
        return inClass ? LINE_BREAK_CLASS : `[${LINE_BREAK_CLASS}]`;
      case 'H':
      case 'V':
        if (inClass) throw new Unsupported('negated class escape in a class');
        return `[^${c === 'H' ? HORIZONTAL_SPACE_CLASS : LINE_BREAK_CLASS}]`;
      case 'R':
        if (inClass) throw new Unsupported('\\R in a class');
        return String.raw`(?:\r\n|[${LINE_BREAK_CLASS}])`;
      case 'k': {
        const name = /^<([A-Za-z][A-Za-z0-9]*)>/.exec(pattern.slice(i));
        if (!name) throw new Unsupported('bad \\k');
        i += name[0].length;
        return `\\k${name[0]}`;
      }
      case 'p':
      case 'P':
        return property(c === 'P');
      default:
        // Java: any other letter or digit escape is an error; any other character is itself.
        if (/[A-Za-z0-9]/.test(c)) throw new Unsupported(`\\${c}`);
        return literal(c, inClass);
    }
  };

  const property = (negated: boolean): string => {
    let name: string;
    if (pattern[i] === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0) throw new Unsupported('unterminated \\p{');
      name = pattern.slice(i + 1, end);
      i = end + 1;
    } else {
      name = pattern[i] ?? '';
      i += 1;
    }
    const posix = POSIX[name];
    if (posix !== undefined) {
      if (!negated) return inClass ? posix : `[${posix}]`;
      if (inClass) throw new Unsupported('negated POSIX class in a class');
      return `[^${posix}]`;
    }
    // Java: Is<Category>, Is<Binary property> or Is<Script>; JS spells a script Script=<Script>.
    if (/^(In|java)/.test(name) || /^(blk|block)=/i.test(name)) throw new Unsupported(`\\p{${name}}`);
    let js = (name.startsWith('Is') ? name.slice(2) : name).replace(/^(sc|script)=/i, 'Script=').replace(/^(gc|general_category)=/i, 'General_Category=');
    if (!js.includes('=') && !isJsProperty(js)) js = `Script=${js}`;
    return `\\${negated ? 'P' : 'p'}{${js}}`;
  };

  while (i < pattern.length) {
    const ch = pattern[i] as string;
    if (ch === '\\') {
      out += escape();
      continue;
    }
    if (inClass) {
      if (ch === '[') throw new Unsupported('class union');
      if (ch === '&' && pattern[i + 1] === '&') throw new Unsupported('class intersection');
      if (ch === ']') inClass = false;
      out += ch;
      i += 1;
      continue;
    }
    switch (ch) {
      case '[':
        inClass = true;
        out += '[';
        i += 1;
        if (pattern[i] === '^') {
          out += '^';
          i += 1;
        }
        continue;
      case '(': {
        const rest = pattern.slice(i);
        const group = /^\((?:\?(?::|=|!|<=|<!|<[A-Za-z][A-Za-z0-9]*>))?/.exec(rest)?.[0] ?? '(';
        if (rest.startsWith('(?') && group === '(') throw new Unsupported('(? construct');
        out += group;
        i += group.length;
        continue;
      }
      case '{': {
        const quantifier = /^\{\d+(,\d*)?\}/.exec(pattern.slice(i))?.[0];
        if (!quantifier) throw new Unsupported('illegal repetition');
        out += quantifier;
        i += quantifier.length;
        out += quantifierSuffix();
        continue;
      }
      case '*':
      case '+':
      case '?':
        out += ch;
        i += 1;
        out += quantifierSuffix();
        continue;
      case '}':
      case ']':
        // Literal in Java when not closing anything; the `u` flag wants them escaped.
        out += `\\${ch}`;
        i += 1;
        continue;
      case '$':
        out += multiline ? '$' : BEFORE_FINAL_BREAK;
        i += 1;
        continue;
      default:
        out += ch;
        i += 1;
    }
  }
  if (inClass) throw new Unsupported('unterminated class');
  return { source: out, flags };

  function quantifierSuffix(): string {
    if (pattern[i] === '+') throw new Unsupported('possessive quantifier');
    if (pattern[i] === '?') {
      i += 1;
      return '?';
    }
    return '';
  }
}

function isJsProperty(name: string): boolean {
  try {
    new RegExp(`\\p{${name}}`, 'u');
    return true;
  } catch {
    return false;
  }
}

interface Compiled {
  readonly once: RegExp;
  readonly all: RegExp;
  readonly groupCount: number;
  readonly groupNames: ReadonlySet<string>;
}

/** Rules use literal patterns, so each compiles once; the bound keeps dynamic patterns from growing it forever. */
const CACHE_LIMIT = 256;
const cache = new Map<string, Compiled | null>();

function compile(pattern: string): Compiled | undefined {
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit ?? undefined;
  let compiled: Compiled | null = null;
  const translated = translateJavaRegex(pattern);
  if (translated) {
    try {
      const once = new RegExp(translated.source, translated.flags);
      const all = new RegExp(translated.source, `${translated.flags}g`);
      // Matching the empty alternative reports every group, so their count and names.
      const probe = new RegExp(`${translated.source}|`, translated.flags).exec('');
      compiled = { once, all, groupCount: (probe?.length ?? 1) - 1, groupNames: new Set(Object.keys(probe?.groups ?? {})) };
    } catch {
      compiled = null;
    }
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pattern, compiled);
  return compiled ?? undefined;
}

type ReplacementPart = string | { readonly group: number | string };

/**
 * A Java replacement string: `$n` (as many digits as still name a group),
 * `${name}`, and `\x` for a literal x. Anything else after `$`, a trailing
 * `\`, or a group the pattern does not have is an error in Java: Undefined.
 */
function parseReplacement(text: string, regex: Compiled): ReplacementPart[] | undefined {
  const parts: ReplacementPart[] = [];
  let literalText = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\\') {
      const next = text[i + 1];
      if (next === undefined) return undefined;
      literalText += next;
      i += 1;
    } else if (ch === '$') {
      const next = text[i + 1];
      let group: number | string;
      if (next === '{') {
        const end = text.indexOf('}', i + 2);
        if (end < 0) return undefined;
        group = text.slice(i + 2, end);
        if (!regex.groupNames.has(group)) return undefined;
        i = end;
      } else if (next !== undefined && next >= '0' && next <= '9') {
        let n = Number(next);
        i += 1;
        while (i + 1 < text.length && /[0-9]/.test(text[i + 1] as string) && n * 10 + Number(text[i + 1]) <= regex.groupCount) {
          n = n * 10 + Number(text[i + 1]);
          i += 1;
        }
        if (n > regex.groupCount) return undefined;
        group = n;
      } else {
        return undefined;
      }
      if (literalText) parts.push(literalText);
      literalText = '';
      parts.push({ group });
    } else {
      literalText += ch;
    }
  }
  if (literalText) parts.push(literalText);
  return parts;
}

function regexpReplace(x: unknown, p: unknown, r: unknown): string | undefined {
  const s = toSqlString(x);
  const pattern = toSqlString(p);
  const replacement = toSqlString(r);
  if (s === undefined || pattern === undefined || replacement === undefined) return undefined;
  const regex = compile(pattern);
  if (!regex) return undefined;
  const parts = parseReplacement(replacement, regex);
  if (!parts) return undefined;
  return s.replace(regex.all, (...match: unknown[]) => {
    const last = match[match.length - 1];
    const named = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : {};
    // A group that did not take part adds nothing, as in Java.
    return parts.map((part) => (typeof part === 'string' ? part : ((typeof part.group === 'number' ? match[part.group] : named[part.group]) ?? ''))).join('');
  });
}

function withRegex<T>(x: unknown, p: unknown, fn: (s: string, regex: Compiled) => T): T | undefined {
  const s = toSqlString(x);
  const pattern = toSqlString(p);
  if (s === undefined || pattern === undefined) return undefined;
  const regex = compile(pattern);
  return regex ? fn(s, regex) : undefined;
}

export const REGEX_FUNCTIONS: FunctionEntries = [
  // Whether the string contains a match anywhere (Java find(), not matches()).
  ['regexp_matches', binary((x, p) => withRegex(x, p, (s, regex) => regex.once.test(s)))],
  ['regexp_replace', ternary(regexpReplace)],
  // The first match; no match is Undefined (AWS does not say; an absent value seemed the honest answer).
  ['regexp_substr', binary((x, p) => withRegex(x, p, (s, regex) => regex.once.exec(s)?.[0]))],
];
