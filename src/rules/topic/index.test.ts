import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '../../core/index.js';
import { topicMatchesFilter } from './filter.js';
import { MATCH_CASES } from './match-cases.test-data.js';
import { TopicIndex } from './index.js';

test('TopicIndex agrees with topicMatchesFilter on the match table', () => {
  for (const [filter, topic, expected] of MATCH_CASES) {
    if (filter === 'a/#/b') continue; // invalid filters cannot be added
    const index = new TopicIndex<string>();
    index.add(filter, 'v');
    assert.deepEqual(index.match(topic), expected ? ['v'] : [], `${filter} vs ${topic}`);
  }
});

test('many filters: match returns exactly the values of matching filters', () => {
  const index = new TopicIndex<string>();
  const filters: string[] = ['#', '+', '$SYS/#'];
  for (let d = 0; d < 50; d++) filters.push(`device/d${d}/data`, `device/d${d}/#`, `device/+/d${d}`, `+/d${d}/+`);
  for (const f of filters) index.add(f, f);
  assert.equal(index.size, filters.length);
  const topics = ['device/d7/data', 'device/d7', 'device/x/d13', 'x/d3/y', 'device', '$SYS/uptime', 'a/b/c/d'];
  for (const topic of topics) {
    const expected = filters.filter((f) => topicMatchesFilter(f, topic)).sort();
    assert.deepEqual(index.match(topic).sort(), expected, topic);
  }
});

test('removal prunes and only removes the given (filter, value)', () => {
  const index = new TopicIndex<number>();
  index.add('a/+/c', 1);
  index.add('a/+/c', 2);
  index.add('a/#', 3);
  assert.deepEqual(index.match('a/b/c').sort(), [1, 2, 3]);
  assert.equal(index.remove('a/+/c', 1), true);
  assert.equal(index.remove('a/+/c', 1), false, 'already removed');
  assert.equal(index.remove('a/+', 2), false, 'different filter');
  assert.equal(index.remove('x/y/z', 2), false, 'unknown filter');
  assert.deepEqual(index.match('a/b/c').sort(), [2, 3]);
  assert.equal(index.remove('a/+/c', 2), true);
  assert.equal(index.remove('a/#', 3), true);
  assert.equal(index.size, 0);
  assert.deepEqual(index.match('a/b/c'), []);
  index.add('a/+/c', 4); // re-adding after pruning works
  assert.deepEqual(index.match('a/b/c'), [4]);
});

test('duplicates: same value under one filter is stored once; under two filters it matches twice', () => {
  const index = new TopicIndex<string>();
  const rule = 'rule-1';
  index.add('a/b', rule);
  index.add('a/b', rule);
  assert.equal(index.size, 1);
  assert.deepEqual(index.match('a/b'), [rule]);
  index.add('a/+', rule);
  assert.equal(index.size, 2);
  assert.deepEqual(index.match('a/b'), [rule, rule]);
  assert.equal(index.remove('a/b', rule), true);
  assert.deepEqual(index.match('a/b'), [rule]);
});

test('invalid filters are rejected; wildcard topics match nothing', () => {
  const index = new TopicIndex<string>();
  assert.throws(() => index.add('a/#/b', 'x'), SluiceError);
  index.add('+', 'plus');
  assert.deepEqual(index.match('+'), []);
  assert.deepEqual(index.match('#'), []);
});
