// `npm start` runs this first (the "prestart" script): it builds the web
// console with `npm run build:console` when dist/console is missing or older
// than any file under src/console, and does nothing otherwise. Plain Node,
// no dependencies, so it runs before anything else is compiled.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'console');
const builtIndex = join(root, 'dist', 'console', 'index.html');

/** The newest modification time (ms) of any file under dir. */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.isFile()) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function staleReason() {
  if (!existsSync(builtIndex)) return 'dist/console is missing';
  if (statSync(builtIndex).mtimeMs < newestMtime(source)) return 'dist/console is older than src/console';
  return undefined;
}

if (!existsSync(source)) process.exit(0);
const reason = staleReason();
if (reason === undefined) process.exit(0);
console.log(`${reason}: building the console (npm run build:console)`);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const result = spawnSync(npm, ['run', 'build:console'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (result.error) {
  console.error(`could not run npm run build:console: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
