/**
 * SNS subscription filter policies. The case tables in filter-policy.cases.ts
 * come from the Amazon SNS Developer Guide's examples (each names its
 * section) and, where the guide is silent, from behaviour recorded against AWS.
 *
 * Run: node --import tsx --test src/notify/filter-policy.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '../core/index.js';
import { FilterPolicy, matches, parseFilterPolicy, type FilterableMessage } from './filter-policy.js';
import { ERROR_CASES, MATCH_CASES, attrs, body } from './filter-policy.cases.js';

for (const c of MATCH_CASES) {
  test(`matches: ${c.section}: ${c.name}${c.scope === 'MessageBody' ? ' [body]' : ''}`, () => {
    const policy = parseFilterPolicy(c.policy, c.scope);
    assert.equal(matches(policy, c.message), c.expected);
  });
}

for (const c of ERROR_CASES) {
  test(`rejects: ${c.section}: ${c.name}`, () => {
    assert.throws(() => parseFilterPolicy(c.policy, c.scope), (error: unknown) => {
      assert.ok(error instanceof SluiceError, `expected a SluiceError, got ${String(error)}`);
      assert.equal(error.code, 'SLUICE_ERR_REQUEST_INVALID');
      assert.equal(error.place?.field, c.field);
      assert.ok(error.message.startsWith(`${c.field}: `), error.message);
      assert.match(error.message, c.message);
      return true;
    });
  });
}

test('the case tables are as large as promised', () => {
  assert.ok(MATCH_CASES.length >= 40, `${MATCH_CASES.length} match cases`);
  assert.ok(ERROR_CASES.length >= 20, `${ERROR_CASES.length} error cases`);
});

test('limits: the guide\'s accepted examples, with their combinations and counted keys', () => {
  // Filter policy constraints: "3 x 1 x 2 = 6".
  const flat = parseFilterPolicy({ key_a: ['value_one', 'value_two', 'value_three'], key_b: ['value_one'], key_c: ['value_one', 'value_two'] });
  assert.equal(flat.combinations, 6);
  assert.deepEqual(flat.keys, ['key_a', 'key_b', 'key_c']);

  // Filter policy constraints (payload): "four values in a three-level nested key ... three values in a two-level nested key. 3 x 4 x 2 x 3 = 72".
  const nested = parseFilterPolicy({
    key_a: { key_b: { key_c: ['value_one', 'value_two', 'value_three', 'value_four'] } },
    key_d: { key_e: ['value_one', 'value_two', 'value_three'] },
  }, 'MessageBody');
  assert.equal(nested.combinations, 72);

  // Filter policy constraints, key counting example 1: only top-level keys count in payload-based filtering.
  const counted = parseFilterPolicy({
    state: ['SUCCESS'], severity: [{ exists: true }], message: [{ exists: true }],
    finding: { standard_control: [{ exists: true }], region: [{ exists: true }], account: [{ exists: true }] },
  }, 'MessageBody');
  assert.deepEqual(counted.keys, ['state', 'severity', 'message', 'finding']);

  // AWS accepts exactly 150: 3 × (6 + 4 × (4 + 7)).
  const edge = parseFilterPolicy({
    source: ['aws.cloudwatch', 'aws.events', 'aws.test'],
    $or: [
      { metricName: ['CPUUtilization', 'ReadLatency', 'TestVal', 'TestVal2', 'TestVal3', 'TestVal4'] },
      { metricType: ['MetricType', 'TestType', 'TestType2', 'TestType3'], $or: [{ metricId: [1234, 4321, 5678, 9012] }, { spaceId: [1, 2, 3, 4, 5, 6, 7] }] },
    ],
  });
  assert.equal(edge.combinations, 150);
  assert.equal(edge.keys.length, 5);
});

test('parse: takes the JSON text SNS stores, keeps a detached copy, serializes back to it', () => {
  const text = '{"store":["example_corp"],"price_usd":[{"numeric":[">=",100]}]}';
  const fromText = parseFilterPolicy(text);
  assert.equal(JSON.stringify(fromText), text);
  assert.equal(fromText.scope, 'MessageAttributes');

  const source = { store: ['example_corp'] };
  const fromObject = parseFilterPolicy(source, 'MessageBody');
  source.store.push('other');
  assert.deepEqual(fromObject.document, { store: ['example_corp'] });
  assert.ok(fromObject instanceof FilterPolicy);
  assert.ok(Object.isFrozen(fromObject));
  assert.ok(matches(fromObject, body({ store: 'example_corp' })));
  assert.ok(!matches(fromObject, body({ store: 'other' })));
});

test('parse: an empty policy filters nothing out (attributes); the body must still be a JSON object', () => {
  assert.ok(matches(parseFilterPolicy({}), {}));
  assert.ok(matches(parseFilterPolicy({}, 'MessageBody'), body({})));
  assert.ok(!matches(parseFilterPolicy({}, 'MessageBody'), { body: 'plain text' }));
});

test('matches: wrong-scope messages and odd attributes never throw', () => {
  const attributesPolicy = parseFilterPolicy({ store: ['fans'], n: [{ numeric: ['>', 0] }] });
  const odd: FilterableMessage = {
    attributes: {
      store: { DataType: 'String' }, // no StringValue
      n: { DataType: 'Number', StringValue: 'twelve' },
    },
  };
  assert.equal(matches(attributesPolicy, odd), false);
  assert.equal(matches(attributesPolicy, body({ store: 'fans', n: 1 })), false);
  assert.equal(matches(parseFilterPolicy({ tags: ['a'] }), { attributes: { tags: { DataType: 'String.Array', StringValue: 'not json' } } }), false);
  assert.equal(matches(parseFilterPolicy({ store: ['fans'] }, 'MessageBody'), attrs({ store: 'fans' })), false);
});

test('matches: custom data types follow their base type (Number.float, String.id)', () => {
  const policy = parseFilterPolicy({ price: [{ numeric: ['>', 1] }], id: [{ prefix: 'a' }] });
  assert.ok(matches(policy, { attributes: { price: { DataType: 'Number.float', StringValue: '1.5' }, id: { DataType: 'String.id', StringValue: 'abc' } } }));
});

test('matches: keys that name Object.prototype properties are just keys', () => {
  assert.equal(matches(parseFilterPolicy({ constructor: [{ exists: true }] }), attrs({ other: 'x' })), false);
  assert.equal(matches(parseFilterPolicy({ toString: [{ exists: false }] }), attrs({ other: 'x' })), true);
  assert.equal(matches(parseFilterPolicy({ constructor: [{ exists: true }] }, 'MessageBody'), body({ other: 'x' })), false);
  assert.equal(matches(parseFilterPolicy('{"__proto__": ["x"]}', 'MessageBody'), { body: '{"__proto__": "x"}' }), true);
});

test('matches: a message object re-used with a changed body or attribute is evaluated afresh', () => {
  const policy = parseFilterPolicy({ store: ['fans'] }, 'MessageBody');
  const message: FilterableMessage = { body: JSON.stringify({ store: 'fans' }) };
  assert.ok(matches(policy, message));
  message.body = JSON.stringify({ store: 'other' });
  assert.ok(!matches(policy, message));

  const arrayPolicy = parseFilterPolicy({ tags: ['a'] });
  const attribute = { DataType: 'String.Array' as const, StringValue: '["a"]' };
  const withArray: FilterableMessage = { attributes: { tags: attribute } };
  assert.ok(matches(arrayPolicy, withArray));
  attribute.StringValue = '["b"]';
  assert.ok(!matches(arrayPolicy, withArray));
});

test('matches: one parsed body serves many policies', () => {
  const message = body({ detail: { state: 'ALARM', value: 95 } });
  const policies = [
    parseFilterPolicy({ detail: { state: ['ALARM'] } }, 'MessageBody'),
    parseFilterPolicy({ detail: { value: [{ numeric: ['>=', 90] }] } }, 'MessageBody'),
    parseFilterPolicy({ detail: { state: ['OK'] } }, 'MessageBody'),
  ];
  assert.deepEqual(policies.map((p) => matches(p, message)), [true, true, false]);
});

test('matches: very deep bodies do not overflow the stack', () => {
  let deep = '"leaf"';
  for (let i = 0; i < 5000; i++) deep = `{"a":${deep}}`;
  // A dotted key reaches the leaf (see 'a dotted policy key reaches nested objects').
  const path = Array.from({ length: 5001 }, () => 'a').join('.');
  assert.ok(matches(parseFilterPolicy({ [path]: ['leaf'] }, 'MessageBody'), { body: deep.replace('"leaf"', '{"a":"leaf"}') }));
  assert.ok(matches(parseFilterPolicy({ x: [{ exists: false }] }, 'MessageBody'), { body: deep }));
});

test('matches: IPv4-in-IPv6 notation and host bits in the policy CIDR', () => {
  const v6 = parseFilterPolicy({ ip: [{ cidr: '::ffff:10.0.0.0/120' }] });
  assert.ok(matches(v6, attrs({ ip: '::ffff:10.0.0.7' })));
  assert.ok(!matches(v6, attrs({ ip: '10.0.0.7' })));
  const hostBits = parseFilterPolicy({ ip: [{ cidr: '10.0.0.9/24' }] });
  assert.ok(matches(hostBits, attrs({ ip: '10.0.0.200' })));
  assert.ok(matches(parseFilterPolicy({ ip: [{ cidr: '0.0.0.0/0' }] }), attrs({ ip: '192.168.1.1' })));
  assert.ok(!matches(parseFilterPolicy({ ip: [{ cidr: '10.0.0.0/8' }] }), attrs({ ip: '010.0.0.1' })));
});
