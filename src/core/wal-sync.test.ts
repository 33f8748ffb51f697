import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { walSync } from './wal-sync.js';

test('walSync fsyncs the WAL of a database in WAL mode, many syncs on one descriptor, and close waits for them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-wal-'));
  try {
    const file = join(dir, 'q.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE t (v INTEGER)');
    const wal = walSync(file);
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const syncs: Array<Promise<void>> = [];
    for (let i = 0; i < 20; i += 1) {
      insert.run(i);
      syncs.push(wal.sync());
    }
    await Promise.all(syncs);
    await wal.close();
    db.close();
    const reopened = new Database(file);
    assert.equal((reopened.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n, 20);
    reopened.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('walSync rejects when there is no WAL to sync (nothing committed, or not in WAL mode)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-wal-'));
  try {
    const wal = walSync(join(dir, 'never.db'));
    await assert.rejects(wal.sync(), { code: 'ENOENT' });
    await wal.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('settle resolves a batch once synced, then runs onSynced; a failed sync rejects the whole batch; :memory: settles at once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-wal-'));
  try {
    const outcome = (wal: ReturnType<typeof walSync>, onSynced?: () => void) =>
      Promise.allSettled([0, 1].map(() => new Promise<void>((resolve, reject) => wal.settle([{ resolve, reject }], onSynced))));
    let synced = 0;
    const missing = walSync(join(dir, 'never.db'));
    assert.deepEqual((await outcome(missing, () => (synced += 1))).map((r) => r.status), ['rejected', 'rejected']);
    assert.equal(synced, 0, 'onSynced does not run for a failed sync');
    const memory = walSync(':memory:');
    assert.deepEqual((await outcome(memory, () => (synced += 1))).map((r) => r.status), ['fulfilled', 'fulfilled']);
    assert.equal(synced, 2);
    await Promise.all([missing.close(), memory.close()]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
