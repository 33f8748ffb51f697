import type {
  BinaryOperator,
  Case,
  Expression,
  ObjectProperty,
  WhenClause,
  FromClause,
  Position,
  SelectItem,
  SelectStatement,
  Span,
} from './ast.js';
import { invalidError, syntaxError } from './errors.js';
import { describeToken, Lexer, type Token } from './lexer.js';

/**
 * Words that cannot be bare identifiers (use backticks: `from`). Only the ones
 * the grammar uses today; SET... join as they land. VALUE is contextual (only
 * right after SELECT, see parseSelect), so `value` stays a valid attribute name.
 */
const RESERVED = new Set([
  'SELECT', 'FROM', 'WHERE', 'AS', 'AND', 'OR', 'NOT', 'TRUE', 'FALSE', 'NULL',
  'IN', 'CONTAINS', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END',
]);

/** Words that may start an expression although they are reserved. */
const EXPRESSION_KEYWORDS = new Set(['TRUE', 'FALSE', 'NULL', 'NOT', 'CASE']);

/**
 * Binary operators by precedence (higher binds tighter), as in standard SQL:
 * OR < AND < NOT (prefix, see parseNot) < comparison < additive < multiplicative.
 * IN and CONTAINS sit at the comparison level (`a + 1 IN arr AND ok` is
 * `((a + 1) IN arr) AND ok`); LIKE-style operators would join them there.
 */
const BINARY: ReadonlyMap<string, { op: BinaryOperator; precedence: number }> = new Map([
  ['OR', { op: 'OR', precedence: 1 }],
  ['AND', { op: 'AND', precedence: 2 }],
  ['=', { op: '=', precedence: 4 }],
  ['<>', { op: '<>', precedence: 4 }],
  ['!=', { op: '<>', precedence: 4 }],
  ['<', { op: '<', precedence: 4 }],
  ['<=', { op: '<=', precedence: 4 }],
  ['>', { op: '>', precedence: 4 }],
  ['>=', { op: '>=', precedence: 4 }],
  ['IN', { op: 'IN', precedence: 4 }],
  ['CONTAINS', { op: 'CONTAINS', precedence: 4 }],
  ['+', { op: '+', precedence: 5 }],
  ['-', { op: '-', precedence: 5 }],
  ['*', { op: '*', precedence: 6 }],
  ['/', { op: '/', precedence: 6 }],
  ['%', { op: '%', precedence: 6 }],
]);
const NOT_PRECEDENCE = 3;
const COMPARISON_PRECEDENCE = 4;

/** Recursive descent for statements, precedence climbing for expressions. */
export class Parser {
  readonly #source: string;
  readonly #lexer: Lexer;
  #token: Token;
  #previousEnd: Position;

  constructor(source: string, startOffset = 0) {
    this.#source = source;
    this.#lexer = new Lexer(source, startOffset);
    this.#previousEnd = this.#lexer.position();
    this.#token = this.#lexer.next();
  }

  /** The current (not yet consumed) token. */
  get token(): Token {
    return this.#token;
  }

  parseSelect(): SelectStatement {
    const start = this.#expectKeyword('SELECT').span.start;
    if (this.#isSelectValue()) {
      this.#advance();
      const expression = this.parseExpression();
      const item = { type: 'SelectExpression' as const, expression, alias: undefined, span: expression.span };
      const from = this.#parseFrom();
      const where = this.#acceptKeyword('WHERE') ? this.parseExpression() : undefined;
      this.expectEnd();
      return { type: 'Select', value: true, items: [item], from, where, span: this.#spanFrom(start) };
    }
    const items = [this.#parseSelectItem()];
    while (this.#acceptPunct(',')) items.push(this.#parseSelectItem());
    const from = this.#parseFrom();
    const where = this.#acceptKeyword('WHERE') ? this.parseExpression() : undefined;
    this.expectEnd();
    return { type: 'Select', value: false, items, from, where, span: this.#spanFrom(start) };
  }

  /**
   * `SELECT VALUE expr` versus an attribute named `value`: VALUE is the keyword
   * only when an expression follows it. `-` continues the attribute
   * (`value - 1`; write `SELECT VALUE (-1)`), and so does `[` right after the
   * word (`value[0]`), while `VALUE [a, b]`, with a space, is an array.
   */
  #isSelectValue(): boolean {
    if (!this.#isKeyword('VALUE')) return false;
    let next: Token;
    try {
      next = new Lexer(this.#source, this.#token.span.end.offset).next();
    } catch {
      return false; // the error surfaces when the attribute is parsed
    }
    switch (next.kind) {
      case 'number':
      case 'string':
      case 'quoted':
        return true;
      case 'word': {
        const upper = next.value.toUpperCase();
        return !RESERVED.has(upper) || EXPRESSION_KEYWORDS.has(upper);
      }
      case 'punct':
        // `value[0]` indexes the attribute; `VALUE [a, b]` (with a space) is an array.
        return next.value === '(' || next.value === '{' || (next.value === '[' && next.span.start.offset > this.#token.span.end.offset);
      case 'eof':
        return false;
    }
  }

  /** Parses one expression whose operators all bind tighter than `minPrecedence`. */
  parseExpression(minPrecedence = 0): Expression {
    let left = this.#parseNot(minPrecedence);
    for (;;) {
      const entry = this.#binaryOperator();
      if (!entry || entry.precedence <= minPrecedence) return left;
      this.#advance();
      // Left-associative: the right side only takes tighter operators.
      const right = this.parseExpression(entry.precedence);
      left = { type: 'Binary', op: entry.op, left, right, span: { start: left.span.start, end: right.span.end } };
      // `a = b = c` is almost always a mistake; SQL rejects chained comparisons too.
      if (entry.precedence === COMPARISON_PRECEDENCE && this.#binaryOperator()?.precedence === COMPARISON_PRECEDENCE) {
        throw syntaxError(this.#token.span.start, describeToken(this.#token), 'AND, OR or the end of the expression');
      }
    }
  }

  expectEnd(): void {
    if (this.#token.kind !== 'eof') throw syntaxError(this.#token.span.start, describeToken(this.#token), 'end of input');
  }

  #parseNot(minPrecedence: number): Expression {
    if (minPrecedence < NOT_PRECEDENCE && this.#isKeyword('NOT')) {
      const start = this.#advance().span.start;
      const operand = this.parseExpression(NOT_PRECEDENCE);
      return { type: 'Unary', op: 'NOT', operand, span: this.#spanFrom(start) };
    }
    return this.#parseUnary();
  }

  #parseUnary(): Expression {
    if (this.#isPunct('-')) {
      const start = this.#advance().span.start;
      const operand = this.#parseUnary();
      // Fold `-5` into a literal so `-5` and `- 5` give the same AST as a negative number.
      if (operand.type === 'Literal' && typeof operand.value === 'number') {
        return { type: 'Literal', value: -operand.value, span: this.#spanFrom(start) };
      }
      return { type: 'Unary', op: '-', operand, span: this.#spanFrom(start) };
    }
    if (this.#isKeyword('NOT')) {
      // NOT below a comparison, e.g. `a = NOT b`: binds to the next operand only.
      const start = this.#advance().span.start;
      const operand = this.#parseUnary();
      return { type: 'Unary', op: 'NOT', operand, span: this.#spanFrom(start) };
    }
    return this.#parsePostfix(this.#parsePrimary());
  }

  /** `.name` and `[index]` after any primary: `a.b.c`, `readings[0].value`. */
  #parsePostfix(expression: Expression): Expression {
    let result = expression;
    for (;;) {
      if (this.#acceptPunct('.')) {
        const property = this.#expectIdentifier('an attribute name after .');
        result = { type: 'Member', object: result, property, span: this.#spanFrom(result.span.start) };
      } else if (this.#acceptPunct('[')) {
        const index = this.parseExpression();
        this.#expectPunct(']');
        result = { type: 'Index', object: result, index, span: this.#spanFrom(result.span.start) };
      } else {
        return result;
      }
    }
  }

  #parsePrimary(): Expression {
    const token = this.#token;
    const span = token.span;
    switch (token.kind) {
      case 'number':
        this.#advance();
        return { type: 'Literal', value: Number(token.value), span };
      case 'string':
        this.#advance();
        return { type: 'Literal', value: token.value, span };
      case 'quoted':
        this.#advance();
        return { type: 'Identifier', name: token.value, span };
      case 'word': {
        const upper = token.value.toUpperCase();
        if (upper === 'TRUE' || upper === 'FALSE' || upper === 'NULL') {
          this.#advance();
          return { type: 'Literal', value: upper === 'NULL' ? null : upper === 'TRUE', span };
        }
        if (upper === 'CASE') return this.#parseCase();
        if (RESERVED.has(upper)) break;
        this.#advance();
        if (this.#isPunct('(')) return this.#parseCall(token);
        return { type: 'Identifier', name: token.value, span };
      }
      case 'punct':
        if (token.value === '(') {
          this.#advance();
          const inner = this.parseExpression();
          this.#expectPunct(')');
          return inner;
        }
        if (token.value === '[') return this.#parseArray();
        if (token.value === '{') return this.#parseObject();
        break;
      case 'eof':
        break;
    }
    throw syntaxError(span.start, describeToken(token), 'an expression');
  }

  #parseArray(): Expression {
    const start = this.#expectPunct('[').span.start;
    const elements: Expression[] = [];
    if (!this.#isPunct(']')) {
      elements.push(this.parseExpression());
      while (this.#acceptPunct(',')) elements.push(this.parseExpression());
    }
    this.#expectPunct(']');
    return { type: 'Array', elements, span: this.#spanFrom(start) };
  }

  #parseObject(): Expression {
    const start = this.#expectPunct('{').span.start;
    const properties: ObjectProperty[] = [];
    if (!this.#isPunct('}')) {
      properties.push(this.#parseProperty(properties));
      while (this.#acceptPunct(',')) properties.push(this.#parseProperty(properties));
    }
    this.#expectPunct('}');
    return { type: 'Object', properties, span: this.#spanFrom(start) };
  }

  /** `'key': expression`; the key is a string or an identifier. */
  #parseProperty(previous: readonly ObjectProperty[]): ObjectProperty {
    const t = this.#token;
    if (t.kind !== 'string' && t.kind !== 'quoted' && !(t.kind === 'word' && !RESERVED.has(t.value.toUpperCase()))) {
      throw syntaxError(t.span.start, describeToken(t), "an object key such as 'name'");
    }
    this.#advance();
    if (previous.some((p) => p.key === t.value)) {
      throw invalidError(t.span.start, `duplicate key '${t.value}' in object literal`, { key: t.value });
    }
    this.#expectPunct(':');
    const value = this.parseExpression();
    return { type: 'Property', key: t.value, value, span: this.#spanFrom(t.span.start) };
  }

  #parseCase(): Case {
    const start = this.#expectKeyword('CASE').span.start;
    if (this.#isKeyword('WHEN')) {
      // AWS IoT SQL has only the simple form; `CASE true WHEN cond THEN ...` is the searched form.
      throw syntaxError(this.#token.span.start, describeToken(this.#token), 'the value to match after CASE (AWS IoT SQL has no CASE WHEN <condition>; write CASE true WHEN <condition> THEN ...)');
    }
    const subject = this.parseExpression();
    const whens: WhenClause[] = [];
    do {
      const whenStart = this.#expectKeyword('WHEN').span.start;
      const when = this.parseExpression();
      this.#expectKeyword('THEN');
      const then = this.parseExpression();
      whens.push({ type: 'When', when, then, span: this.#spanFrom(whenStart) });
    } while (this.#isKeyword('WHEN'));
    const otherwise = this.#acceptKeyword('ELSE') ? this.parseExpression() : undefined;
    if (!this.#isKeyword('END')) {
      const expected = otherwise === undefined ? 'WHEN, ELSE or END' : 'END';
      throw syntaxError(this.#token.span.start, describeToken(this.#token), expected);
    }
    this.#advance();
    return { type: 'Case', subject, whens, otherwise, span: this.#spanFrom(start) };
  }

  #parseCall(name: Token): Expression {
    this.#expectPunct('(');
    const args: Expression[] = [];
    if (!this.#isPunct(')')) {
      args.push(this.parseExpression());
      while (this.#acceptPunct(',')) args.push(this.parseExpression());
    }
    this.#expectPunct(')');
    return { type: 'Call', name: name.value.toLowerCase(), args, span: this.#spanFrom(name.span.start) };
  }

  #parseSelectItem(): SelectItem {
    if (this.#isPunct('*')) {
      return { type: 'SelectAll', span: this.#advance().span };
    }
    const expression = this.parseExpression();
    const alias = this.#acceptKeyword('AS') ? this.#expectIdentifier('an alias after AS') : undefined;
    return { type: 'SelectExpression', expression, alias, span: this.#spanFrom(expression.span.start) };
  }

  #parseFrom(): FromClause {
    const start = this.#expectKeyword('FROM').span.start;
    const token = this.#token;
    if (token.kind !== 'string') throw syntaxError(token.span.start, describeToken(token), "a quoted topic filter such as 'device/+/data'");
    this.#advance();
    return { type: 'From', topicFilter: token.value, filterSpan: token.span, span: this.#spanFrom(start) };
  }

  #binaryOperator(): { op: BinaryOperator; precedence: number } | undefined {
    const t = this.#token;
    if (t.kind === 'punct') return BINARY.get(t.value);
    if (t.kind === 'word') {
      const upper = t.value.toUpperCase();
      if (upper === 'AND' || upper === 'OR' || upper === 'IN' || upper === 'CONTAINS') return BINARY.get(upper);
    }
    return undefined;
  }

  #expectIdentifier(expected: string): string {
    const t = this.#token;
    if (t.kind === 'quoted' || (t.kind === 'word' && !RESERVED.has(t.value.toUpperCase()))) {
      this.#advance();
      return t.value;
    }
    throw syntaxError(t.span.start, describeToken(t), expected);
  }

  #isKeyword(word: string): boolean {
    return this.#token.kind === 'word' && this.#token.value.toUpperCase() === word;
  }

  #acceptKeyword(word: string): boolean {
    if (!this.#isKeyword(word)) return false;
    this.#advance();
    return true;
  }

  #expectKeyword(word: string): Token {
    if (!this.#isKeyword(word)) throw syntaxError(this.#token.span.start, describeToken(this.#token), word);
    return this.#advance();
  }

  #isPunct(p: string): boolean {
    return this.#token.kind === 'punct' && this.#token.value === p;
  }

  #acceptPunct(p: string): boolean {
    if (!this.#isPunct(p)) return false;
    this.#advance();
    return true;
  }

  #expectPunct(p: string): Token {
    if (!this.#isPunct(p)) throw syntaxError(this.#token.span.start, describeToken(this.#token), `'${p}'`);
    return this.#advance();
  }

  /** Consumes the current token and returns it. */
  #advance(): Token {
    const consumed = this.#token;
    this.#previousEnd = consumed.span.end;
    this.#token = this.#lexer.next();
    return consumed;
  }

  #spanFrom(start: Position): Span {
    return { start, end: this.#previousEnd };
  }
}

/** Parses a complete rule statement. Throws SLUICE_ERR_RULE_SQL_SYNTAX with line:column. */
export function parseSql(sql: string): SelectStatement {
  return new Parser(sql).parseSelect();
}

/** Parses a standalone expression (the whole input). */
export function parseExpression(source: string): Expression {
  const parser = new Parser(source);
  const expression = parser.parseExpression();
  parser.expectEnd();
  return expression;
}
