import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { silentLogger } from '../core/index.js';
import { FunctionRuntime, bundleFunction, type FunctionLogLine } from '../functions/index.js';
import { installErrorHandler } from './errors.js';
import { functionLogRoutes } from './routes-function-logs.js';

const ECHO = fileURLToPath(new URL('../functions/fixtures/echo.ts', import.meta.url));

async function harness(t: TestContext) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-api-logs-'));
  const runtime = new FunctionRuntime({
    dataDir,
    logger: silentLogger(),
    services: { publishNotification: async () => ({ messageId: 'm' }), publishMqtt: async () => {} },
  });
  const { code } = await bundleFunction(ECHO);
  await runtime.deploy({ name: 'echo', code, exportName: 'handler', timeoutMs: 10_000, memorySizeMb: 128, environment: {} });
  const app = Fastify();
  installErrorHandler(app);
  await app.register(functionLogRoutes, { functions: runtime });
  t.after(async () => {
    await runtime.close();
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { app, runtime };
}

test('GET logs answers the lines of one invocation, or the newest N, with time, request id, level and message', async (t) => {
  const { app, runtime } = await harness(t);
  await runtime.invoke('echo', { name: 'a' }, { requestId: 'req-a' });
  await runtime.invoke('echo', { name: 'b' }, { requestId: 'req-b' });
  const one = await app.inject({ url: '/api/v1/functions/echo/logs?requestId=req-a' });
  assert.equal(one.statusCode, 200);
  const body = one.json() as { function: string; lines: FunctionLogLine[] };
  assert.equal(body.function, 'echo');
  assert.deepEqual(body.lines.map((l) => [l.requestId, l.level]), [
    ['req-a', 'START'],
    ['req-a', 'INFO'],
    ['req-a', 'ERROR'],
    ['req-a', 'END'],
    ['req-a', 'REPORT'],
  ]);
  assert.deepEqual(Object.keys(body.lines[1] ?? {}).sort(), ['level', 'message', 'requestId', 'seq', 'timestamp']);
  assert.equal(body.lines[1]?.message, 'greeting a');

  const newest = (await app.inject({ url: '/api/v1/functions/echo/logs?limit=2&since=10m' })).json() as { lines: FunctionLogLine[] };
  assert.deepEqual(newest.lines.map((l) => [l.requestId, l.level]), [['req-b', 'END'], ['req-b', 'REPORT']]);
  const future = (await app.inject({ url: `/api/v1/functions/echo/logs?since=${new Date(Date.now() + 60_000).toISOString()}` })).json() as {
    lines: FunctionLogLine[];
  };
  assert.deepEqual(future.lines, []);
});

test('an unknown function is a 404; a bad query is a 400 naming the field', async (t) => {
  const { app } = await harness(t);
  const missing = await app.inject({ url: '/api/v1/functions/nope/logs' });
  assert.equal(missing.statusCode, 404);
  assert.equal((missing.json() as { error: { code: string } }).error.code, 'SLUICE_ERR_FUNCTION_NOT_FOUND');
  for (const query of ['since=yesterday', 'since=1000', 'limit=0', 'limit=10001', 'tail=5']) {
    const bad = await app.inject({ url: `/api/v1/functions/echo/logs?${query}` });
    assert.equal(bad.statusCode, 400, query);
    assert.equal((bad.json() as { error: { code: string } }).error.code, 'SLUICE_ERR_REQUEST_INVALID', query);
  }
});

test('follow=1 streams the backlog, then a new invocation line by line as NDJSON; the stream ends when the runtime closes', async (t) => {
  const { app, runtime } = await harness(t);
  await runtime.invoke('echo', { name: 'earlier' }, { requestId: 'earlier' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/functions/echo/logs?follow=1`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/x-ndjson/);
  assert.ok(response.body);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const lines: FunctionLogLine[] = [];
  let pending = '';
  /** Reads until `done(lines)`; false when the stream ended first. */
  const readUntil = async (done: (seen: FunctionLogLine[]) => boolean): Promise<boolean> => {
    while (!done(lines)) {
      const chunk = await reader.read();
      if (chunk.done) return false;
      pending += decoder.decode(chunk.value, { stream: true });
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const part of parts) if (part.trim()) lines.push(JSON.parse(part) as FunctionLogLine);
    }
    return true;
  };
  assert.ok(await readUntil((seen) => seen.some((l) => l.requestId === 'earlier' && l.level === 'REPORT')), 'the backlog comes first');

  const invoked = runtime.invoke('echo', { name: 'live' }, { requestId: 'live' });
  assert.ok(await readUntil((seen) => seen.some((l) => l.requestId === 'live' && l.level === 'REPORT')));
  await invoked;
  assert.deepEqual(lines.filter((l) => l.requestId === 'live').map((l) => l.level), ['START', 'INFO', 'ERROR', 'END', 'REPORT']);
  assert.deepEqual(lines.map((l) => l.seq), Array.from({ length: 10 }, (_, i) => i + 1), 'no line lost or repeated between backlog and live');

  assert.equal(runtime.logs.followers('echo'), 1);
  await runtime.close();
  assert.equal(await readUntil(() => false), false, 'the server ends the stream when it stops');
  assert.equal(runtime.logs.followers('echo'), 0);
});

test('a follower that disconnects stops being one', async (t) => {
  const { app, runtime } = await harness(t);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const controller = new AbortController();
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/functions/echo/logs?follow=1&requestId=only-this`, { signal: controller.signal });
  assert.equal(response.status, 200);
  assert.equal(runtime.logs.followers('echo'), 1);
  controller.abort();
  const deadline = Date.now() + 5_000;
  while (runtime.logs.followers('echo') > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(runtime.logs.followers('echo'), 0);
  await runtime.invoke('echo', { name: 'nobody listens' }); // writing to nobody must not throw
});
