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
  /**
   * After a group commit: syncs, then resolves every call of the batch (and
   * runs `onSynced`), or rejects them all when the sync fails, since what is
   * not known to be on disk must not be acknowledged.
   */
  settle(calls: ReadonlyArray<{ resolve(): void; reject(error: unknown): void }>, onSynced?: () => void): void;
  /** Waits for syncs in flight and closes the descriptor. Call it after the database's last commit, before closing it. */
  close(): Promise<void>;
}

/** An in-memory database (`:memory:`) has no file to sync: its syncs resolve at once. */
export function walSync(databaseFile: string): WalSync {
  const walFile = `${databaseFile}-wal`;
  const inMemory = databaseFile === ':memory:';
  let fd: number | undefined;
  const inFlight = new Set<Promise<void>>();
  return {
    settle(calls, onSynced) {
      this.sync().then(
        () => {
          for (const call of calls) call.resolve();
          onSynced?.();
        },
        (error: unknown) => {
          for (const call of calls) call.reject(error);
        },
      );
    },
    sync() {
      if (inMemory) return Promise.resolve();
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
