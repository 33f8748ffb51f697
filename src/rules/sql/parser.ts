import type {
  BinaryOperator,
  Expression,
  FromClause,
  Position,
  SelectItem,
  SelectStatement,
  Span,
} from './ast.js';
import { syntaxError } from './errors.js';
import { describeToken, Lexer, type Token } from './lexer.js';

/**
 * Words that cannot be bare identifiers (use backticks: `from`). Only the ones
 * the grammar uses today; CASE, WHEN, IN, CONTAINS, SET... join as they land.
 */
const RESERVED = new Set(['SELECT', 'FROM', 'WHERE', 'AS', 'AND', 'OR', 'NOT', 'TRUE', 'FALSE', 'NULL']);

/**
 * Binary operators by precedence (higher binds tighter), as in standard SQL:
 * OR < AND < NOT (prefix, see parseNot) < comparison < additive < multiplicative.
 * IN / CONTAINS / LIKE-style operators slot in at the comparison level.
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
  readonly #lexer: Lexer;
  #token: Token;
  #previousEnd: Position;

  constructor(source: string, startOffset = 0) {
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
    const items = [this.#parseSelectItem()];
    while (this.#acceptPunct(',')) items.push(this.#parseSelectItem());
    const from = this.#parseFrom();
    const where = this.#acceptKeyword('WHERE') ? this.parseExpression() : undefined;
    this.expectEnd();
    return { type: 'Select', items, from, where, span: this.#spanFrom(start) };
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
        break;
      case 'eof':
        break;
    }
    throw syntaxError(span.start, describeToken(token), 'an expression');
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
      if (upper === 'AND' || upper === 'OR') return BINARY.get(upper);
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
