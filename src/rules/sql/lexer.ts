import type { Position, Span } from './ast.js';
import { syntaxError } from './errors.js';

export type TokenKind =
  /** bare word: keyword or identifier; the parser decides which (keywords are case-insensitive) */
  | 'word'
  /** `backtick-quoted` identifier: never a keyword */
  | 'quoted'
  | 'number'
  | 'string'
  /** `@name`; value is the name without `@` */
  | 'variable'
  | 'punct'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** Source text of the token (for messages). */
  text: string;
  /** Decoded value: the word, the identifier, the string contents, the punctuation. */
  value: string;
  span: Span;
}

// Longest first, so `<=` wins over `<`. `{`, `}`, `[`, `]`, `:` are here for
// substitution templates, indexing and (later) object/array literals.
const PUNCTUATION = ['<>', '!=', '<=', '>=', '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', '[', ']', '{', '}', ',', '.', ':'];

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '\\': '\\', "'": "'", '"': '"', '/': '/' };

/**
 * An on-demand lexer: it produces one token per `next()` call and never reads
 * ahead. Substitution templates rely on this: after the `}` that closes
 * `${...}` the rest is literal text the SQL lexer must not look at.
 */
export class Lexer {
  readonly #src: string;
  #offset: number;
  #line = 1;
  #column = 1;

  constructor(source: string, startOffset = 0) {
    this.#src = source;
    this.#offset = 0;
    while (this.#offset < startOffset) this.#advance();
  }

  position(): Position {
    return { line: this.#line, column: this.#column, offset: this.#offset };
  }

  next(): Token {
    this.#skipSpace();
    const start = this.position();
    const ch = this.#src[this.#offset];
    if (ch === undefined) return this.#token('eof', start, '');
    if (isWordStart(ch)) {
      while (isWordPart(this.#peek())) this.#advance();
      return this.#token('word', start, this.#src.slice(start.offset, this.#offset));
    }
    if (isDigit(ch)) return this.#number(start);
    if (ch === '@') {
      this.#advance();
      if (!isWordPart(this.#peek())) throw syntaxError(start, "'@'", 'a variable name after @ (letters, digits and _)');
      while (isWordPart(this.#peek())) this.#advance();
      return this.#token('variable', start, this.#src.slice(start.offset + 1, this.#offset));
    }
    if (ch === "'" || ch === '"') return this.#quoted('string', ch, start);
    if (ch === '`') return this.#quoted('quoted', ch, start);
    for (const p of PUNCTUATION) {
      if (this.#src.startsWith(p, this.#offset)) {
        for (let i = 0; i < p.length; i++) this.#advance();
        return this.#token('punct', start, p);
      }
    }
    throw syntaxError(start, `'${ch}'`, 'a token');
  }

  /**
   * The run of non-space characters from here, as one 'string' token: AWS
   * accepts a bare topic filter after FROM (`FROM topic/#`), which the
   * ordinary tokens cannot spell.
   */
  raw(): Token {
    this.#skipSpace();
    const start = this.position();
    while (this.#peek() !== undefined && !/\s/.test(this.#peek() ?? '')) this.#advance();
    return this.#token('string', start, this.#src.slice(start.offset, this.#offset));
  }

  #number(start: Position): Token {
    while (isDigit(this.#peek())) this.#advance();
    if (this.#peek() === '.' && isDigit(this.#peek(1))) {
      this.#advance();
      while (isDigit(this.#peek())) this.#advance();
    }
    const e = this.#peek();
    if (e === 'e' || e === 'E') {
      const sign = this.#peek(1) === '+' || this.#peek(1) === '-' ? 1 : 0;
      if (isDigit(this.#peek(1 + sign))) {
        for (let i = 0; i <= sign; i++) this.#advance();
        while (isDigit(this.#peek())) this.#advance();
      }
    }
    // `12abc` is one bad token, not the number 12 followed by the word abc.
    if (isWordStart(this.#peek())) {
      while (isWordPart(this.#peek())) this.#advance();
      const text = this.#src.slice(start.offset, this.#offset);
      throw syntaxError(start, `'${text}'`, 'a number');
    }
    return this.#token('number', start, this.#src.slice(start.offset, this.#offset));
  }

  #quoted(kind: 'string' | 'quoted', quote: string, start: Position): Token {
    this.#advance();
    let value = '';
    for (;;) {
      const ch = this.#peek();
      const at = this.position();
      if (ch === undefined) {
        const what = kind === 'string' ? 'string' : 'quoted identifier';
        throw syntaxError(at, 'end of input', `closing ${quote} of the ${what} started at ${start.line}:${start.column}`);
      }
      this.#advance();
      if (ch === quote) {
        // SQL style: a doubled quote stands for one quote character.
        if (this.#peek() !== quote) break;
        this.#advance();
        value += quote;
      } else if (ch === '\\' && kind === 'string') {
        value += this.#escape(at);
      } else {
        value += ch;
      }
    }
    const token = this.#token(kind, start, '');
    token.value = value;
    return token;
  }

  /** `at` is the backslash, so errors point at the start of the escape. */
  #escape(at: Position): string {
    const ch = this.#peek();
    if (ch === 'u') {
      const hex = this.#src.slice(this.#offset + 1, this.#offset + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw syntaxError(at, `'\\u${hex}'`, 'four hex digits after \\u');
      for (let i = 0; i < 5; i++) this.#advance();
      return String.fromCharCode(parseInt(hex, 16));
    }
    const decoded = ch === undefined ? undefined : ESCAPES[ch];
    if (decoded === undefined) throw syntaxError(at, `'\\${ch ?? ''}'`, 'an escape sequence (\\n \\t \\r \\b \\f \\\\ \\\' \\" \\/ \\uXXXX)');
    this.#advance();
    return decoded;
  }

  #token(kind: TokenKind, start: Position, value: string): Token {
    return { kind, text: this.#src.slice(start.offset, this.#offset), value, span: { start, end: this.position() } };
  }

  #skipSpace(): void {
    while (/\s/.test(this.#peek() ?? '')) this.#advance();
  }

  #peek(ahead = 0): string | undefined {
    return this.#src[this.#offset + ahead];
  }

  #advance(): void {
    if (this.#src[this.#offset] === '\n') {
      this.#line++;
      this.#column = 1;
    } else {
      this.#column++;
    }
    this.#offset++;
  }
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

function isWordStart(ch: string | undefined): boolean {
  return ch !== undefined && /[A-Za-z_]/.test(ch);
}

function isWordPart(ch: string | undefined): boolean {
  return ch !== undefined && /[A-Za-z0-9_]/.test(ch);
}

/** How a token is named in error messages. */
export function describeToken(token: Token): string {
  return token.kind === 'eof' ? 'end of input' : `'${token.text}'`;
}
