import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TokenStore } from '../registry/index.js';
import { writeFileAtomically } from '../core/index.js';

/** Everything the server keeps lives under the data dir; these are its well-known files. */
export const dataPaths = (dataDir: string) => ({
  state: join(dataDir, 'state.db'),
  /** The durable action queue: its own file, synced on every commit. */
  queue: join(dataDir, 'queue.db'),
  /** Readings of `timeseries` actions (series, device, time): its own file, synced on every commit. */
  readings: join(dataDir, 'readings.db'),
  buckets: join(dataDir, 'buckets'),
  mailbox: join(dataDir, 'mailbox'),
  endpoints: join(dataDir, 'endpoints.json'),
  adminToken: join(dataDir, 'admin-token'),
  /** The built-in CA: its certificate and (mode 0600) private key. */
  ca: join(dataDir, 'ca'),
});

export interface AdminTokenSetup {
  /** The plaintext admin token of `<data>/admin-token`, valid in the token store. */
  token: string;
  /** Set when this start made the token (so it is printed once): its name and why it was made. */
  created?: { name: string; reason: string };
  /** Set when a plaintext token from before hashed tokens was imported. */
  imported?: boolean;
}

/**
 * `<data>/admin-token` (mode 0600) holds an admin token for the CLI on this
 * machine. The token store keeps only hashes, so:
 * - first start (no tokens stored, no file): make `initial-admin` and write the file;
 * - a data dir from before hashed tokens (a plaintext file, no tokens stored):
 *   import the file's token (store its hash) so existing setups keep working;
 * - the file missing, or its token revoked or expired: make a new admin token
 *   and write it, so the operator on this machine is never locked out (and
 *   losing every admin token is repaired by a restart).
 */
export async function ensureAdminToken(file: string, tokens: TokenStore): Promise<AdminTokenSetup> {
  let fromFile: string | undefined;
  try {
    fromFile = (await readFile(file, 'utf8')).trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const existing = await tokens.list();
  if (fromFile && existing.length === 0) {
    await tokens.importToken(fromFile, { name: 'initial-admin', scope: 'admin' });
    return { token: fromFile, imported: true };
  }
  if (fromFile && (await tokens.verify(fromFile, { touch: false }))?.scope === 'admin') return { token: fromFile };

  const reason =
    existing.length === 0 ? 'first start' : fromFile ? `the token in ${file} was revoked or expired` : `${file} was missing`;
  const names = new Set(existing.map((t) => t.name));
  let name = 'initial-admin';
  for (let n = 2; names.has(name); n++) name = `initial-admin-${n}`;
  const { token } = await tokens.create({ name, scope: 'admin' });
  await writeAtomically(file, `${token}\n`, 0o600);
  return { token, created: { name, reason } };
}

export async function writeAtomically(file: string, content: string, mode = 0o644): Promise<void> {
  await writeFileAtomically(file, content, { mode });
}

export async function ensureDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
}
