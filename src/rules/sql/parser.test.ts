import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '../../core/index.js';
import type { Node, Span } from './ast.js';
import { parseExpression, parseSql } from './parser.js';

/** The AST without positions, so different spellings can be compared. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  // `decimal` marks 35.0 vs 35, which only SQL 2015-10-08 tells apart.
  for (const [k, v] of Object.entries(value)) if (k !== 'span' && k !== 'filterSpan' && k !== 'decimal') out[k] = shape(v);
  return out;
}

const SAME_STATEMENT: Array<[string, string[]]> = [
  [
    "SELECT * FROM 'device/+/devicePayload' WHERE humidity < 35",
    [
      "select * from 'device/+/devicePayload' where humidity < 35",
      "  SeLeCt *\n  FROM \"device/+/devicePayload\"\n  WHERE (humidity) < 35.0  ",
      "SELECT * FROM 'device/+/devicePayload' WHERE `humidity` < 3.5e1",
      "SELECT*FROM'device/+/devicePayload'WHERE humidity<35",
    ],
  ],
  [
    "SELECT *, topic() AS t FROM 'a/#'",
    ["select *, TOPIC() as t from 'a/#'", 'SELECT *,Topic ( ) AS `t` FROM "a/#"'],
  ],
  [
    "SELECT a.b.c AS x, -5 AS n FROM 't'",
    ["SELECT `a`.b.`c` AS x, - 5 AS n FROM 't'", "SELECT (a.b).c AS x, -(5) AS n FROM 't'"],
  ],
];

test('equivalent spellings parse to the same AST', () => {
  for (const [canonical, variants] of SAME_STATEMENT) {
    const expected = shape(parseSql(canonical));
    for (const variant of variants) assert.deepEqual(shape(parseSql(variant)), expected, variant);
  }
});

const SAME_EXPRESSION: Array<[string, string[]]> = [
  ['a <> b', ['a != b', '(a) <> (b)']],
  ['a OR b AND c', ['a OR (b AND c)', 'a or b and c']],
  ['NOT a = 1', ['NOT (a = 1)', 'not(a=1)']],
  ['a + b * c - d', ['(a + (b * c)) - d']],
  ['a - b - c', ['(a - b) - c']],
  ['-a * 2', ['(-a) * 2']],
  ['x[0].y', ['(x[0]).y']],
  ["'it''s'", ["'it\\'s'", '"it\'s"']],
  ['TRUE AND false OR Null', ['(true and FALSE) or NULL']],
];

test('operator precedence and associativity', () => {
  for (const [canonical, variants] of SAME_EXPRESSION) {
    const expected = shape(parseExpression(canonical));
    for (const variant of variants) assert.deepEqual(shape(parseExpression(variant)), expected, variant);
  }
});

test('the AST has the documented shape', () => {
  assert.deepEqual(shape(parseSql("SELECT a.b AS x, topic(2) FROM 'd/+' WHERE NOT h < 35")), {
    type: 'Select',
    set: [],
    value: false,
    items: [
      { type: 'SelectExpression', alias: ['x'], expression: { type: 'Member', property: 'b', object: { type: 'Identifier', name: 'a' } } },
      { type: 'SelectExpression', alias: undefined, expression: { type: 'Call', name: 'topic', args: [{ type: 'Literal', value: 2 }] } },
    ],
    from: { type: 'From', topicFilter: 'd/+', quoted: true },
    where: {
      type: 'Unary',
      op: 'NOT',
      operand: { type: 'Binary', op: '<', left: { type: 'Identifier', name: 'h' }, right: { type: 'Literal', value: 35 } },
    },
  });
});

test('every node has a span that covers its source text', () => {
  const sql = "SELECT a.b AS x,\n  temp * 2 FROM 'd/+' WHERE NOT (h < 35)";
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    if ('type' in node) {
      const span = (node as { span?: Span }).span;
      assert.ok(span, `${String((node as Node).type)} has a span`);
      assert.ok(span.start.offset <= span.end.offset);
    }
    Object.values(node).forEach(visit);
  };
  const ast = parseSql(sql);
  visit(ast);
  const item = ast.items[1];
  assert.ok(item?.type === 'SelectExpression');
  assert.equal(sql.slice(item.span.start.offset, item.span.end.offset), 'temp * 2');
  assert.deepEqual(item.span.start, { line: 2, column: 3, offset: 19 });
  assert.ok(ast.where);
  assert.equal(sql.slice(ast.where.span.start.offset, ast.where.span.end.offset), 'NOT (h < 35)');
});

const INVALID: Array<[sql: string, line: number, column: number, fragment: string]> = [
  ["SELECT * WHERE x FROM 'a'", 1, 18, "expected end of input (FROM must come before WHERE) but found 'FROM'"],
  ["SELECT FROM 'a'", 1, 8, "expected an expression but found 'FROM'"],
  ["SELECT * FROM 'a' WHERE", 1, 24, 'expected an expression but found end of input'],
  ['SELECT * FROM', 1, 14, "expected a topic filter such as 'device/+/data' but found end of input"],
  ["SELECT * FROM 'a' WHERE a = 'x", 1, 31, "closing ' of the string started at 1:29"],
  ["SELECT *\nFROM 'a'\nWHERE a == 1", 3, 10, "expected an expression but found '='"],
  ["SELECT a b FROM 'a'", 1, 10, "expected ',' or FROM but found 'b'"],
  ["SELECT a AS FROM 'a'", 1, 13, "expected an alias after AS but found 'FROM'"],
  ["SELECT a. FROM 'a'", 1, 11, "expected an attribute name after . but found 'FROM'"],
  ["SELECT f(a, FROM 'a'", 1, 13, "expected an expression but found 'FROM'"],
  ["SELECT (a FROM 'a'", 1, 11, "expected ')' but found 'FROM'"],
  ["SELECT * FROM 'a' WHERE a = 1 = 2", 1, 31, "expected AND, OR or the end of the expression but found '='"],
  ["SELECT * FROM 'a' extra", 1, 19, "expected end of input but found 'extra'"],
  ["SELECT # FROM 'a'", 1, 8, "expected a token but found '#'"],
  ["SELECT 12abc FROM 'a'", 1, 8, "expected a number but found '12abc'"],
  ["SELECT 'a\\q' FROM 'a'", 1, 10, 'expected an escape sequence'],
  ["UPDATE x FROM 'a'", 1, 1, "expected SELECT but found 'UPDATE'"],
  ['', 1, 1, 'expected SELECT but found end of input'],
];

test('invalid SQL fails with a position and a message naming the token', () => {
  for (const [sql, line, column, fragment] of INVALID) {
    assert.throws(
      () => parseSql(sql),
      (error: unknown) => {
        assert.ok(error instanceof SluiceError, sql);
        assert.equal(error.code, 'SLUICE_ERR_RULE_SQL_SYNTAX', sql);
        assert.deepEqual(error.place, { line, column }, sql);
        assert.ok(error.message.includes(fragment), `${sql}: ${error.message}`);
        assert.ok(error.details && 'token' in error.details && 'expected' in error.details);
        return true;
      },
    );
  }
});

const SAME_EXTENDED: Array<[string, string[]]> = [
  // IN / CONTAINS bind like comparisons: tighter than AND/OR/NOT, looser than arithmetic.
  ['a + 1 IN arr AND ok', ['((a + 1) IN arr) AND ok', 'a+1 in arr and ok']],
  ['NOT x IN [1, 2]', ['NOT (x IN [1,2])', 'not x In [ 1 , 2 ]']],
  ['tags CONTAINS "hot" OR s CONTAINS \'x\'', ["(tags CONTAINS 'hot') OR (s contains 'x')"]],
  ['[1, [a, b.c], {}]', ['[ 1,[ a,(b).c ],{ } ]']],
  ["{'k': a + 1, \"k2\": [x]}", ["{ `k` : (a + 1), k2: [x] }", "{'k':a+1,'k2':[x]}"]],
  [
    "CASE c WHEN 'g' THEN 'go' WHEN 'r' THEN 'stop' ELSE 'x' END",
    ["case c when 'g' then 'go' when 'r' then 'stop' else 'x' end", "CASE (c) WHEN ('g') THEN 'go' WHEN 'r' THEN ('stop') ELSE 'x' END"],
  ],
  ['CASE a WHEN 1 THEN 2 END + 1', ['(CASE a WHEN 1 THEN 2 END) + 1']],
  ['x[0] IN CASE t WHEN 1 THEN [1] END', ['(x[0]) IN (CASE t WHEN 1 THEN [1] END)']],
];

test('IN, CONTAINS, literals and CASE: equivalent spellings and precedence', () => {
  for (const [canonical, variants] of SAME_EXTENDED) {
    const expected = shape(parseExpression(canonical));
    for (const variant of variants) assert.deepEqual(shape(parseExpression(variant)), expected, variant);
  }
});

const EXTENDED_SHAPES: Array<[string, unknown]> = [
  ['a IN [1, 2]', {
    type: 'Binary', op: 'IN', left: { type: 'Identifier', name: 'a' },
    right: { type: 'Array', elements: [{ type: 'Literal', value: 1 }, { type: 'Literal', value: 2 }] },
  }],
  ["s CONTAINS 'x'", { type: 'Binary', op: 'CONTAINS', left: { type: 'Identifier', name: 's' }, right: { type: 'Literal', value: 'x' } }],
  ['[]', { type: 'Array', elements: [] }],
  ['{}', { type: 'Object', properties: [] }],
  ["{'k': 1}", { type: 'Object', properties: [{ type: 'Property', key: 'k', value: { type: 'Literal', value: 1 } }] }],
  ['CASE v WHEN 1 THEN 2 END', {
    type: 'Case', subject: { type: 'Identifier', name: 'v' },
    whens: [{ type: 'When', when: { type: 'Literal', value: 1 }, then: { type: 'Literal', value: 2 } }], otherwise: undefined,
  }],
  ['CASE v WHEN 1 THEN 2 ELSE 3 END', {
    type: 'Case', subject: { type: 'Identifier', name: 'v' },
    whens: [{ type: 'When', when: { type: 'Literal', value: 1 }, then: { type: 'Literal', value: 2 } }], otherwise: { type: 'Literal', value: 3 },
  }],
];

test('IN, CONTAINS, literals and CASE have the documented AST shape', () => {
  for (const [source, expected] of EXTENDED_SHAPES) assert.deepEqual(shape(parseExpression(source)), expected, source);
});

test('SELECT VALUE gives one unaliased item; `value` is still an attribute name', () => {
  const valueOf = (sql: string) => {
    const ast = parseSql(sql);
    return { value: ast.value, items: shape(ast.items) };
  };
  const bare = (expression: unknown) => ({ value: true, items: [{ type: 'SelectExpression', alias: undefined, expression }] });
  const attr = (expression: unknown, alias?: string) => ({ value: false, items: [{ type: 'SelectExpression', alias: alias === undefined ? undefined : [alias], expression }] });
  const v = { type: 'Identifier', name: 'value' };
  const CASES: Array<[string, unknown]> = [
    ["SELECT VALUE a FROM 't'", bare({ type: 'Identifier', name: 'a' })],
    ["select value {'a': 1} from 't'", bare({ type: 'Object', properties: [{ type: 'Property', key: 'a', value: { type: 'Literal', value: 1 } }] })],
    ["SELECT VALUE (-1) FROM 't'", bare({ type: 'Literal', value: -1 })],
    ["SELECT VALUE 'x' FROM 't'", bare({ type: 'Literal', value: 'x' })],
    ["SELECT VALUE [1] FROM 't'", bare({ type: 'Array', elements: [{ type: 'Literal', value: 1 }] })],
    ["SELECT VALUE CASE a WHEN 1 THEN 2 END FROM 't'", bare({ type: 'Case', subject: { type: 'Identifier', name: 'a' }, whens: [{ type: 'When', when: { type: 'Literal', value: 1 }, then: { type: 'Literal', value: 2 } }], otherwise: undefined })],
    ["SELECT VALUE value FROM 't'", bare(v)],
    ["SELECT value FROM 't'", attr(v)],
    ["SELECT VALUE FROM 't'", attr({ type: 'Identifier', name: 'VALUE' })],
    ["SELECT value AS v FROM 't'", attr(v, 'v')],
    ["SELECT value - 1 FROM 't'", attr({ type: 'Binary', op: '-', left: v, right: { type: 'Literal', value: 1 } })],
    ["SELECT value[0] FROM 't'", attr({ type: 'Index', object: v, index: { type: 'Literal', value: 0 } })],
    ["SELECT value.x FROM 't'", attr({ type: 'Member', object: v, property: 'x' })],
  ];
  for (const [sql, expected] of CASES) assert.deepEqual(valueOf(sql), expected, sql);
  assert.equal(parseSql("SELECT value, b FROM 't'").items.length, 2);
});

test('new nodes have spans that cover their source text', () => {
  const src = "CASE a WHEN 1 THEN [x, {'k': y}] ELSE z IN q END";
  const expr = parseExpression(src);
  const text = (span: Span) => src.slice(span.start.offset, span.end.offset);
  assert.equal(expr.type, 'Case');
  assert.ok(expr.type === 'Case');
  assert.equal(text(expr.span), src);
  const when = expr.whens[0];
  assert.ok(when);
  assert.equal(text(when.span), "WHEN 1 THEN [x, {'k': y}]");
  assert.ok(when.then.type === 'Array');
  assert.equal(text(when.then.span), "[x, {'k': y}]");
  const obj = when.then.elements[1];
  assert.ok(obj?.type === 'Object');
  assert.equal(text(obj.span), "{'k': y}");
  assert.equal(text(obj.properties[0]?.span ?? obj.span), "'k': y");
  assert.ok(expr.otherwise);
  assert.equal(text(expr.otherwise.span), 'z IN q');
});

const INVALID_EXTENDED: Array<[sql: string, line: number, column: number, fragment: string]> = [
  ["SELECT * FROM 'a' WHERE x IN", 1, 29, 'expected an expression but found end of input'],
  ["SELECT * FROM 'a' WHERE a IN b = true", 1, 32, "expected AND, OR or the end of the expression but found '='"],
  ["SELECT * FROM 'a' WHERE a CONTAINS b IN c", 1, 38, "expected AND, OR or the end of the expression but found 'IN'"],
  ["SELECT [1, 2 FROM 'a'", 1, 14, "expected ']' but found 'FROM'"],
  ["SELECT [1,] FROM 'a'", 1, 11, "expected an expression but found ']'"],
  ["SELECT {'a' 1} FROM 'a'", 1, 13, "expected ':' but found '1'"],
  ["SELECT {1: 2} FROM 'a'", 1, 9, "expected an object key such as 'name' but found '1'"],
  ["SELECT {'a': 1,} FROM 'a'", 1, 16, "expected an object key such as 'name' but found '}'"],
  ["SELECT {'a': 1 FROM 'a'", 1, 16, "expected '}' but found 'FROM'"],
  ["SELECT CASE WHEN a THEN 1 END FROM 'a'", 1, 13, "the value to match after CASE"],
  ["SELECT CASE a END FROM 'a'", 1, 15, "expected WHEN but found 'END'"],
  ["SELECT CASE a WHEN 1 2 END FROM 'a'", 1, 22, "expected THEN but found '2'"],
  ["SELECT CASE a WHEN 1 THEN 2 FROM 'a'", 1, 29, "expected WHEN, ELSE or END but found 'FROM'"],
  ["SELECT\n  CASE a WHEN 1 THEN 2 ELSE 3 WHEN 4 THEN 5 END FROM 'a'", 2, 31, "expected END but found 'WHEN'"],
  ["SELECT end FROM 'a'", 1, 8, "expected an expression but found 'end'"],
  ["SELECT VALUE a AS b FROM 'a'", 1, 16, "expected FROM (SELECT VALUE takes one expression, without AS) but found 'AS'"],
  ["SELECT VALUE a, b FROM 'a'", 1, 15, "expected FROM (SELECT VALUE takes one expression, without AS) but found ','"],
  ["SELECT VALUE a b FROM 'a'", 1, 16, "expected FROM (SELECT VALUE takes one expression, without AS) but found 'b'"],
];

test('invalid IN, CONTAINS, literals, CASE and SELECT VALUE fail with a position', () => {
  for (const [sql, line, column, fragment] of INVALID_EXTENDED) {
    assert.throws(
      () => parseSql(sql),
      (error: unknown) => {
        assert.ok(error instanceof SluiceError, sql);
        assert.equal(error.code, 'SLUICE_ERR_RULE_SQL_SYNTAX', sql);
        assert.deepEqual(error.place, { line, column }, sql);
        assert.ok(error.message.includes(fragment), `${sql}: ${error.message}`);
        return true;
      },
    );
  }
});
