import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newTimeOrderedId } from './ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('newTimeOrderedId is a UUID version 7 whose first 48 bits are the time in ms', () => {
  const at = Date.UTC(2026, 10, 27, 4, 0, 0, 123);
  const id = newTimeOrderedId(at);
  assert.match(id, UUID_V7);
  assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), at);
});

test('newTimeOrderedId sorts by time, and ids of the same ms differ', () => {
  const ids = [1, 2, 1_000, 86_400_000, 2 ** 40].map((ms) => newTimeOrderedId(1_700_000_000_000 + ms));
  assert.deepEqual([...ids].sort(), ids);
  const same = new Set(Array.from({ length: 1000 }, () => newTimeOrderedId(1_700_000_000_000)));
  assert.equal(same.size, 1000);
});
