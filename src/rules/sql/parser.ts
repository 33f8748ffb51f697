import type {
  Assignment,
  BinaryOperator,
  Case,
  Expression,
  Subquery,
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
export const RESERVED: ReadonlySet<string> = new Set([
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
/** AWS "SET clause": variable names are at most 64 characters. */
const MAX_VARIABLE_NAME = 64;
/** AWS "SET clause" limits: at most 10 unique variables per statement. */
const MAX_VARIABLES = 10;
/** The type keywords `cast(x AS T)` accepts (AWS "cast()"), any case; 2016-03-23 adds Decimal, Bool, Boolean. */
const CAST_TYPES_DISPLAY = ['String', 'Nvarchar', 'Text', 'Ntext', 'Varchar', 'Int', 'Integer', 'Double', 'Decimal', 'Bool', 'Boolean'];
export const CAST_TYPES: ReadonlySet<string> = new Set(CAST_TYPES_DISPLAY.map((t) => t.toLowerCase()));
const COMPARISON_PRECEDENCE = 4;

/** Recursive descent for statements, precedence climbing for expressions. */
export class Parser {
  readonly #source: string;
  #lexer: Lexer;
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

  /** `[SET ...] SELECT ... [FROM 'filter'] [WHERE ...]`, the whole input. */
  parseStatement(): SelectStatement {
    const start = this.#token.span.start;
    const set = this.#isKeyword('SET') ? this.#parseSet() : [];
    if (this.#isKeyword('SET')) {
      throw syntaxError(this.#token.span.start, describeToken(this.#token), 'SELECT (SET may appear only once; separate assignments with commas)');
    }
    this.#expectKeyword('SELECT');
    const { value, items } = this.#parseSelectList();
    if (!this.#isKeyword('FROM') && !this.#isKeyword('WHERE') && this.#token.kind !== 'eof') {
      const expected = value ? 'FROM (SELECT VALUE takes one expression, without AS)' : "',' or FROM";
      throw syntaxError(this.#token.span.start, describeToken(this.#token), expected);
    }
    const from = this.#isKeyword('FROM') ? this.#parseFrom() : undefined;
    const where = this.#acceptKeyword('WHERE') ? this.parseExpression() : undefined;
    if (this.#isKeyword('SET')) {
      throw syntaxError(this.#token.span.start, describeToken(this.#token), 'end of input (the SET clause must come before SELECT)');
    }
    if (this.#isKeyword('FROM')) {
      throw syntaxError(this.#token.span.start, describeToken(this.#token), 'end of input (FROM must come before WHERE)');
    }
    this.expectEnd();
    return { type: 'Select', set, value, items, from, where, span: this.#spanFrom(start) };
  }

  /** `SET @a = expr, @b = expr`: names unique (variables are immutable). */
  #parseSet(): Assignment[] {
    this.#expectKeyword('SET');
    const assignments: Assignment[] = [];
    do {
      const variable = this.#token;
      if (variable.kind !== 'variable') throw syntaxError(variable.span.start, describeToken(variable), 'a variable such as @name');
      if (variable.value.length > MAX_VARIABLE_NAME) {
        throw invalidError(variable.span.start, `variable name @${variable.value} is longer than ${MAX_VARIABLE_NAME} characters`, { variable: variable.value });
      }
      if (assignments.length === MAX_VARIABLES) {
        throw invalidError(variable.span.start, `a SET clause assigns at most ${MAX_VARIABLES} variables`, { variable: variable.value, max: MAX_VARIABLES });
      }
      if (assignments.some((a) => a.name === variable.value)) {
        throw invalidError(variable.span.start, `variable @${variable.value} is already assigned in this SET clause (variables are immutable)`, { variable: variable.value });
      }
      this.#advance();
      this.#expectPunct('=');
      const value = this.parseExpression();
      assignments.push({ type: 'Assignment', name: variable.value, value, span: this.#spanFrom(variable.span.start) });
    } while (this.#acceptPunct(','));
    return assignments;
  }

  /** After SELECT: `VALUE expr`, or a comma-separated list of `*` and `expr [AS alias]`. */
  #parseSelectList(): { value: boolean; items: SelectItem[] } {
    if (this.#isSelectValue()) {
      this.#advance();
      const expression = this.parseExpression();
      return { value: true, items: [{ type: 'SelectExpression', expression, alias: undefined, span: expression.span }] };
    }
    const items = [this.#parseSelectItem()];
    while (this.#acceptPunct(',')) items.push(this.#parseSelectItem());
    return { value: false, items };
  }

  /** `(SELECT ... FROM expr [WHERE ...])`, with the opening parenthesis already consumed. */
  #parseSubquery(start: Position): Subquery {
    this.#expectKeyword('SELECT');
    const { value, items } = this.#parseSelectList();
    this.#expectKeyword('FROM');
    const from = this.parseExpression();
    const where = this.#acceptKeyword('WHERE') ? this.parseExpression() : undefined;
    this.#expectPunct(')');
    return { type: 'Subquery', value, items, from, where, span: this.#spanFrom(start) };
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
      case 'variable':
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
        return { ...operand, value: operand.value === 0 ? 0 : -operand.value, span: this.#spanFrom(start) };
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
      case 'number': {
        this.#advance();
        const value = Number(token.value);
        if (!Number.isFinite(value)) throw invalidError(span.start, `number ${token.text} is out of range`, { number: token.text });
        return /[.eE]/.test(token.text) ? { type: 'Literal', value, decimal: true, span } : { type: 'Literal', value, span };
      }
      case 'variable':
        this.#advance();
        return { type: 'Variable', name: token.value, span };
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
          if (this.#isKeyword('SELECT')) return this.#parseSubquery(span.start);
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
    const lower = name.value.toLowerCase();
    this.#expectPunct('(');
    if (lower === 'cast') return this.#parseCast(name);
    const args: Expression[] = [];
    if (!this.#isPunct(')')) {
      args.push(this.#parseArgument());
      while (this.#acceptPunct(',')) args.push(this.#parseArgument());
    }
    this.#expectPunct(')');
    return { type: 'Call', name: lower, args, span: this.#spanFrom(name.span.start) };
  }

  /** A function argument: an expression, or `*` for the raw payload (`encode(*, 'base64')`). */
  #parseArgument(): Expression {
    if (this.#isPunct('*')) return { type: 'Payload', span: this.#advance().span };
    return this.parseExpression();
  }

  /**
   * `cast(value AS Type)`: becomes the call `cast(value, 'Type')`, so the
   * function table handles it like any other function.
   */
  #parseCast(name: Token): Expression {
    const value = this.parseExpression();
    this.#expectKeyword('AS');
    const type = this.#token;
    if (type.kind !== 'word' || !CAST_TYPES.has(type.value.toLowerCase())) {
      throw syntaxError(type.span.start, describeToken(type), `a type to cast to (${[...CAST_TYPES_DISPLAY].join(', ')})`);
    }
    this.#advance();
    this.#expectPunct(')');
    const typeLiteral: Expression = { type: 'Literal', value: type.value, span: type.span };
    return { type: 'Call', name: 'cast', args: [value, typeLiteral], span: this.#spanFrom(name.span.start) };
  }

  #parseSelectItem(): SelectItem {
    if (this.#isPunct('*')) {
      return { type: 'SelectAll', span: this.#advance().span };
    }
    const expression = this.parseExpression();
    let alias: string[] | undefined;
    if (this.#acceptKeyword('AS')) {
      alias = [this.#expectIdentifier('an alias after AS')];
      while (this.#acceptPunct('.')) alias.push(this.#expectIdentifier('an alias segment after .'));
    }
    return { type: 'SelectExpression', expression, alias, span: this.#spanFrom(expression.span.start) };
  }

  #parseFrom(): FromClause {
    const start = this.#expectKeyword('FROM').span.start;
    let token = this.#token;
    const quoted = token.kind === 'string';
    if (!quoted) {
      if (token.kind === 'eof' || (token.kind === 'word' && token.value.toUpperCase() === 'WHERE')) {
        throw syntaxError(token.span.start, describeToken(token), "a topic filter such as 'device/+/data'");
      }
      // A bare filter (`FROM topic/#`): re-read it from its first character as raw text.
      this.#lexer = new Lexer(this.#source, token.span.start.offset);
      token = this.#lexer.raw();
      this.#token = token;
    }
    this.#advance();
    return { type: 'From', topicFilter: token.value, quoted, filterSpan: token.span, span: this.#spanFrom(start) };
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
  return new Parser(sql).parseStatement();
}

/** Parses a standalone expression (the whole input). */
export function parseExpression(source: string): Expression {
  const parser = new Parser(source);
  const expression = parser.parseExpression();
  parser.expectEnd();
  return expression;
}
