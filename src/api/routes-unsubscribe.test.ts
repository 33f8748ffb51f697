import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { SluiceError } from '../core/index.js';
import type { Subscription } from '../notify/index.js';
import { TokenStore } from '../registry/index.js';
import { createMemoryStateStore } from '../state/index.js';
import { installAuth } from './auth.js';
import type { ApiDeps } from './deps.js';
import { installErrorHandler } from './errors.js';
import { unsubscribeRoutes } from './routes-unsubscribe.js';

const SUB: Subscription = {
  id: 'sub-1',
  arn: 'arn:sluice:sns:local:000000000000:humidity-alerts:sub-1',
  topicName: 'humidity-alerts',
  protocol: 'email',
  endpoint: 'ops@example.org',
  status: 'confirmed',
  createdAt: '2020-08-27T13:47:52.677Z',
};

/** The route with auth on (not --insecure) and a notification service that knows one token, usable once. */
async function setup() {
  const live = new Set(['tok-1', 'tok-2', 'tok-3', 'tok-4', 'tok-5']);
  const notify = {
    async unsubscribe(token: string): Promise<Subscription> {
      if (token === 'protected') {
        throw new SluiceError('SLUICE_ERR_FORBIDDEN', 'this subscription was confirmed with AuthenticateOnUnsubscribe: unsubscribing needs the admin token', {
          details: { reason: 'authenticate-on-unsubscribe' },
        });
      }
      if (!live.delete(token)) throw new SluiceError('SLUICE_ERR_TOKEN_INVALID', 'this link is not valid (unknown, expired or already used)');
      return SUB;
    },
  };
  const app = Fastify();
  installErrorHandler(app);
  installAuth(app, { tokens: new TokenStore(createMemoryStateStore()), insecure: false });
  await app.register(unsubscribeRoutes, { notify } as unknown as ApiDeps);
  // A sibling route: the plugin's body handling must not leak out of its own context.
  app.post('/echo', async (request) => request.body);
  await app.ready();
  return { app, live };
}

test('one-click POST (RFC 8058, form-urlencoded) unsubscribes without an API token and answers plain text', async () => {
  const { app, live } = await setup();
  const response = await app.inject({
    method: 'POST',
    url: '/notify/unsubscribe/tok-1',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'List-Unsubscribe=One-Click',
  });
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers['content-type']), /^text\/plain/);
  assert.equal(response.body, 'Unsubscribed: ops@example.org will no longer receive notifications from the topic humidity-alerts.\n');
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.ok(!live.has('tok-1'));

  const again = await app.inject({ method: 'POST', url: '/notify/unsubscribe/tok-1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
  assert.equal(again.statusCode, 404);
  assert.match(again.body, /^This unsubscribe link is not valid: /);
});

test('one-click POST as multipart/form-data, with no body, or with another body type also works', async () => {
  const { app } = await setup();
  const boundary = '----sluice';
  const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;
  const responses = [
    await app.inject({ method: 'POST', url: '/notify/unsubscribe/tok-1', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: multipart }),
    await app.inject({ method: 'POST', url: '/notify/unsubscribe/tok-2' }),
    await app.inject({ method: 'POST', url: '/notify/unsubscribe/tok-3', headers: { 'content-type': 'application/json' }, payload: '{not json' }),
  ];
  assert.deepEqual(responses.map((r) => r.statusCode), [200, 200, 200]);
  // Outside the plugin, JSON bodies are parsed (and checked) as before.
  const echo = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":1}' });
  assert.deepEqual(echo.json(), { a: 1 });
  const badJson = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{not json' });
  assert.equal(badJson.statusCode, 400);
});

test('a browser posting the link gets the HTML page; a too large body is refused', async () => {
  const { app, live } = await setup();
  const page = await app.inject({ method: 'POST', url: '/notify/unsubscribe/tok-1', headers: { accept: 'text/html,application/xhtml+xml' } });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(page.body, /<h1>Subscription removed<\/h1>/);
  const unknown = await app.inject({ method: 'POST', url: '/notify/unsubscribe/nope', headers: { accept: 'text/html' } });
  assert.equal(unknown.statusCode, 404);
  assert.match(unknown.body, /This link is not valid/);

  const big = await app.inject({ method: 'POST', url: '/notify/unsubscribe/tok-2', headers: { 'content-type': 'text/plain' }, payload: 'x'.repeat(10_000) });
  assert.equal(big.statusCode, 413);
  assert.ok(live.has('tok-2'), 'nothing was unsubscribed');
});

test('a subscription confirmed with AuthenticateOnUnsubscribe is not unsubscribed by the one-click POST: 403 and why', async () => {
  const { app } = await setup();
  const text = await app.inject({ method: 'POST', url: '/notify/unsubscribe/protected', payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(text.statusCode, 403);
  assert.match(text.body, /AuthenticateOnUnsubscribe/);
  const page = await app.inject({ method: 'POST', url: '/notify/unsubscribe/protected', headers: { accept: 'text/html' } });
  assert.equal(page.statusCode, 403);
  assert.match(String(page.headers['content-type']), /text\/html/);
  await app.close();
});
