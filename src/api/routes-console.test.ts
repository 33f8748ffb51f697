/** Serving the console in-process (fastify inject) from a temp build dir, and the page shown without a build. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import Fastify from 'fastify';
import { installErrorHandler } from './errors.js';
import { DEFAULT_CONSOLE_DIR, consoleRoutes } from './routes-console.js';
import { systemRoutes } from './routes-system.js';
import type { ApiDeps } from './deps.js';

const ENDPOINTS = { http: 'http://127.0.0.1:8080', ws: 'ws://127.0.0.1:8080/mqtt', mqtts: 'mqtts://127.0.0.1:8883' };
const INDEX = '<!doctype html><html><body><div id="app"></div><script type="module" src="/assets/index-abc123.js"></script></body></html>';

async function harness(t: TestContext, build: boolean) {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-console-'));
  if (build) {
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), INDEX);
    await writeFile(join(dir, 'assets', 'index-abc123.js'), 'console.log("console")');
    await writeFile(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(join(dir, '.secret'), 'dot files are never served');
  }
  // A file beside the build dir, which no request may reach.
  await writeFile(join(dir, '..', `${basename(dir)}-outside.txt`), 'outside');
  const app = Fastify();
  installErrorHandler(app);
  const deps = {
    consoleDir: dir,
    status: async () => ({ connectedClients: 0, actionsPending: 0, endpoints: ENDPOINTS }),
    metrics: { registry: { contentType: 'text/plain', metrics: async () => '' } },
  } as unknown as ApiDeps;
  await app.register(systemRoutes, deps);
  await app.register(consoleRoutes, deps);
  await app.ready();
  t.after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
    await rm(join(dir, '..', `${basename(dir)}-outside.txt`), { force: true });
  });
  return { app, outside: `${basename(dir)}-outside.txt` };
}

test('the default build dir is dist/console at the repository root, whatever the working directory', () => {
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  assert.equal(DEFAULT_CONSOLE_DIR, join(repoRoot, 'dist', 'console', '/'));
});

test('/ is index.html (no-cache); hashed assets are cached for a year; other files are revalidated', async (t) => {
  const { app } = await harness(t, true);
  const root = await app.inject({ url: '/' });
  assert.equal(root.statusCode, 200);
  assert.match(String(root.headers['content-type']), /^text\/html/);
  assert.equal(root.headers['cache-control'], 'no-cache');
  assert.equal(root.body, INDEX);

  const asset = await app.inject({ url: '/assets/index-abc123.js' });
  assert.equal(asset.statusCode, 200);
  assert.match(String(asset.headers['content-type']), /javascript/);
  assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(asset.body, 'console.log("console")');

  const icon = await app.inject({ url: '/favicon.svg' });
  assert.equal(icon.statusCode, 200);
  assert.equal(icon.headers['cache-control'], 'no-cache');

  const head = await app.inject({ method: 'HEAD', url: '/' });
  assert.equal(head.statusCode, 200);
});

test('unknown GET paths get index.html (the console routes in the browser); API, notify, mqtt, healthz and metrics paths do not', async (t) => {
  const { app } = await harness(t, true);
  for (const url of ['/devices', '/rules/SoilHumidityTestRule', '/traces/abc?x=1']) {
    const response = await app.inject({ url });
    assert.equal(response.statusCode, 200, url);
    assert.equal(response.body, INDEX, url);
    assert.equal(response.headers['cache-control'], 'no-cache', url);
  }
  // A missing hashed asset is a 404 too: HTML in place of a script would only confuse the browser.
  for (const url of ['/api/v1/nope', '/api', '/notify/nope', '/mqtt', '/healthz/x', '/metrics/x', '/%61pi/v1/nope', '/assets/missing-123.js']) {
    const response = await app.inject({ url });
    assert.equal(response.statusCode, 404, url);
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'SLUICE_ERR_NOT_FOUND', url);
  }
  assert.equal((await app.inject({ url: '/healthz' })).json<{ status: string }>().status, 'ok');
  assert.equal((await app.inject({ method: 'POST', url: '/devices' })).statusCode, 404);
});

test('nothing outside the build dir and no dot file is served', async (t) => {
  const { app, outside } = await harness(t, true);
  for (const url of [`/../${outside}`, `/%2e%2e/${outside}`, `/assets/..%2f..%2f${outside}`, `/%2e%2e%2f${outside}`, '/.secret']) {
    const response = await app.inject({ url });
    assert.notEqual(response.body, 'outside', url);
    assert.notEqual(response.body, 'dot files are never served', url);
  }
});

test('without a build, / says the console is not built, names npm run build:console and lists the endpoints', async (t) => {
  const { app } = await harness(t, false);
  const root = await app.inject({ url: '/' });
  assert.equal(root.statusCode, 200);
  assert.match(String(root.headers['content-type']), /^text\/html/);
  assert.match(root.body, /not built/);
  assert.match(root.body, /npm run build:console/);
  for (const url of Object.values(ENDPOINTS)) assert.ok(root.body.includes(url), url);
  assert.equal((await app.inject({ url: '/api/v1/nope' })).statusCode, 404);
});
