import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { sha256Hex, writeFileAtomically } from '../core/index.js';

const HOST_ENTRY = fileURLToPath(new URL('./worker/host.ts', import.meta.url));

/**
 * Bundles the worker host into `<dir>/.host-<hash>.mjs` and returns its path.
 * A plain .mjs starts without tsx in the worker (see README for the timings).
 * The name carries the content hash, so a changed host never reuses a stale file
 * and several servers sharing a data dir write identical bytes.
 */
export async function writeHostFile(dir: string): Promise<string> {
  const result = await build({
    entryPoints: [HOST_ENTRY],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.text;
  if (code === undefined) throw new Error('esbuild produced no worker host');
  const file = path.join(dir, `.host-${sha256Hex(code).slice(0, 16)}.mjs`);
  await writeFileAtomic(file, code);
  return file;
}

/** Temp file + rename: a worker starting concurrently never imports half a file. */
export async function writeFileAtomic(file: string, contents: string): Promise<void> {
  await writeFileAtomically(file, contents, { createFolder: true });
}
