import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomToken } from '../core/index.js';

/** Everything the server keeps lives under the data dir; these are its well-known files. */
export const dataPaths = (dataDir: string) => ({
  state: join(dataDir, 'state.db'),
  /** The durable action queue: its own file, synced on every commit. */
  queue: join(dataDir, 'queue.db'),
  buckets: join(dataDir, 'buckets'),
  mailbox: join(dataDir, 'mailbox'),
  endpoints: join(dataDir, 'endpoints.json'),
  adminToken: join(dataDir, 'admin-token'),
});

/** The admin token is made on first start and kept, readable by its owner only. */
export async function loadOrCreateAdminToken(file: string): Promise<string> {
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const token = randomToken();
  await writeAtomically(file, `${token}\n`, 0o600);
  return token;
}

export async function writeAtomically(file: string, content: string, mode = 0o644): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, content, { mode });
  await chmod(temp, mode);
  await rename(temp, file);
}

export async function ensureDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
}
