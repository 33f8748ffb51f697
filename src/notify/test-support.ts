import type { DocumentCollection, StateStore } from '../core/index.js';

/**
 * A StateStore in memory, for tests of this folder (the SQLite driver lives in
 * `state/`, which notify must not import). Documents are stored as JSON text,
 * as the real drivers serialize them, so a test cannot pass by sharing object
 * references with the store.
 */
export function createMemoryStateStore(): StateStore & { dump(name: string): Record<string, unknown> } {
  const collections = new Map<string, Map<string, string>>();
  const open = (name: string): Map<string, string> => {
    let docs = collections.get(name);
    if (!docs) collections.set(name, (docs = new Map()));
    return docs;
  };
  return {
    collection<T>(name: string): DocumentCollection<T> {
      const docs = open(name);
      return {
        async get(id) {
          const text = docs.get(id);
          return text === undefined ? undefined : (JSON.parse(text) as T);
        },
        async put(id, doc) {
          docs.set(id, JSON.stringify(doc));
        },
        async delete(id) {
          return docs.delete(id);
        },
        async list() {
          return [...docs.keys()].sort().map((id) => ({ id, doc: JSON.parse(docs.get(id) ?? 'null') as T }));
        },
      };
    },
    /** The raw stored documents of a collection, for asserting what is (not) persisted. */
    dump(name: string) {
      return Object.fromEntries([...open(name)].map(([id, text]) => [id, JSON.parse(text) as unknown]));
    },
    async close() {},
  };
}
