import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomToken } from './ids.js';

/**
 * Writes through a temporary file in the same folder and a rename, so a
 * reader (a worker importing a bundle, a device reading its key, a restart
 * reading state) sees the old content or the new, never half of it. With
 * `mode`, the file has exactly that mode, whatever the umask.
 */
export async function writeFileAtomically(file: string, content: string | Uint8Array, options: { mode?: number; createFolder?: boolean } = {}): Promise<void> {
  if (options.createFolder) await mkdir(dirname(file), { recursive: true });
  // A random suffix, not only the pid: two writes of one file in one process must not share a temp file.
  const temp = `${file}.${process.pid}.${randomToken(6)}.tmp`;
  await writeFile(temp, content, options.mode !== undefined ? { mode: options.mode } : {});
  if (options.mode !== undefined) await chmod(temp, options.mode);
  await rename(temp, file);
}

/** The file's text, or undefined when it does not exist (other errors are thrown). */
export async function readFileIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
