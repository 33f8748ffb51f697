import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StateStore } from '../core/index.js';

/** Every state store driver runs this suite (mqemitter's abstractTest habit). */
export function stateStoreContract(driver: string, open: () => Promise<{ store: StateStore; cleanup?: () => Promise<void> }>): void {
  const withStore = async (fn: (store: StateStore) => Promise<void>): Promise<void> => {
    const { store, cleanup } = await open();
    try {
      await fn(store);
    } finally {
      await store.close();
      await cleanup?.();
    }
  };

  test(`${driver}: put, get, overwrite, delete`, () =>
    withStore(async (store) => {
      const things = store.collection<{ n: number }>('things');
      assert.equal(await things.get('a'), undefined);
      await things.put('a', { n: 1 });
      assert.deepEqual(await things.get('a'), { n: 1 });
      await things.put('a', { n: 2 });
      assert.deepEqual(await things.get('a'), { n: 2 });
      assert.equal(await things.delete('a'), true);
      assert.equal(await things.delete('a'), false);
      assert.equal(await things.get('a'), undefined);
    }));

  test(`${driver}: collections are separate and lists are ordered by id`, () =>
    withStore(async (store) => {
      const a = store.collection<string>('a');
      const b = store.collection<string>('b');
      await a.put('2', 'two');
      await a.put('1', 'one');
      await b.put('1', 'other');
      assert.deepEqual(await a.list(), [
        { id: '1', doc: 'one' },
        { id: '2', doc: 'two' },
      ]);
      assert.deepEqual(await b.list(), [{ id: '1', doc: 'other' }]);
    }));

  test(`${driver}: stored documents are copies, not shared references`, () =>
    withStore(async (store) => {
      const docs = store.collection<{ tags: string[] }>('docs');
      const doc = { tags: ['x'] };
      await docs.put('d', doc);
      doc.tags.push('mutated');
      const read = await docs.get('d');
      assert.deepEqual(read, { tags: ['x'] });
    }));
}
