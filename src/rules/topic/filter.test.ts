import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topicMatchesFilter, validateTopicFilter, validateTopicName } from './filter.js';
import { MATCH_CASES } from './match-cases.test-data.js';

test('topicMatchesFilter', () => {
  for (const [filter, topic, expected] of MATCH_CASES) assert.equal(topicMatchesFilter(filter, topic), expected, `${filter} vs ${topic}`);
});

test('validateTopicFilter accepts valid filters', () => {
  for (const filter of ['a', '/', 'a/b/c', '+', '#', '+/+/#', '/+/', 'device/+/devicePayload', '$SYS/#', 'a//b', 'ünï/cødé']) {
    assert.equal(validateTopicFilter(filter), undefined, filter);
  }
});

test('validateTopicFilter explains invalid filters', () => {
  const cases: Array<[string, string]> = [
    ['', 'empty'],
    ['a/#/b', "'#' must be the last level"],
    ['a/b#', "'#' must occupy a whole level"],
    ['a#/b', "'#' must occupy a whole level"],
    ['a/+b', "'+' must occupy a whole level"],
    ['++', "'+' must occupy a whole level"],
    ['a/\u0000', 'null character'],
    ['x'.repeat(65_536), 'longer than 65535 bytes'],
  ];
  for (const [filter, fragment] of cases) {
    const reason = validateTopicFilter(filter);
    assert.ok(reason?.includes(fragment), `${filter.slice(0, 20)}: ${reason}`);
  }
});

test('validateTopicName rejects wildcards', () => {
  assert.equal(validateTopicName('a/b'), undefined);
  assert.match(validateTopicName('a/+') ?? '', /wildcard/);
  assert.match(validateTopicName('') ?? '', /empty/);
});
