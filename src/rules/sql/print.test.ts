import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Expression, SelectItem, SelectStatement, Span } from './ast.js';
import { parseSql } from './parser.js';
import { printStatement } from './print.js';

const SPAN: Span = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };

/** The tree without positions: two parses of equivalent text must agree on everything else. */
function withoutSpans(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSpans);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'span' && key !== 'filterSpan')
      .map(([key, v]) => [key, withoutSpans(v)]),
  );
}

function assertStable(sql: string): void {
  const first = parseSql(sql);
  const printed = printStatement(first);
  const second = parseSql(printed);
  assert.deepEqual(withoutSpans(second), withoutSpans(first), `${sql}\n  printed as\n${printed}`);
  assert.equal(printStatement(second), printed, 'printing is a fixed point');
}

const HAND_WRITTEN = [
  "SELECT * FROM 'device/+/devicePayload' WHERE humidity < 35",
  "SELECT *, 15 AS speed FROM 'topic/subtopic'",
  "SELECT VALUE color FROM 'topic/subtopic'",
  "SELECT VALUE (-1) FROM 'a'",
  "SELECT value - 1 AS v, value[0] FROM 'a'",
  "SELECT foo.bar AS bar.baz FROM 'topic/subtopic'",
  "SELECT (SELECT VALUE n FROM e) AS sensors FROM 'my/topic'",
  "SELECT get((SELECT v FROM e WHERE n = 'temperature'), 0).v AS temperature FROM 'topic'",
  "SET @c = (temp_fahrenheit - 32) * 5 / 9, @h = humidity SELECT @c AS celsius, @h FROM 'device/data' WHERE @c > 20",
  "SELECT cast(n AS Decimal) AS d, CAST('1' as int) FROM 'a'",
  "SELECT encode(*, 'base64') AS data, timestamp() AS ts FROM 'topic/subtopic'",
  "SELECT temp, md5(deviceid) AS hashed_id FROM topic/#",
  "SELECT CASE color WHEN 'green' THEN 'go' WHEN 'yellow' THEN 'caution' ELSE 'stop' END AS instructions FROM 'a'",
  "SELECT {'latitude': get(lat_long, 0), 'longitude': get(lat_long, 1)} AS lat_long FROM 'a'",
  "SELECT [lat, long] AS lat_long, 'it''s' AS q, \"dq\" AS d, 'tab\\there' AS t FROM 'a'",
  "SELECT `a-b`, `select`, `we``ird` FROM 'a' WHERE NOT a = b AND (c OR d) AND x IN [1, 2] AND s CONTAINS 'x'",
  'SELECT 1e3 AS a, 10.0 AS b, -2.5e-3 AS c, - (a) AS d, NOT NOT t AS e FROM \'a\'',
  'SELECT a % 2, a * (b + c), (a - b) - c, a - (b - c) FROM \'a\'',
  "SELECT * WHERE x = 1",
];

test('parse → print → parse gives the same tree for hand-written statements', () => {
  for (const sql of HAND_WRITTEN) assertStable(sql);
});

// --- random trees -------------------------------------------------------------

const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,5}$/);
const oddName = fc.oneof(name, fc.constantFrom('a b', 'x-y', 'we`ird', 'select', 'VALUE', 'from', 'é'));
const functionName = fc.constantFrom('abs', 'upper', 'concat', 'get', 'topic', 'substring', 'newuuid', 'lower');
const comparisonOrArithmetic = fc.constantFrom('=', '<>', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', 'AND', 'OR', 'IN', 'CONTAINS') as fc.Arbitrary<
  Extract<Expression, { type: 'Binary' }>['op']
>;

const literal: fc.Arbitrary<Expression> = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map((value): Expression => ({ type: 'Literal', value, span: SPAN })),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }).map((value): Expression => ({ type: 'Literal', value: Object.is(value, -0) ? 0 : value, decimal: true, span: SPAN })),
  fc.string({ maxLength: 6 }).map((value): Expression => ({ type: 'Literal', value, span: SPAN })),
  fc.constantFrom(true, false, null).map((value): Expression => ({ type: 'Literal', value, span: SPAN })),
);

const { expression } = fc.letrec<{ expression: Expression }>((tie) => {
  const sub = tie('expression');
  const leaf = fc.oneof(
    literal,
    oddName.map((n): Expression => ({ type: 'Identifier', name: n, span: SPAN })),
    name.map((n): Expression => ({ type: 'Variable', name: n, span: SPAN })),
  );
  return {
    expression: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.record({ object: sub, property: oddName }).map(({ object, property }): Expression => ({ type: 'Member', object, property, span: SPAN })),
      fc.record({ object: sub, index: sub }).map(({ object, index }): Expression => ({ type: 'Index', object, index, span: SPAN })),
      fc.record({ fn: functionName, args: fc.array(sub, { maxLength: 3 }) }).map(({ fn, args }): Expression => ({ type: 'Call', name: fn, args, span: SPAN })),
      fc.record({ op: fc.constantFrom('NOT', '-') as fc.Arbitrary<'NOT' | '-'>, operand: sub }).map(({ op, operand }): Expression => ({ type: 'Unary', op, operand, span: SPAN })),
      fc.record({ op: comparisonOrArithmetic, left: sub, right: sub }).map(({ op, left, right }): Expression => ({ type: 'Binary', op, left, right, span: SPAN })),
      fc.array(sub, { maxLength: 3 }).map((elements): Expression => ({ type: 'Array', elements, span: SPAN })),
      fc.uniqueArray(fc.record({ key: fc.string({ maxLength: 4 }), value: sub }), { selector: (p) => p.key, maxLength: 3 }).map(
        (properties): Expression => ({ type: 'Object', properties: properties.map((p) => ({ type: 'Property', ...p, span: SPAN })), span: SPAN }),
      ),
      fc.record({ subject: sub, whens: fc.array(fc.tuple(sub, sub), { minLength: 1, maxLength: 2 }), otherwise: fc.option(sub, { nil: undefined }) }).map(
        ({ subject, whens, otherwise }): Expression => ({
          type: 'Case',
          subject,
          whens: whens.map(([when, then]) => ({ type: 'When', when, then, span: SPAN })),
          otherwise,
          span: SPAN,
        }),
      ),
      fc.record({ value: fc.boolean(), item: sub, from: sub, where: fc.option(sub, { nil: undefined }) }).map(
        ({ value, item, from, where }): Expression => ({
          type: 'Subquery',
          value,
          items: [{ type: 'SelectExpression', expression: item, alias: undefined, span: SPAN }],
          from,
          where,
          span: SPAN,
        }),
      ),
    ),
  };
});

const selectItem: fc.Arbitrary<SelectItem> = fc.oneof(
  fc.constant<SelectItem>({ type: 'SelectAll', span: SPAN }),
  fc.record({ expression, alias: fc.option(fc.array(oddName, { minLength: 1, maxLength: 3 }), { nil: undefined }) }).map(
    ({ expression: e, alias }): SelectItem => ({ type: 'SelectExpression', expression: e, alias, span: SPAN }),
  ),
);

const statement: fc.Arbitrary<SelectStatement> = fc
  .record({
    set: fc.uniqueArray(fc.record({ name, value: expression }), { selector: (a) => a.name, maxLength: 2 }),
    value: fc.boolean(),
    items: fc.array(selectItem, { minLength: 1, maxLength: 3 }),
    where: fc.option(expression, { nil: undefined }),
    filter: fc.constantFrom('a/b', 'device/+/data', '#', "it's/x"),
  })
  .map(({ set, value, items, where, filter }): SelectStatement => {
    const first = items[0];
    const valueItem = value && first?.type === 'SelectExpression' ? [{ ...first, alias: undefined }] : undefined;
    return {
      type: 'Select',
      set: set.map((a) => ({ type: 'Assignment', ...a, span: SPAN })),
      value: valueItem !== undefined,
      items: valueItem ?? items,
      from: { type: 'From', topicFilter: filter, quoted: true, filterSpan: SPAN, span: SPAN },
      where,
      span: SPAN,
    };
  });

test('parse → print → parse is stable for random statements (property)', () => {
  fc.assert(
    fc.property(statement, (tree) => {
      assertStable(printStatement(tree));
    }),
    { numRuns: 300, seed: 20261126 },
  );
});
