import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '../../core/index.js';
import { parseSql } from './parser.js';

test('SET assigns variables before SELECT; @var and @var.prop are expressions', () => {
  const ast = parseSql("SET @c = (t - 32) * 5 / 9, @d = device.info SELECT @c AS celsius, @d.id FROM 'device/data'");
  assert.deepEqual(
    ast.set.map((a) => a.name),
    ['c', 'd'],
  );
  const [first, second] = ast.items;
  assert.ok(first?.type === 'SelectExpression' && first.expression.type === 'Variable' && first.expression.name === 'c');
  assert.ok(second?.type === 'SelectExpression' && second.expression.type === 'Member' && second.expression.object.type === 'Variable');
  assert.deepEqual(second.expression.span.start, { line: 1, column: 67, offset: 66 });
});

test('nested queries, cast AS, dotted aliases, * as an argument, bare and missing FROM', () => {
  const nested = parseSql("SELECT (SELECT VALUE n FROM e WHERE v > 1) AS names FROM 'my/topic'");
  const item = nested.items[0];
  assert.ok(item?.type === 'SelectExpression' && item.expression.type === 'Subquery');
  assert.equal(item.expression.value, true);
  assert.equal(item.expression.from.type, 'Identifier');
  assert.ok(item.expression.where);

  const cast = parseSql("SELECT CAST(n as decimal) FROM 'a'").items[0];
  assert.ok(cast?.type === 'SelectExpression' && cast.expression.type === 'Call');
  assert.equal(cast.expression.name, 'cast');
  assert.deepEqual(
    cast.expression.args.map((a) => a.type),
    ['Identifier', 'Literal'],
  );

  const dotted = parseSql("SELECT t AS state.reported.temp FROM 'a'").items[0];
  assert.ok(dotted?.type === 'SelectExpression');
  assert.deepEqual(dotted.alias, ['state', 'reported', 'temp']);

  const star = parseSql("SELECT encode(*, 'base64') AS data FROM 'a'").items[0];
  assert.ok(star?.type === 'SelectExpression' && star.expression.type === 'Call');
  assert.equal(star.expression.args[0]?.type, 'Payload');

  const bare = parseSql('SELECT temp FROM topic/# WHERE temp > 1');
  assert.equal(bare.from?.topicFilter, 'topic/#');
  assert.equal(bare.from?.quoted, false);
  assert.ok(bare.where);

  assert.equal(parseSql('SELECT * WHERE a = 1').from, undefined, 'Basic Ingest rules may leave FROM out');
});

const INVALID: Array<[string, number, number, string]> = [
  ["SET @a = 1 SET @b = 2 SELECT * FROM 'a'", 1, 12, 'SET may appear only once'],
  ["SET @a = 1, @a = 2 SELECT * FROM 'a'", 1, 13, 'variable @a is already assigned'],
  ["SET a = 1 SELECT * FROM 'a'", 1, 5, 'a variable such as @name'],
  ["SELECT * FROM 'a' SET @a = 1", 1, 19, 'the SET clause must come before SELECT'],
  [`SET @${'v'.repeat(65)} = 1 SELECT * FROM 'a'`, 1, 5, 'longer than 64 characters'],
  ["SELECT @ FROM 'a'", 1, 8, 'a variable name after @'],
  ["SELECT cast(a AS Money) FROM 'a'", 1, 18, 'a type to cast to'],
  ["SELECT cast(a, 'Int') FROM 'a'", 1, 14, 'AS'],
  ["SELECT (SELECT v FROM e WHERE) FROM 'a'", 1, 30, 'an expression'],
  ["SELECT (SELECT v e) FROM 'a'", 1, 18, 'FROM'],
  ["SELECT a AS b. FROM 'a'", 1, 16, 'an alias segment after .'],
  ['SELECT a FROM WHERE a = 1', 1, 15, 'a topic filter'],
];

test('SET, variables, cast, nested queries and aliases fail at the right place', () => {
  for (const [sql, line, column, fragment] of INVALID) {
    assert.throws(
      () => parseSql(sql),
      (error: unknown) => {
        assert.ok(error instanceof SluiceError, sql);
        assert.deepEqual(error.place, { line, column }, `${sql}: ${error.message}`);
        assert.ok(error.message.includes(fragment), `${sql}: ${error.message}`);
        return true;
      },
    );
  }
});
