import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { DocumentCollection, StateStore } from '../core/index.js';
import { migrate } from './migrations.js';

/**
 * The embedded state store: one SQLite file in WAL mode, so readers never
 * block the writer and a crash leaves the last committed state intact.
 */
export function openSqliteStateStore(file: string): StateStore {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // NORMAL is durable across process crashes in WAL mode; only an OS crash can
  // lose the last transactions, which the action queue (later) guards with FULL.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);

  const getStmt = db.prepare<[string, string], { body: string }>(
    'SELECT body FROM documents WHERE collection = ? AND id = ?',
  );
  const putStmt = db.prepare<[string, string, string, number]>(
    `INSERT INTO documents (collection, id, body, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (collection, id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`,
  );
  const deleteStmt = db.prepare<[string, string]>('DELETE FROM documents WHERE collection = ? AND id = ?');
  const listStmt = db.prepare<[string], { id: string; body: string }>(
    'SELECT id, body FROM documents WHERE collection = ? ORDER BY id',
  );

  let closed = false;
  return {
    collection<T>(name: string): DocumentCollection<T> {
      return {
        async get(id) {
          const row = getStmt.get(name, id);
          return row ? (JSON.parse(row.body) as T) : undefined;
        },
        async put(id, doc) {
          putStmt.run(name, id, JSON.stringify(doc), Date.now());
        },
        async delete(id) {
          return deleteStmt.run(name, id).changes > 0;
        },
        async list() {
          return listStmt.all(name).map((row) => ({ id: row.id, doc: JSON.parse(row.body) as T }));
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
