import type { Database } from 'better-sqlite3';
import { BATCH_LOG_SCHEMA } from './sqlite-batch-log.js';
import { BATCH_SEGMENTS_SCHEMA } from './sqlite-batch-segments.js';

/**
 * Ordered schema steps for the queue file; `user_version` records how many
 * have run, so an older file upgrades in place and a newer one is refused.
 * The table keeps its rowid: it is the insertion order that breaks ties
 * between jobs enqueued in the same millisecond (a group commit stamps many).
 *
 * jobs_lease answers "is anything due, and when" (nextReadyAt). jobs_order
 * exists because lease orders by enqueued_at while filtering on a not_before
 * range: no single index serves both, and with jobs_lease alone SQLite sorts
 * every due row on each lease (6.6 ms at a 20,000-job backlog, against
 * 0.03 ms walking jobs_order and stopping at the limit).
 */
const MIGRATIONS: ReadonlyArray<string> = [
  `CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     rule TEXT NOT NULL,
     target TEXT NOT NULL,
     body TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     enqueued_at INTEGER NOT NULL,
     not_before INTEGER NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('ready', 'leased', 'dead')),
     last_error TEXT,
     dead_at INTEGER,
     failures TEXT
   );
   CREATE INDEX jobs_lease ON jobs (state, not_before, enqueued_at);
   CREATE INDEX jobs_order ON jobs (state, enqueued_at);
   CREATE INDEX jobs_dead ON jobs (state, rule, dead_at);`,
  // Leasing one target's oldest due job without walking other targets' jobs.
  `CREATE INDEX jobs_target ON jobs (state, target, enqueued_at);`,
  // Dead letters are few and read rarely, but every job's state change
  // (lease, complete) had to update this index too: as a partial index over
  // dead rows only, the hot path no longer touches it. (Listing all dead
  // letters walks jobs_order's 'dead' range, as before.)
  `DROP INDEX jobs_dead;
   CREATE INDEX jobs_dead ON jobs (rule, dead_at) WHERE state = 'dead';`,
  // Archive jobs in an append-only table of their own (sqlite-batch-log.ts).
  BATCH_LOG_SCHEMA,
  // Archive jobs leased at enqueue, one row per group commit and target (sqlite-batch-segments.ts).
  BATCH_SEGMENTS_SCHEMA,
];

export function migrateQueue(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`action queue schema version ${current} is newer than this Sluice understands (${MIGRATIONS.length}); upgrade Sluice`);
  }
  db.transaction(() => {
    for (let version = current; version < MIGRATIONS.length; version += 1) db.exec(MIGRATIONS[version] ?? '');
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}
