/**
 * `scripts/ensure-console-build.js` (npm's prestart) on a copy in a temp
 * project whose `build:console` script writes a marker build, so the real
 * script decides and runs a real `npm run build:console`, without Vite.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { REPO_ROOT } from './support/sluice-process.js';

const BUILD = "node -e \"require('fs').mkdirSync('dist/console',{recursive:true});require('fs').appendFileSync('dist/console/index.html','built\\n')\"";

async function project(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-ensure-build-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'scripts'));
  await copyFile(join(REPO_ROOT, 'scripts', 'ensure-console-build.js'), join(dir, 'scripts', 'ensure-console-build.js'));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'p', private: true, type: 'module', scripts: { 'build:console': BUILD } }));
  await mkdir(join(dir, 'src', 'console', 'app'), { recursive: true });
  await writeFile(join(dir, 'src', 'console', 'app', 'main.tsx'), 'export {};');
  const run = () => spawnSync(process.execPath, [join(dir, 'scripts', 'ensure-console-build.js')], { cwd: tmpdir(), encoding: 'utf8' });
  const builds = async () => (await readFile(join(dir, 'dist', 'console', 'index.html'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
  return { dir, run, builds };
}

test('builds when dist/console is missing, not when it is fresh, again when a console source is newer', async (t) => {
  const { dir, run, builds } = await project(t);
  const first = run();
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /dist\/console is missing/);
  assert.equal(await builds(), 1);

  const second = run();
  assert.equal(second.status, 0, second.stderr);
  assert.equal(await builds(), 1, 'a fresh build is left alone');

  const later = new Date(Date.now() + 60_000);
  await utimes(join(dir, 'src', 'console', 'app', 'main.tsx'), later, later);
  const third = run();
  assert.equal(third.status, 0, third.stderr);
  assert.match(third.stdout, /older than src\/console/);
  assert.equal(await builds(), 2);
});

test('a failing build fails npm start with its exit code', async (t) => {
  const { dir, run } = await project(t);
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'p', private: true, scripts: { 'build:console': 'node -e "process.exit(3)"' } }));
  const result = run();
  assert.notEqual(result.status, 0);
});
