import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { TokenStore } from '../registry/index.js';
import { createMemoryStateStore } from '../state/index.js';
import { FailureLimiter, installAuth, type AuthOptions } from './auth.js';
import type { ApiDeps } from './deps.js';
import { installErrorHandler } from './errors.js';
import { tokenRoutes } from './routes-tokens.js';

interface Setup {
  app: FastifyInstance;
  tokens: TokenStore;
  admin: string;
  clock: { t: number; now(): number };
}

async function setup(options: Partial<AuthOptions> = {}): Promise<Setup> {
  const clock = { t: Date.parse('2025-01-01T00:00:00Z'), now: () => clock.t };
  const tokens = new TokenStore(createMemoryStateStore(), { clock });
  const { token: admin } = await tokens.create({ name: 'initial-admin', scope: 'admin' });
  const app = Fastify();
  installErrorHandler(app);
  installAuth(app, { tokens, insecure: false, clock, ...options });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/notify/confirm/:token', async () => 'confirmed');
  app.get('/api/v1/things', async (request) => ({ things: [], caller: request.apiToken?.name ?? null }));
  app.post('/api/v1/things/:name', async () => ({ ok: true }));
  await app.register(tokenRoutes, { tokens } as unknown as ApiDeps);
  await app.ready();
  return { app, tokens, admin, clock };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function errorOf(response: { json(): unknown }): Promise<{ code: string; message: string }> {
  return (response.json() as { error: { code: string; message: string } }).error;
}

test('the API needs a valid bearer token; other routes stay open', async () => {
  const { app, admin } = await setup();
  const anonymous = await app.inject({ url: '/api/v1/things' });
  assert.equal(anonymous.statusCode, 401);
  assert.equal((await errorOf(anonymous)).code, 'SLUICE_ERR_UNAUTHORIZED');
  assert.match((await errorOf(anonymous)).message, /Authorization: Bearer/);

  const wrong = await app.inject({ url: '/api/v1/things', headers: bearer('slc_nope') });
  assert.equal(wrong.statusCode, 401);
  assert.match((await errorOf(wrong)).message, /unknown, revoked or expired.*admin token/);
  const notBearer = await app.inject({ url: '/api/v1/things', headers: { authorization: `Basic ${admin}` } });
  assert.equal(notBearer.statusCode, 401);

  const ok = await app.inject({ url: '/api/v1/things', headers: bearer(admin) });
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.json<{ caller: string }>().caller, 'initial-admin');
  assert.equal((await app.inject({ method: 'POST', url: '/api/v1/things/t1', headers: bearer(admin) })).statusCode, 200);

  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  assert.equal((await app.inject({ url: '/notify/confirm/abc' })).statusCode, 200);
  assert.equal((await app.inject({ url: '/api/v1/nothing-here' })).statusCode, 401, 'unknown API routes say 401 before 404');
});

test('no spelling of an API path skips authentication', async () => {
  const { app } = await setup();
  for (const url of ['/%61pi/v1/things', '/api/v1/thing%73', '/api/v1/things?x=1', '/api/v1/things/']) {
    const response = await app.inject({ url });
    assert.ok(response.statusCode === 401 || response.statusCode === 404, `${url}: ${response.statusCode}`);
    assert.notEqual(response.statusCode, 200, url);
  }
});

test('a read-only token may read but not change anything', async () => {
  const { app, tokens } = await setup();
  const { token } = await tokens.create({ name: 'dashboard', scope: 'read-only' });
  assert.equal((await app.inject({ url: '/api/v1/things', headers: bearer(token) })).statusCode, 200);
  assert.equal((await app.inject({ method: 'HEAD', url: '/api/v1/things', headers: bearer(token) })).statusCode, 200);
  const post = await app.inject({ method: 'POST', url: '/api/v1/things/t1', headers: bearer(token) });
  assert.equal(post.statusCode, 403);
  const error = await errorOf(post);
  assert.equal(error.code, 'SLUICE_ERR_FORBIDDEN');
  assert.match(error.message, /token 'dashboard' has scope read-only/);
  const del = await app.inject({ method: 'DELETE', url: '/api/v1/tokens/dashboard', headers: bearer(token) });
  assert.equal(del.statusCode, 403, 'a read-only token cannot revoke tokens, itself included');
});

test('device tokens are never valid for the API', async () => {
  const { app, tokens } = await setup();
  const { token } = await tokens.create({ name: 'sensor', scope: 'device', thingName: 'soilSensor1' });
  const response = await app.inject({ url: '/api/v1/things', headers: bearer(token) });
  assert.equal(response.statusCode, 401);
  assert.match((await errorOf(response)).message, /device token/);
});

test('revoked and expired tokens are refused', async () => {
  const { app, tokens, clock } = await setup();
  const reader = await tokens.create({ name: 'reader', scope: 'read-only' });
  const shortLived = await tokens.create({ name: 'short', scope: 'admin', expiresInDays: 1 });
  assert.equal((await app.inject({ url: '/api/v1/things', headers: bearer(reader.token) })).statusCode, 200);
  await tokens.revoke('reader');
  assert.equal((await app.inject({ url: '/api/v1/things', headers: bearer(reader.token) })).statusCode, 401);
  clock.t += 24 * 60 * 60 * 1000;
  assert.equal((await app.inject({ url: '/api/v1/things', headers: bearer(shortLived.token) })).statusCode, 401);
});

test('repeated failures from one address are answered 429 with Retry-After', async () => {
  const { app, admin, clock } = await setup();
  const from = (remoteAddress: string, token = 'slc_wrong') => app.inject({ url: '/api/v1/things', headers: bearer(token), remoteAddress });
  for (let i = 0; i < 10; i++) assert.equal((await from('203.0.113.7')).statusCode, 401, `attempt ${i + 1}`);
  clock.t += 20_000;
  const limited = await from('203.0.113.7');
  assert.equal(limited.statusCode, 429);
  assert.equal((await errorOf(limited)).code, 'SLUICE_ERR_RATE_LIMITED');
  assert.equal(limited.headers['retry-after'], '40');
  // Even the right token waits: otherwise guessing would go on, unthrottled, behind the 429s.
  assert.equal((await from('203.0.113.7', admin)).statusCode, 429);
  // Another address is not affected.
  assert.equal((await from('198.51.100.1', admin)).statusCode, 200);
  // Missing tokens count too.
  for (let i = 0; i < 10; i++) await app.inject({ url: '/api/v1/things', remoteAddress: '198.51.100.2' });
  assert.equal((await app.inject({ url: '/api/v1/things', remoteAddress: '198.51.100.2' })).statusCode, 429);
  // After the window, the address may try again.
  clock.t += 40_000;
  assert.equal((await from('203.0.113.7', admin)).statusCode, 200);
  // Routes outside /api/ are never limited.
  assert.equal((await app.inject({ url: '/healthz', remoteAddress: '203.0.113.7' })).statusCode, 200);
});

test('the failure limiter remembers a bounded number of addresses', () => {
  const clock = { now: () => 0 };
  const limiter = new FailureLimiter({ maxFailures: 3, windowMs: 60_000, maxEntries: 100, clock });
  for (let i = 0; i < 10_000; i++) limiter.recordFailure(`10.0.${Math.floor(i / 256)}.${i % 256}`);
  assert.equal(limiter.size, 100);
  // The attacker currently failing is remembered; the least recent are forgotten first.
  for (let i = 0; i < 3; i++) limiter.recordFailure('192.0.2.1');
  for (let i = 0; i < 99; i++) limiter.recordFailure(`172.16.0.${i}`);
  assert.equal(limiter.size, 100);
  assert.equal(limiter.retryAfterSeconds('192.0.2.1'), 60);
  assert.equal(limiter.retryAfterSeconds('10.0.0.0'), undefined);
});

test('with --insecure, loopback needs no token, other addresses still do', async () => {
  const { app } = await setup({ insecure: true });
  assert.equal((await app.inject({ url: '/api/v1/things', remoteAddress: '127.0.0.1' })).statusCode, 200);
  assert.equal((await app.inject({ method: 'POST', url: '/api/v1/things/t', remoteAddress: '::1' })).statusCode, 200);
  assert.equal((await app.inject({ url: '/api/v1/things', remoteAddress: '192.0.2.10' })).statusCode, 401);
});

test('with --insecure, a token loopback does send is still checked: a wrong one is refused, a read-only one cannot write', async () => {
  const { app, tokens } = await setup({ insecure: true });
  const wrong = await app.inject({ url: '/api/v1/things', remoteAddress: '127.0.0.1', headers: bearer('slc_not-a-token') });
  assert.equal(wrong.statusCode, 401);
  const readOnly = (await tokens.create({ name: 'viewer', scope: 'read-only' })).token;
  assert.equal((await app.inject({ url: '/api/v1/things', remoteAddress: '127.0.0.1', headers: bearer(readOnly) })).statusCode, 200);
  assert.equal((await app.inject({ method: 'POST', url: '/api/v1/things/t', remoteAddress: '127.0.0.1', headers: bearer(readOnly) })).statusCode, 403);
});

test('/api/v1/tokens: create, list, revoke; never the last admin token', async () => {
  const { app, admin, tokens, clock } = await setup();
  clock.t += 1000;
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/tokens',
    headers: bearer(admin),
    payload: { name: 'ci', scope: 'read-only', expiresInDays: 30 },
  });
  assert.equal(created.statusCode, 201);
  const body = created.json<{ token: string; tokenId: string; name: string; scope: string; expiresAt: string }>();
  assert.ok(body.token.startsWith('slc_'));
  assert.equal(body.scope, 'read-only');
  assert.ok(body.expiresAt);
  assert.equal((await app.inject({ url: '/api/v1/things', headers: bearer(body.token) })).statusCode, 200);

  const list = await app.inject({ url: '/api/v1/tokens', headers: bearer(body.token) });
  assert.equal(list.statusCode, 200);
  const listed = list.json<{ tokens: Array<Record<string, unknown>> }>().tokens;
  assert.deepEqual(listed.map((t) => t.name), ['initial-admin', 'ci']);
  for (const entry of listed) {
    assert.deepEqual(
      Object.keys(entry).filter((k) => !['tokenId', 'name', 'scope', 'createdAt', 'lastUsedAt', 'expiresAt', 'thingName', 'clientId'].includes(k)),
      [],
    );
  }
  assert.ok(!list.body.includes(body.token) && !list.body.includes(admin));

  const invalid = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(admin), payload: { name: 'x', scope: 'root' } });
  assert.equal(invalid.statusCode, 400);
  assert.equal((await errorOf(invalid)).code, 'SLUICE_ERR_REQUEST_INVALID');
  const extra = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(admin), payload: { name: 'x', scope: 'admin', hash: 'x' } });
  assert.equal(extra.statusCode, 400);
  const duplicate = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(admin), payload: { name: 'ci', scope: 'admin' } });
  assert.equal(duplicate.statusCode, 409);

  const revoked = await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${body.tokenId}`, headers: bearer(admin) });
  assert.equal(revoked.statusCode, 200);
  assert.equal(revoked.json<{ revoked: { name: string } }>().revoked.name, 'ci');
  assert.equal((await app.inject({ url: '/api/v1/things', headers: bearer(body.token) })).statusCode, 401);
  assert.equal((await app.inject({ method: 'DELETE', url: '/api/v1/tokens/ci', headers: bearer(admin) })).statusCode, 404);

  const last = await app.inject({ method: 'DELETE', url: '/api/v1/tokens/initial-admin', headers: bearer(admin) });
  assert.equal(last.statusCode, 409);
  assert.equal((await errorOf(last)).code, 'SLUICE_ERR_CONFLICT');
  assert.match((await errorOf(last)).message, /last admin token/);
  assert.ok(await tokens.verify(admin));
});
