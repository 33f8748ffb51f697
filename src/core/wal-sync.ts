import { closeSync, fsync, openSync } from 'node:fs';

/**
 * Makes a SQLite database's committed writes durable without blocking the
 * event loop. With `synchronous = FULL`, SQLite fsyncs the WAL inside each
 * commit, and better-sqlite3 runs commits on the main thread, so every fsync
 * stalls the broker and every action for its whole length. Instead the
 * database runs with `synchronous = NORMAL` (a commit writes the WAL without
 * syncing it) and the caller, after committing, awaits `sync()`: an fsync of
 * the WAL file on libuv's thread pool. That is FULL's guarantee for the
 * commit, and for every earlier one, since fsync covers the whole file.
 *
 * In WAL mode SQLite keeps the WAL file (same inode, rewound after a
 * checkpoint, whose data it has synced into the database first) until the
 * last connection closes, so one descriptor, opened at the first sync (the
 * file exists once something has been committed), serves until `close()`.
 */
export interface WalSync {
  sync(): Promise<void>;
  /** Waits for syncs in flight and closes the descriptor. Call it after the database's last commit, before closing it. */
  close(): Promise<void>;
}

export function walSync(databaseFile: string): WalSync {
  const walFile = `${databaseFile}-wal`;
  let fd: number | undefined;
  const inFlight = new Set<Promise<void>>();
  return {
    sync() {
      const synced = new Promise<void>((resolve, reject) => {
        try {
          fd ??= openSync(walFile, 'r');
        } catch (error) {
          reject(error);
          return;
        }
        fsync(fd, (error) => (error ? reject(error) : resolve()));
      });
      inFlight.add(synced);
      void synced.catch(() => undefined).finally(() => inFlight.delete(synced));
      return synced;
    },
    async close() {
      await Promise.allSettled([...inFlight]);
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
