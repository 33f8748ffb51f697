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
  for (const [k, v] of Object.entries(value)) if (k !== 'span' && k !== 'filterSpan') out[k] = shape(v);
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
    items: [
      { type: 'SelectExpression', alias: 'x', expression: { type: 'Member', property: 'b', object: { type: 'Identifier', name: 'a' } } },
      { type: 'SelectExpression', alias: undefined, expression: { type: 'Call', name: 'topic', args: [{ type: 'Literal', value: 2 }] } },
    ],
    from: { type: 'From', topicFilter: 'd/+' },
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
  ["SELECT * WHERE x FROM 'a'", 1, 10, "expected FROM but found 'WHERE'"],
  ["SELECT FROM 'a'", 1, 8, "expected an expression but found 'FROM'"],
  ["SELECT * FROM 'a' WHERE", 1, 24, 'expected an expression but found end of input'],
  ['SELECT * FROM a', 1, 15, "expected a quoted topic filter such as 'device/+/data' but found 'a'"],
  ["SELECT * FROM 'a' WHERE a = 'x", 1, 31, "closing ' of the string started at 1:29"],
  ["SELECT *\nFROM 'a'\nWHERE a == 1", 3, 10, "expected an expression but found '='"],
  ["SELECT a b FROM 'a'", 1, 10, "expected FROM but found 'b'"],
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
