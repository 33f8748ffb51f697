import type { Database } from 'better-sqlite3';

/**
 * Ordered schema steps for `<data>/readings.db`; `user_version` records how
 * many have run, so an older file upgrades in place and a newer one is refused.
 *
 * A reading is one row per (series, device, time) with its fields as a JSON
 * object: a reading is read whole far more often than one field alone, and
 * downsampling unpacks the fields with json_each. The primary key serves
 * "one device, newest first"; readings_time serves "every device" and the
 * retention sweep (`time < cutoff` within a series). WITHOUT ROWID: rows live
 * in the primary key's b-tree, so the common query reads one index, not two.
 */
const MIGRATIONS: ReadonlyArray<string> = [
  `CREATE TABLE series (
     name TEXT PRIMARY KEY,
     retention_ms INTEGER
   ) WITHOUT ROWID;
   CREATE TABLE readings (
     series TEXT NOT NULL,
     device TEXT NOT NULL,
     time INTEGER NOT NULL,
     fields TEXT NOT NULL,
     PRIMARY KEY (series, device, time)
   ) WITHOUT ROWID;
   CREATE INDEX readings_time ON readings (series, time);`,
];

export function migrateReadings(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`readings database schema version ${current} is newer than this Sluice understands (${MIGRATIONS.length}); upgrade Sluice`);
  }
  db.transaction(() => {
    for (let version = current; version < MIGRATIONS.length; version += 1) db.exec(MIGRATIONS[version] ?? '');
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}
