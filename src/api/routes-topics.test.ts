/** The topics and subscriptions API in-process (fastify inject), with a real NotificationService on a memory store and mail transport. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { silentLogger } from '../core/index.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotificationService, NotificationSigner, createMemoryTransport, type MemoryTransport } from '../notify/index.js';
import { TokenStore } from '../registry/index.js';
import { createMemoryStateStore } from '../state/index.js';
import { installAuth } from './auth.js';
import type { ApiDeps } from './deps.js';
import { installErrorHandler } from './errors.js';
import { confirmationToken, topicRoutes } from './routes-topics.js';

const PUBLIC_URL = 'http://127.0.0.1:8080';

let app: FastifyInstance;
let mail: MemoryTransport;
let admin: string;
let reader: string;
let signingDir: string;

before(async () => {
  const state = createMemoryStateStore();
  mail = createMemoryTransport();
  // http/https subscriptions need the signer; their confirmation POSTs go to a closed loopback port and fail fast.
  signingDir = await mkdtemp(join(tmpdir(), 'sluice-topics-api-'));
  const signer = await NotificationSigner.open({ directory: signingDir, publicUrl: PUBLIC_URL });
  const notify = new NotificationService({
    state, transport: mail, publicUrl: PUBLIC_URL, from: 'Sluice <no-reply@sluice.local>', logger: silentLogger(), signer,
    // The mqtt protocol needs no confirmation: a subscription to it is confirmed at once.
    mqtt: { async publish() {} },
  });
  const tokens = new TokenStore(state);
  admin = (await tokens.create({ name: 'admin', scope: 'admin' })).token;
  reader = (await tokens.create({ name: 'reader', scope: 'read-only' })).token;
  app = Fastify();
  installErrorHandler(app);
  installAuth(app, { tokens, insecure: false });
  await app.register(topicRoutes, { notify } as unknown as ApiDeps);
  await app.ready();
});

after(async () => {
  await app?.close();
  await rm(signingDir, { recursive: true, force: true });
});

interface Answer<T> {
  status: number;
  body: T;
}

type ErrorBody = { error: { code: string; message: string; place?: { field?: string } } };
type Sub = { id: string; arn: string; topicName: string; endpoint: string; status: string };

async function call<T = Record<string, unknown>>(method: string, url: string, payload?: unknown, token = admin): Promise<Answer<T>> {
  const response = await app.inject({
    method: method as 'GET',
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: response.statusCode, body: (response.body ? response.json<T>() : undefined) as T };
}

async function lastConfirmLink(to: string): Promise<string> {
  const entry = (await mail.list()).filter((m) => m.to === to).at(-1);
  assert.ok(entry, `no mail to ${to}`);
  const link = /http:\/\/\S+\/notify\/confirm\/[A-Za-z0-9_-]+/.exec(entry.text)?.[0];
  assert.ok(link, entry.text);
  return link;
}

test('topics: create is idempotent (201, then 200), display name replaced, show with counts, delete 204 then 404', async () => {
  const created = await call<{ name: string; arn: string }>('POST', '/api/v1/topics', { name: 'alerts' });
  assert.equal(created.status, 201);
  assert.equal(created.body.name, 'alerts');
  const again = await call('POST', '/api/v1/topics', { name: 'alerts' });
  assert.equal(again.status, 200);
  const renamed = await call<{ displayName: string }>('POST', '/api/v1/topics', { name: 'alerts', displayName: 'Greenhouse alerts' });
  assert.equal(renamed.status, 200);
  assert.equal(renamed.body.displayName, 'Greenhouse alerts');
  const shown = await call<{ name: string; subscriptionsConfirmed: number; subscriptionsPending: number }>('GET', '/api/v1/topics/alerts', undefined, reader);
  assert.equal(shown.status, 200);
  assert.deepEqual([shown.body.subscriptionsConfirmed, shown.body.subscriptionsPending], [0, 0]);
  const byArn = await call<{ name: string }>('GET', `/api/v1/topics/${encodeURIComponent(created.body.arn)}`);
  assert.equal(byArn.body.name, 'alerts');

  assert.equal((await call('DELETE', '/api/v1/topics/alerts')).status, 204);
  const gone = await call<ErrorBody>('DELETE', '/api/v1/topics/alerts');
  assert.equal(gone.status, 404);
  assert.equal(gone.body.error.code, 'SLUICE_ERR_TOPIC_NOT_FOUND');
  assert.equal((await call<ErrorBody>('GET', '/api/v1/topics/alerts')).status, 404);
});

test('topics: bad bodies are 400s naming the field', async () => {
  const missing = await call<ErrorBody>('POST', '/api/v1/topics', {});
  assert.equal(missing.status, 400);
  assert.equal(missing.body.error.place?.field, 'name');
  const badName = await call<ErrorBody>('POST', '/api/v1/topics', { name: 'no spaces' });
  assert.equal(badName.status, 400);
  assert.match(badName.body.error.message, /^name: invalid topic name/);
  const unknown = await call<ErrorBody>('POST', '/api/v1/topics', { name: 'x', colour: 'red' });
  assert.equal(unknown.status, 400);
  assert.match(unknown.body.error.message, /colour/);
  const longDisplay = await call<ErrorBody>('POST', '/api/v1/topics', { name: 'x', displayName: 'a'.repeat(101) });
  assert.equal(longDisplay.status, 400);
  assert.equal(longDisplay.body.error.place?.field, 'displayName');
});

test('subscriptions: subscribe (201, repeat 200), list, show, confirm by link or token, resend, delete', async () => {
  await call('POST', '/api/v1/topics', { name: 'ops' });
  const sub = await call<Sub>('POST', '/api/v1/topics/ops/subscriptions', { protocol: 'email', endpoint: 'Ops@Example.ORG' });
  assert.equal(sub.status, 201, JSON.stringify(sub.body));
  assert.equal(sub.body.status, 'pending');
  assert.equal(sub.body.endpoint, 'Ops@example.org');
  const repeat = await call<Sub>('POST', '/api/v1/topics/ops/subscriptions', { protocol: 'email', endpoint: 'Ops@example.org' });
  assert.equal(repeat.status, 200);
  assert.equal(repeat.body.id, sub.body.id);

  const all = await call<{ subscriptions: Sub[] }>('GET', '/api/v1/subscriptions', undefined, reader);
  assert.deepEqual(all.body.subscriptions.map((s) => s.id), [sub.body.id]);
  const ofTopic = await call<{ subscriptions: Sub[] }>('GET', '/api/v1/subscriptions?topic=ops');
  assert.equal(ofTopic.body.subscriptions.length, 1);
  const ofUnknown = await call<ErrorBody>('GET', '/api/v1/subscriptions?topic=nope');
  assert.equal(ofUnknown.status, 404);
  assert.equal(ofUnknown.body.error.code, 'SLUICE_ERR_TOPIC_NOT_FOUND');
  assert.equal((await call<Sub>('GET', `/api/v1/subscriptions/${sub.body.id}`)).body.status, 'pending');
  assert.equal((await call<Sub>('GET', `/api/v1/subscriptions/${encodeURIComponent(sub.body.arn)}`)).body.id, sub.body.id);

  const resent = await call<Sub>('POST', `/api/v1/subscriptions/${sub.body.id}/resend-confirmation`);
  assert.equal(resent.status, 200);
  assert.equal((await mail.list()).filter((m) => m.to === 'Ops@example.org').length, 2);

  const link = await lastConfirmLink('Ops@example.org');
  const confirmed = await call<Sub>('POST', '/api/v1/subscriptions/confirm', { token: link });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
  assert.equal(confirmed.body.status, 'confirmed');
  // The bare token works as well (and a second use returns the same, as links opened twice do).
  const token = link.split('/').at(-1) ?? '';
  assert.equal((await call<Sub>('POST', '/api/v1/subscriptions/confirm', { token })).body.status, 'confirmed');
  const alreadyConfirmed = await call<ErrorBody>('POST', `/api/v1/subscriptions/${sub.body.id}/resend-confirmation`);
  assert.equal(alreadyConfirmed.status, 400);
  assert.equal(alreadyConfirmed.body.error.code, 'SLUICE_ERR_SUBSCRIPTION_INVALID');

  assert.equal((await call('DELETE', `/api/v1/subscriptions/${sub.body.id}`)).status, 204);
  const gone = await call<ErrorBody>('DELETE', `/api/v1/subscriptions/${sub.body.id}`);
  assert.equal(gone.status, 404);
  assert.equal(gone.body.error.code, 'SLUICE_ERR_NOT_FOUND');
  assert.equal((await call('GET', `/api/v1/subscriptions/${sub.body.id}`)).status, 404);
});

test('subscriptions: errors name the field; unknown protocols are the service\'s to refuse; read-only tokens may not mutate', async () => {
  await call('POST', '/api/v1/topics', { name: 'errs' });
  const noEndpoint = await call<ErrorBody>('POST', '/api/v1/topics/errs/subscriptions', { protocol: 'email' });
  assert.equal(noEndpoint.status, 400);
  assert.equal(noEndpoint.body.error.place?.field, 'endpoint');
  const badScope = await call<ErrorBody>('POST', '/api/v1/topics/errs/subscriptions', { protocol: 'email', endpoint: 'a@b.example', filterPolicyScope: 'Body' });
  assert.equal(badScope.status, 400);
  assert.equal(badScope.body.error.place?.field, 'filterPolicyScope');
  const badProtocol = await call<ErrorBody>('POST', '/api/v1/topics/errs/subscriptions', { protocol: 'pigeon', endpoint: 'loft' });
  assert.equal(badProtocol.status, 400);
  assert.equal(badProtocol.body.error.place?.field, 'protocol');
  const unknownTopic = await call<ErrorBody>('POST', '/api/v1/topics/nope/subscriptions', { protocol: 'email', endpoint: 'a@b.example' });
  assert.equal(unknownTopic.status, 404);
  assert.equal(unknownTopic.body.error.code, 'SLUICE_ERR_TOPIC_NOT_FOUND');

  const badToken = await call<ErrorBody>('POST', '/api/v1/subscriptions/confirm', { token: 'not-a-real-token' });
  assert.equal(badToken.status, 404);
  assert.equal(badToken.body.error.code, 'SLUICE_ERR_TOKEN_INVALID');
  const noToken = await call<ErrorBody>('POST', '/api/v1/subscriptions/confirm', {});
  assert.equal(noToken.status, 400);
  assert.equal(noToken.body.error.place?.field, 'token');

  const forbidden = await call<ErrorBody>('POST', '/api/v1/topics', { name: 'ro' }, reader);
  assert.equal(forbidden.status, 403);
  assert.equal((await call<ErrorBody>('DELETE', '/api/v1/topics/errs', undefined, reader)).status, 403);
  assert.equal((await call<ErrorBody>('POST', '/api/v1/subscriptions/confirm', { token: 'x' }, reader)).status, 403);
});

test('subscriptions: filter policy (object or JSON text), its scope and raw delivery are passed to the service', async () => {
  await call('POST', '/api/v1/topics', { name: 'filtered' });
  type Filtered = Sub & { filterPolicy?: unknown; filterPolicyScope?: string; rawMessageDelivery?: boolean };
  const sub = await call<Filtered>('POST', '/api/v1/topics/filtered/subscriptions', {
    protocol: 'mqtt', endpoint: 'alerts/high', filterPolicy: '{"severity":["high"]}', filterPolicyScope: 'MessageAttributes',
  });
  assert.equal(sub.status, 201, JSON.stringify(sub.body));
  assert.equal(sub.body.status, 'confirmed');
  assert.deepEqual(sub.body.filterPolicy, { severity: ['high'] });
  // Raw delivery reaches the service, which allows it for http and https only.
  const raw = await call<ErrorBody>('POST', '/api/v1/topics/filtered/subscriptions', { protocol: 'mqtt', endpoint: 'alerts/raw', rawMessageDelivery: 'true' });
  assert.equal(raw.status, 400);
  assert.equal(raw.body.error.place?.field, 'rawMessageDelivery');
  const notBoolean = await call<ErrorBody>('POST', '/api/v1/topics/filtered/subscriptions', { protocol: 'mqtt', endpoint: 'alerts/raw', rawMessageDelivery: 'yes' });
  assert.equal(notBoolean.status, 400);
  assert.equal(notBoolean.body.error.place?.field, 'rawMessageDelivery');
  const asObject = await call<Filtered>('POST', '/api/v1/topics/filtered/subscriptions', {
    protocol: 'mqtt', endpoint: 'alerts/body', filterPolicy: { reading: { humidity: [{ numeric: ['<', 35] }] } }, filterPolicyScope: 'MessageBody',
  });
  assert.equal(asObject.status, 201, JSON.stringify(asObject.body));
  assert.equal(asObject.body.filterPolicyScope, 'MessageBody');
  const badPolicy = await call<ErrorBody>('POST', '/api/v1/topics/filtered/subscriptions', { protocol: 'mqtt', endpoint: 'alerts/x', filterPolicy: 42 });
  assert.equal(badPolicy.status, 400);
  assert.equal(badPolicy.body.error.place?.field, 'filterPolicy');
});

test('confirmationToken takes a bare token, the last segment of a link, or an SNS-style Token parameter', () => {
  assert.equal(confirmationToken('abc_DEF-123'), 'abc_DEF-123');
  assert.equal(confirmationToken(' http://127.0.0.1:8080/notify/confirm/abc_DEF-123 '), 'abc_DEF-123');
  assert.equal(confirmationToken('http://127.0.0.1:8080/notify/confirm/abc_DEF-123/'), 'abc_DEF-123');
  assert.equal(confirmationToken('http://host/notify/confirm/abc?utm=x#frag'), 'abc');
  assert.equal(confirmationToken('https://sns.local/?Action=ConfirmSubscription&TopicArn=arn:x&Token=t0k'), 't0k');
  assert.equal(confirmationToken('/notify/confirm/abc'), 'abc');
});

test('alert hygiene: dedupe on a topic and a subscription is taken, shown, cleared with null; bad ones are 400s naming the field', async () => {
  const dedupe = { key: '${regex:device name (\\S+)}', window: '15m', digest: true };
  const topic = await call<{ dedupe?: unknown }>('POST', '/api/v1/topics', { name: 'hygiene', dedupe });
  assert.equal(topic.status, 201, JSON.stringify(topic.body));
  assert.deepEqual(topic.body.dedupe, dedupe);
  assert.deepEqual((await call<{ dedupe?: unknown }>('GET', '/api/v1/topics/hygiene', undefined, reader)).body.dedupe, dedupe);
  const badTopic = await call<ErrorBody>('POST', '/api/v1/topics', { name: 'hygiene', dedupe: { key: '${subject}', window: '8d' } });
  assert.equal(badTopic.status, 400);
  assert.equal(badTopic.body.error.place?.field, 'dedupe.window');
  assert.equal((await call<{ dedupe?: unknown }>('POST', '/api/v1/topics', { name: 'hygiene', dedupe: null })).body.dedupe, undefined);

  const sub = await call<Sub & { dedupe?: unknown }>('POST', '/api/v1/topics/hygiene/subscriptions', { protocol: 'mqtt', endpoint: 'alerts/hygiene', dedupe: { key: '${json.device}', window: '1h' } });
  assert.equal(sub.status, 201, JSON.stringify(sub.body));
  assert.deepEqual(sub.body.dedupe, { key: '${json.device}', window: '1h' });
  const badSub = await call<ErrorBody>('POST', '/api/v1/topics/hygiene/subscriptions', { protocol: 'mqtt', endpoint: 'alerts/other', dedupe: { key: '${json.}', window: '1h' } });
  assert.equal(badSub.status, 400);
  assert.equal(badSub.body.error.code, 'SLUICE_ERR_SUBSCRIPTION_INVALID');
  assert.equal(badSub.body.error.place?.field, 'dedupe.key');
});

test('subscriptions: PATCH sets and clears attributes (SetSubscriptionAttributes); read-only tokens and empty bodies are refused', async () => {
  await call('POST', '/api/v1/topics', { name: 'patched' });
  type Patched = Sub & { filterPolicy?: unknown; dedupe?: unknown; hmacSecretSet?: boolean; rawMessageDelivery?: boolean; deliveryPolicy?: unknown };
  const sub = await call<Patched>('POST', '/api/v1/topics/patched/subscriptions', { protocol: 'http', endpoint: 'http://127.0.0.1:9/in', hmacSecret: 'a-secret-of-sixteen+' });
  assert.equal(sub.status, 201, JSON.stringify(sub.body));
  assert.equal(sub.body.hmacSecretSet, true);
  assert.ok(!JSON.stringify(sub.body).includes('a-secret-of-sixteen+'), 'the secret is never shown');
  const short = await call<ErrorBody>('POST', '/api/v1/topics/patched/subscriptions', { protocol: 'http', endpoint: 'http://127.0.0.1:9/other', hmacSecret: 'short' });
  assert.equal(short.status, 400);
  assert.equal(short.body.error.place?.field, 'hmacSecret');

  const path = `/api/v1/subscriptions/${sub.body.id}`;
  const set = await call<Patched>('PATCH', path, { filterPolicy: { severity: ['high'] }, rawMessageDelivery: 'true', dedupe: { key: '${subject}', window: '10m' } });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  assert.deepEqual(set.body.filterPolicy, { severity: ['high'] });
  assert.equal(set.body.rawMessageDelivery, true);
  assert.deepEqual(set.body.dedupe, { key: '${subject}', window: '10m' });
  assert.equal(set.body.hmacSecretSet, true, 'fields left out stay');

  const cleared = await call<Patched>('PATCH', path, { filterPolicy: null, dedupe: null, hmacSecret: null });
  assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
  assert.equal(cleared.body.filterPolicy, undefined);
  assert.equal(cleared.body.dedupe, undefined);
  assert.notEqual(cleared.body.hmacSecretSet, true);
  assert.equal(cleared.body.rawMessageDelivery, true);

  const empty = await call<ErrorBody>('PATCH', path, {});
  assert.equal(empty.status, 400);
  assert.match(empty.body.error.message, /nothing to change/);
  const unknown = await call<ErrorBody>('PATCH', path, { protocol: 'email' });
  assert.equal(unknown.status, 400);
  const badWindow = await call<ErrorBody>('PATCH', path, { dedupe: { key: '${subject}', window: 'soon' } });
  assert.equal(badWindow.status, 400);
  assert.equal(badWindow.body.error.place?.field, 'dedupe.window');
  assert.equal((await call('PATCH', path, { rawMessageDelivery: false }, reader)).status, 403);
  assert.equal((await call('PATCH', '/api/v1/subscriptions/no-such-id', { rawMessageDelivery: false })).status, 404);
});

test('subscriptions: confirm with authenticateOnUnsubscribe makes the unsubscribe link refuse', async () => {
  await call('POST', '/api/v1/topics', { name: 'guarded' });
  const sub = await call<Sub & { authenticateOnUnsubscribe?: boolean }>('POST', '/api/v1/topics/guarded/subscriptions', { protocol: 'email', endpoint: 'guard@example.org' });
  assert.equal(sub.body.status, 'pending');
  const confirmed = await call<Sub & { authenticateOnUnsubscribe?: boolean }>('POST', '/api/v1/subscriptions/confirm', {
    token: await lastConfirmLink('guard@example.org'),
    authenticateOnUnsubscribe: 'true',
  });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
  assert.equal(confirmed.body.status, 'confirmed');
  assert.equal(confirmed.body.authenticateOnUnsubscribe, true);
  const bad = await call<ErrorBody>('POST', '/api/v1/subscriptions/confirm', { token: 'x', authenticateOnUnsubscribe: 'maybe' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.place?.field, 'authenticateOnUnsubscribe');
});
