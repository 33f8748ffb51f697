import type { DocumentCollection, StateStore } from '../core/index.js';

/** For tests and throwaway servers. Documents are copied in and out, as the SQLite driver's are. */
export function createMemoryStateStore(): StateStore {
  const collections = new Map<string, Map<string, string>>();
  const bucket = (name: string): Map<string, string> => {
    let docs = collections.get(name);
    if (!docs) {
      docs = new Map();
      collections.set(name, docs);
    }
    return docs;
  };
  return {
    collection<T>(name: string): DocumentCollection<T> {
      const docs = bucket(name);
      return {
        async get(id) {
          const body = docs.get(id);
          return body === undefined ? undefined : (JSON.parse(body) as T);
        },
        async put(id, doc) {
          docs.set(id, JSON.stringify(doc));
        },
        async delete(id) {
          return docs.delete(id);
        },
        async list() {
          return [...docs.entries()]
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([id, body]) => ({ id, doc: JSON.parse(body) as T }));
        },
      };
    },
    async close() {
      collections.clear();
    },
  };
}
