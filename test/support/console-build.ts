/**
 * The console's build for end-to-end tests: `npm ci` builds it (npm `prepare`),
 * but a test run after editing src/console must not test yesterday's bundle, so
 * a missing or stale build is rebuilt with `npm run build:console` first.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './sluice-process.js';

export const CONSOLE_SOURCE = join(REPO_ROOT, 'src', 'console');
export const CONSOLE_BUILD = join(REPO_ROOT, 'dist', 'console');
/** Two console test files may run at once (npm test runs two files in parallel); one builds, the other waits. */
const LOCK = join(REPO_ROOT, 'dist', '.console-build.lock');
const BUILD_TIMEOUT_MS = 300_000;

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestMtime(path));
    else if (entry.isFile()) newest = Math.max(newest, (await stat(path)).mtimeMs);
  }
  return newest;
}

async function buildIsFresh(): Promise<boolean> {
  const built = await stat(join(CONSOLE_BUILD, 'index.html')).catch(() => undefined);
  if (!built) return false;
  return built.mtimeMs >= (await newestMtime(CONSOLE_SOURCE));
}

async function runBuild(): Promise<void> {
  const child = spawn('npm', ['run', 'build:console'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`npm run build:console failed (exit ${code}); the console cannot be tested without its build:\n${output}`);
}

/** Makes sure dist/console holds a build of the current src/console; builds it if missing or older than a source file. */
export async function ensureConsoleBuilt(): Promise<void> {
  if (await buildIsFresh()) return;
  await mkdir(join(REPO_ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      await mkdir(LOCK);
      break;
    } catch {
      // Another test file is building; its build will do for us too.
      if (Date.now() > deadline) throw new Error(`${LOCK} held for over ${BUILD_TIMEOUT_MS} ms; remove it if no build is running`);
      await new Promise((r) => setTimeout(r, 500));
      if (await buildIsFresh()) return;
    }
  }
  try {
    if (!(await buildIsFresh())) await runBuild();
  } finally {
    await rmdir(LOCK).catch(() => undefined);
  }
  const built = await stat(join(CONSOLE_BUILD, 'index.html')).catch(() => undefined);
  if (!built) throw new Error(`npm run build:console ran but ${join(CONSOLE_BUILD, 'index.html')} is missing`);
}
