import type { Database } from 'better-sqlite3';

/**
 * Ordered schema steps; `user_version` records how many have run, so opening
 * an older data dir upgrades it in place and a newer one is refused.
 */
const MIGRATIONS: ReadonlyArray<string> = [
  `CREATE TABLE documents (
     collection TEXT NOT NULL,
     id TEXT NOT NULL,
     body TEXT NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (collection, id)
   ) WITHOUT ROWID`,
];

export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `state database schema version ${current} is newer than this Sluice understands (${MIGRATIONS.length}); upgrade Sluice`,
    );
  }
  const apply = db.transaction(() => {
    for (let version = current; version < MIGRATIONS.length; version += 1) {
      db.exec(MIGRATIONS[version] ?? '');
    }
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  });
  apply();
}
