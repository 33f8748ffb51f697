import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { SlotIndex } from './slot-index.js';

/** Drives the index as the ring does (a ring of `capacity` slots, ids replaced oldest first) and checks every lookup against a plain array. */
function exercise(capacity: number, ids: () => string, rounds: number): void {
  const held: Array<string | undefined> = new Array<string | undefined>(capacity).fill(undefined);
  const index = new SlotIndex(capacity);
  const idOf = (slot: number): string | undefined => held[slot];
  const gone: string[] = [];
  for (let n = 0; n < rounds; n++) {
    const slot = n % capacity;
    const old = held[slot];
    if (old !== undefined) {
      index.remove(old, slot);
      gone.push(old);
    }
    const id = ids();
    held[slot] = id;
    index.add(id, slot);
    for (let s = 0; s < capacity; s++) {
      const expected = held[s];
      if (expected !== undefined) assert.equal(index.get(expected, expected.length, idOf), s, `round ${n}: ${expected} in slot ${s}`);
    }
    for (const id of gone.slice(-capacity)) assert.equal(index.get(id, id.length, idOf), -1, `round ${n}: ${id} was removed`);
  }
}

test('UUIDs: every id held is found in its slot, every removed one is not', () => {
  exercise(64, randomUUID, 2_000);
});

test('short ids in a small table: long probe runs that wrap around, holes filled by backward shift', () => {
  let n = 0;
  exercise(3, () => `m${n++}`, 3_000);
  exercise(5, () => String.fromCharCode(97 + ((n++ * 7) % 26)) + String(n % 3), 2_000);
});

test('a job id finds its message by the prefix before the first colon', () => {
  const index = new SlotIndex(4);
  const held = ['0b9c6a1e-54c2-4b55-9f1d-000000000001', 'm1'];
  held.forEach((id, slot) => index.add(id, slot));
  const idOf = (slot: number) => held[slot];
  const job = `${held[0]}:SoilHumidityAlertRule:0`;
  assert.equal(index.get(job, job.indexOf(':'), idOf), 0);
  assert.equal(index.get('m1:R:0', 2, idOf), 1);
  assert.equal(index.get('m10:R:0', 3, idOf), -1, 'a longer id with the same start is another message');
  assert.equal(index.get('m', 1, idOf), -1);
});
