/**
 * The protocols besides email, through the service, against real endpoints:
 * node:http servers on port 0 as http subscribers, and an https "Sluice"
 * (on localhost, with the signing certificate as its TLS certificate) that
 * serves the confirm links and the signing certificate, so sns-validator can
 * fetch it as it would from SNS.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createVerify } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import MessageValidator from 'sns-validator';
import { isSluiceError, silentLogger, type ErrorCode } from '../core/index.js';
import { createMemoryStateStore } from '../state/index.js';
import type { NotificationOutbox, QueuedDelivery } from './outbox.js';
import type { NotificationFunctionInvoker, SnsLambdaEvent } from './protocols/function.js';
import { NotificationService, type NotificationServiceOptions } from './service.js';
import { NotificationSigner, SIGNING_KEY_FILE } from './signing.js';
import { createMemoryTransport } from './transport/memory.js';
import type { Protocol } from './types.js';

const HMAC_SECRET = 'a-shared-secret-of-32-characters';

function isCode(code: ErrorCode, field?: string | RegExp) {
  return (error: unknown) => {
    if (!isSluiceError(error) || error.code !== code) return false;
    if (field === undefined) return true;
    const actual = error.place?.field ?? '';
    return typeof field === 'string' ? actual === field : field.test(actual);
  };
}

/**
 * An independent verifier, written from AWS's "Verifying the signatures of
 * Amazon SNS messages" (not signing.ts).
 */
function docsVerify(message: Record<string, unknown>, certificatePem: string): boolean {
  const m = message as Record<string, string>;
  const keys = m.Type === 'Notification'
    ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
    : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const text = keys.filter((key) => m[key] !== undefined && m[key] !== null).map((key) => `${key}\n${m[key]}\n`).join('');
  const algorithm = m.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256';
  return createVerify(algorithm).update(text, 'utf8').verify(certificatePem, m.Signature ?? '', 'base64');
}

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json?: Record<string, unknown>;
}

/**
 * "Sluice": an https server on localhost serving what the API serves under
 * /notify/ (confirm links and the signing certificate), and the service.
 */
async function sluice(t: TestContext, options: Partial<NotificationServiceOptions> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-protocols-'));
  const clock = { t: Date.parse('2024-05-02T00:54:06.655Z'), now() { return this.t; } };
  let service: NotificationService | undefined;
  let signer: NotificationSigner | undefined;
  const server = https.createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'https://localhost');
    if (url.pathname === '/notify/signing-cert.pem') {
      response.end(signer?.certificatePem);
      return;
    }
    const confirm = /^\/notify\/confirm\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
    if (confirm?.[1] && service) {
      try {
        const authenticateOnUnsubscribe = url.searchParams.get('authenticateOnUnsubscribe') === 'true';
        const sub = await service.confirm(confirm[1], authenticateOnUnsubscribe ? { authenticateOnUnsubscribe } : {});
        response.end(`confirmed ${sub.arn}`);
      } catch (error) {
        response.writeHead(404).end(String(error));
      }
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const publicUrl = `https://localhost:${(server.address() as AddressInfo).port}`;
  signer = await NotificationSigner.open({ directory: dir, publicUrl });
  server.setSecureContext({ key: await readFile(join(dir, SIGNING_KEY_FILE), 'utf8'), cert: signer.certificatePem });
  // sns-validator and the endpoints' GETs of SubscribeURL go through the global agent: trust "Sluice".
  const previousCa = https.globalAgent.options.ca;
  https.globalAgent.options.ca = signer.certificatePem;
  const mail = createMemoryTransport({ clock });
  service = new NotificationService({
    state: createMemoryStateStore(), transport: mail, publicUrl, from: 'Sluice <no-reply@sluice.local>', logger: silentLogger(), clock, signer,
    http: { timeoutMs: 2_000 },
    ...options,
  });
  t.after(async () => {
    await service?.idle();
    https.globalAgent.options.ca = previousCa;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });
  await service.createTopic('alerts', { displayName: 'Soil alerts' });
  return { service, signer, publicUrl, mail, clock };
}

/**
 * A subscriber: records every request; answers with `statuses` in turn (then
 * 200). With `confirm`, it GETs the SubscribeURL of a SubscriptionConfirmation
 * before answering, as SNS's docs tell endpoints to.
 */
async function endpoint(t: TestContext, options: { statuses?: number[]; confirm?: boolean; confirmQuery?: string; hang?: boolean } = {}) {
  const received: Received[] = [];
  const behavior = { hang: options.hang === true };
  const statuses = [...(options.statuses ?? [])];
  const waiters: Array<() => void> = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body, ...(json ? { json } : {}) });
      for (const wake of waiters.splice(0)) wake();
      if (behavior.hang) return;
      if (options.confirm && json?.Type === 'SubscriptionConfirmation') {
        const answer = await fetchText(`${String(json.SubscribeURL)}${options.confirmQuery ?? ''}`);
        assert.equal(answer.status, 200, answer.text);
      }
      response.writeHead(statuses.shift() ?? 200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let closing: Promise<void> | undefined;
  const close = () => {
    server.closeAllConnections();
    return (closing ??= new Promise<void>((resolve) => server.close(() => resolve())));
  };
  t.after(close);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sns?source=sluice`;
  return {
    url,
    received,
    behavior,
    close,
    async next(count: number): Promise<void> {
      const deadline = Date.now() + 5_000;
      while (received.length < count) {
        if (Date.now() > deadline) assert.fail(`expected ${count} requests, got ${received.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
  };
}

function fetchText(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    https.get(url, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    }).on('error', reject);
  });
}

function validateWithSnsValidator(message: string | Record<string, unknown>): Promise<Record<string, unknown>> {
  // The host pattern is matched against host:port; the default trusts only sns.<region>.amazonaws.com.
  const validator = new MessageValidator(/^localhost:\d+$/);
  return new Promise((resolve, reject) => validator.validate(message, (error, result) => (error ? reject(error) : resolve(result ?? {}))));
}

function fakeOutbox(): { outbox: NotificationOutbox; queued: QueuedDelivery[] } {
  const queued: QueuedDelivery[] = [];
  return {
    queued,
    outbox: {
      async enqueue(deliveries) {
        queued.push(...structuredClone([...deliveries]));
      },
      async state() {
        return undefined;
      },
    },
  };
}

test('http: the SNS handshake: a SubscriptionConfirmation POST, the endpoint GETs SubscribeURL, the subscription is confirmed', async (t) => {
  const ctx = await sluice(t);
  const receiver = await endpoint(t, { confirm: true });
  const sub = await ctx.service.subscribe('alerts', { protocol: 'http', endpoint: receiver.url });

  assert.equal(sub.status, 'confirmed', 'confirmed while the POST was answered');
  assert.equal(receiver.received.length, 1);
  const [request] = receiver.received;
  assert.ok(request?.json);
  assert.equal(request.method, 'POST');
  assert.equal(request.url, '/sns?source=sluice');
  assert.equal(request.headers['x-amz-sns-message-type'], 'SubscriptionConfirmation');
  assert.equal(request.headers['x-amz-sns-topic-arn'], sub.arn.slice(0, sub.arn.lastIndexOf(':')));
  assert.equal(request.headers['x-amz-sns-subscription-arn'], undefined, 'SNS leaves it off the SubscriptionConfirmation');
  assert.equal(request.headers['content-type'], 'text/plain; charset=UTF-8');
  assert.equal(request.headers['x-sluice-signature'], undefined, 'no HMAC secret, no HMAC header');
  const message = request.json;
  assert.equal(message.Type, 'SubscriptionConfirmation');
  assert.equal(message.SubscribeURL, `${ctx.publicUrl}/notify/confirm/${String(message.Token)}`);
  assert.match(String(message.Message), /^You have chosen to subscribe to the topic arn:/);
  assert.equal(message.SignatureVersion, '2');
  assert.equal(message.SigningCertURL, `${ctx.publicUrl}/notify/signing-cert.pem`);
  assert.ok(docsVerify(message, ctx.signer.certificatePem));
  const validated = await validateWithSnsValidator(request.body);
  assert.equal(validated.Token, message.Token);

  // A second use of the link (a retried GET) keeps it confirmed; a repeat subscribe sends nothing.
  assert.equal((await fetchText(String(message.SubscribeURL))).status, 200);
  assert.equal((await ctx.service.subscribe('alerts', { protocol: 'http', endpoint: receiver.url })).id, sub.id);
  assert.equal(receiver.received.length, 1);
});

test('http: an endpoint that does not confirm stays pending; a failed confirmation POST is shown and resent on request', async (t) => {
  const ctx = await sluice(t);
  const silent = await endpoint(t);
  const pending = await ctx.service.subscribe('alerts', { protocol: 'http', endpoint: silent.url });
  assert.equal(pending.status, 'pending');
  assert.equal(pending.confirmationError, undefined);

  const failing = await endpoint(t, { statuses: [503] });
  const down = await ctx.service.subscribe('alerts', { protocol: 'http', endpoint: failing.url });
  assert.equal(down.status, 'pending', 'kept: the endpoint may be down for now');
  assert.match(down.confirmationError ?? '', /answered HTTP 503/);
  assert.equal((await ctx.service.resendConfirmation(down.id)).confirmationError, undefined, 'sent this time: the error is cleared');
  assert.equal(failing.received.length, 2);

  // An endpoint that confirms, then answers 503: it is confirmed all the same, and shows no error.
  const late = await endpoint(t, { statuses: [503], confirm: true });
  const first = await ctx.service.subscribe('alerts', { protocol: 'http', endpoint: late.url });
  assert.equal(first.status, 'confirmed');
  assert.equal(first.confirmationError, undefined);

  const refused = await ctx.service.subscribe('alerts', { protocol: 'http', endpoint: 'http://127.0.0.1:9/closed' });
  assert.equal(refused.status, 'pending');
  assert.match(refused.confirmationError ?? '', /^POST http:\/\/127\.0\.0\.1:9\/closed failed: connect ECONNREFUSED/);
  const again = await ctx.service.resendConfirmation(refused.id);
  assert.match(again.confirmationError ?? '', /ECONNREFUSED/);

  // Published messages reach confirmed subscriptions only.
  const result = await ctx.service.publish({ topic: 'alerts', message: 'hello' });
  assert.deepEqual(result.deliveries.map((d) => d.subscriptionId), [first.id]);
});

test('http: a notification is SNS\'s signed envelope with its headers and attributes; sns-validator and a verifier from the docs accept it; the HMAC header verifies', async (t) => {
  const ctx = await sluice(t);
  const receiver = await endpoint(t, { confirm: true });
  const sub = await ctx.service.subscribe('alerts', { protocol: 'http', endpoint: receiver.url, hmacSecret: HMAC_SECRET });
  assert.equal(sub.status, 'confirmed');
  assert.equal(sub.hmacSecretSet, true);
  assert.ok(!JSON.stringify(await ctx.service.listSubscriptions('alerts')).includes(HMAC_SECRET), 'the secret is never shown');

  const result = await ctx.service.publish({
    topic: 'alerts', subject: 'Humidity', message: 'Humidity 29 under threshold for soilSensor3 ✓',
    messageAttributes: {
      severity: { DataType: 'String', StringValue: 'high' },
      humidity: { DataType: 'Number', StringValue: '29' },
      sites: { DataType: 'String.Array', StringValue: '["north","south"]' },
      raw: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
    },
  });
  assert.deepEqual(result.deliveries.map((d) => d.status), ['sent']);
  assert.equal(result.filtered, 0);
  const [confirmation, notification] = receiver.received;
  assert.ok(confirmation && notification?.json);
  for (const request of [confirmation, notification]) {
    const expected = `sha256=${createHmac('sha256', HMAC_SECRET).update(Buffer.from(request.body, 'utf8')).digest('hex')}`;
    assert.equal(request.headers['x-sluice-signature'], expected, 'HMAC-SHA256 of the exact body');
  }
  assert.equal(notification.headers['x-amz-sns-message-type'], 'Notification');
  assert.equal(notification.headers['x-amz-sns-message-id'], result.messageId);
  assert.equal(notification.headers['x-amz-sns-subscription-arn'], sub.arn);
  assert.equal(notification.headers['user-agent'], 'Sluice Notification Agent (SNS-compatible)');
  const message = notification.json;
  assert.deepEqual(Object.keys(message), [
    'Type', 'MessageId', 'TopicArn', 'Subject', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL', 'UnsubscribeURL', 'MessageAttributes',
  ]);
  assert.equal(message.Message, 'Humidity 29 under threshold for soilSensor3 ✓');
  assert.equal(message.Subject, 'Humidity');
  assert.equal(message.Timestamp, '2024-05-02T00:54:06.655Z');
  assert.match(String(message.UnsubscribeURL), new RegExp(`^${ctx.publicUrl}/notify/unsubscribe/[A-Za-z0-9_-]{43}$`));
  assert.deepEqual(message.MessageAttributes, {
    severity: { Type: 'String', Value: 'high' },
    humidity: { Type: 'Number', Value: '29' },
    sites: { Type: 'String.Array', Value: '["north","south"]' },
    raw: { Type: 'Binary', Value: 'AQID' },
  });
  assert.ok(docsVerify(message, ctx.signer.certificatePem));
  assert.equal((await validateWithSnsValidator(notification.body)).MessageId, result.messageId);
  await assert.rejects(validateWithSnsValidator({ ...message, Message: 'tampered' }), /signature is invalid/);
  // The certificate the envelope names is the signer's, served where it says.
  assert.equal((await fetchText(String(message.SigningCertURL))).text, ctx.signer.certificatePem);
});

test('http: rawMessageDelivery posts the message as it is, as text/plain, HMAC over those bytes', async (t) => {
  const ctx = await sluice(t);
  const receiver = await endpoint(t, { confirm: true });
  const sub = await ctx.service.subscribe('alerts', { protocol: 'http', endpoint: receiver.url, rawMessageDelivery: true, hmacSecret: HMAC_SECRET });
  assert.equal(sub.rawMessageDelivery, true);
  const message = '{"moisture": 12,\n "unit": "%"} ✓';
  await ctx.service.publish({ topic: 'alerts', message, subject: 'ignored', messageAttributes: { a: { DataType: 'String', StringValue: 'b' } } });
  const raw = receiver.received[1];
  assert.ok(raw);
  assert.equal(raw.body, message);
  assert.equal(raw.headers['content-type'], 'text/plain; charset=UTF-8');
  assert.equal(raw.headers['x-amz-sns-rawdelivery'], 'true');
  assert.equal(raw.headers['x-amz-sns-message-type'], 'Notification');
  assert.equal(raw.headers['x-amz-sns-subscription-arn'], sub.arn);
  assert.equal(raw.headers['x-sluice-signature'], `sha256=${createHmac('sha256', HMAC_SECRET).update(message, 'utf8').digest('hex')}`);
});

test('http: outcomes per SNS: 2xx delivered; 5xx, 429, timeouts and refused connections retried; other 4xx and 3xx final', async (t) => {
  const ctx = await sluice(t, { http: { timeoutMs: 300 } });
  const { outbox, queued } = fakeOutbox();
  ctx.service.setOutbox(outbox);
  const receiver = await endpoint(t, { confirm: true, statuses: [200, 500, 503, 429, 404, 400, 301, 204] });
  const sub = await ctx.service.subscribe('alerts', { protocol: 'http', endpoint: receiver.url });
  const deliver = async () => {
    const result = await ctx.service.publish({ topic: 'alerts', message: `m${queued.length}` });
    const delivery = queued.at(-1);
    assert.ok(delivery && result.deliveries[0]?.status === 'queued');
    return ctx.service.deliverQueued({ topic: 'alerts', subscriptionId: sub.id, protocol: 'http' }, delivery.notification, delivery.id, 1);
  };
  const outcome = (expected: { retryable: boolean; error: RegExp }) => (actual: Awaited<ReturnType<typeof deliver>>) => {
    assert.equal(actual.status, 'failed');
    assert.ok(actual.status === 'failed');
    assert.equal(actual.retryable, expected.retryable, actual.error);
    assert.match(actual.error, expected.error);
  };
  outcome({ retryable: true, error: /answered HTTP 500/ })(await deliver());
  outcome({ retryable: true, error: /answered HTTP 503/ })(await deliver());
  outcome({ retryable: true, error: /answered HTTP 429/ })(await deliver());
  outcome({ retryable: false, error: /answered HTTP 404: ok \(not retried/ })(await deliver());
  outcome({ retryable: false, error: /answered HTTP 400/ })(await deliver());
  outcome({ retryable: false, error: /answered HTTP 301/ })(await deliver());
  assert.deepEqual(await deliver(), { status: 'delivered' }, '204 is a 2xx');
  assert.equal(queued[0]?.retry.maxAttempts, 4, 'SNS\'s default policy for HTTP/S: 3 retries');

  // A timeout (the endpoint stops answering) and a refused connection (it stopped), after they confirmed.
  const hanging = await endpoint(t, { confirm: true });
  const gone = await endpoint(t, { confirm: true });
  await ctx.service.unsubscribeById(sub.id);
  const slow = await ctx.service.subscribe('alerts', { protocol: 'http', endpoint: hanging.url });
  const closed = await ctx.service.subscribe('alerts', { protocol: 'http', endpoint: gone.url });
  assert.deepEqual([slow.status, closed.status], ['confirmed', 'confirmed']);
  hanging.behavior.hang = true;
  await gone.close();
  const result = await ctx.service.publish({ topic: 'alerts', message: 'to the dead ones' });
  const attempt = (subscriptionId: string) => {
    const delivery = queued.find((q) => q.id === `${result.messageId}:${subscriptionId}`);
    assert.ok(delivery);
    return ctx.service.deliverQueued({ topic: 'alerts', subscriptionId, protocol: 'http' }, delivery.notification, delivery.id, 1);
  };
  outcome({ retryable: true, error: /timed out after 300 ms/ })(await attempt(slow.id));
  // Refused, or reset when a kept-alive connection to it is reused: retried either way.
  outcome({ retryable: true, error: /ECONNREFUSED|ECONNRESET/ })(await attempt(closed.id));

  // A confirmation POST that times out leaves the subscription pending, with the reason.
  const silent = await endpoint(t, { hang: true });
  const pending = await ctx.service.subscribe('alerts', { protocol: 'http', endpoint: silent.url });
  assert.equal(pending.status, 'pending');
  assert.match(pending.confirmationError ?? '', /timed out after 300 ms/);
});

test('http/https: endpoints must be URLs of their own scheme, without credentials or fragments', async (t) => {
  const ctx = await sluice(t);
  const refused = async (protocol: Protocol, endpoint: string, pattern: RegExp) => {
    await assert.rejects(ctx.service.subscribe('alerts', { protocol, endpoint }), (error: unknown) => isCode('SLUICE_ERR_SUBSCRIPTION_INVALID', 'endpoint')(error) && pattern.test((error as Error).message));
  };
  await refused('https', 'http://example.com/hook', /a https subscription needs a https:\/\/ URL; for http:\/\/ URLs subscribe with protocol http/);
  await refused('http', 'https://example.com/hook', /a http subscription needs a http:\/\/ URL; for https:\/\/ URLs subscribe with protocol https/);
  await refused('http', 'http://user:secret@example.com/hook', /must not contain credentials/);
  await refused('https', 'https://token@example.com/hook', /must not contain credentials/);
  await refused('http', 'example.com/hook', /is not a URL/);
  await refused('http', 'ftp://example.com/hook', /expected a http:\/\/ URL, got ftp:/);
  await refused('http', 'http://example.com/hook#part', /#fragment/);
  await refused('https', `https://example.com/${'x'.repeat(2048)}`, /at most 2048/);
  // Normalized as WHATWG URL does it: one subscription per endpoint, however it is spelt.
  const sub = await ctx.service.subscribe('alerts', { protocol: 'https', endpoint: ' HTTPS://Example.COM:443/hook?a=1 ' });
  assert.equal(sub.endpoint, 'https://example.com/hook?a=1');
  assert.equal(sub.status, 'pending');
  assert.match(sub.confirmationError ?? '', /POST https:\/\/example\.com\/hook failed/, 'the query (which may hold a key) is left out of errors');
  assert.equal((await ctx.service.subscribe('alerts', { protocol: 'https', endpoint: 'https://example.com/hook?a=1' })).id, sub.id);
});

test('http: unsubscribing sends an UnsubscribeConfirmation whose SubscribeURL restores the subscription', async (t) => {
  const ctx = await sluice(t);
  const receiver = await endpoint(t, { confirm: true });
  const sub = await ctx.service.subscribe('alerts', { protocol: 'http', endpoint: receiver.url, hmacSecret: HMAC_SECRET, filterPolicy: { severity: ['high'] } });
  await ctx.service.publish({ topic: 'alerts', message: 'one', messageAttributes: { severity: { DataType: 'String', StringValue: 'high' } } });
  const unsubscribeUrl = String(receiver.received[1]?.json?.UnsubscribeURL);
  const token = unsubscribeUrl.slice(unsubscribeUrl.lastIndexOf('/') + 1);
  assert.equal((await ctx.service.unsubscribe(token)).id, sub.id);
  await ctx.service.idle();
  await receiver.next(3);
  const goodbye = receiver.received[2];
  assert.ok(goodbye?.json);
  assert.equal(goodbye.headers['x-amz-sns-message-type'], 'UnsubscribeConfirmation');
  assert.equal(goodbye.headers['x-amz-sns-subscription-arn'], sub.arn);
  assert.equal(goodbye.json.Type, 'UnsubscribeConfirmation');
  assert.match(String(goodbye.json.Message), new RegExp(`^You have chosen to deactivate subscription ${sub.arn}\\.`));
  assert.ok(docsVerify(goodbye.json, ctx.signer.certificatePem));
  assert.equal(goodbye.headers['x-sluice-signature'], `sha256=${createHmac('sha256', HMAC_SECRET).update(goodbye.body).digest('hex')}`);
  assert.deepEqual(await ctx.service.listSubscriptions('alerts'), []);

  // The SubscribeURL brings it back, confirmed, with its id and attributes; a second use changes nothing.
  assert.equal((await fetchText(String(goodbye.json.SubscribeURL))).status, 200);
  assert.equal((await fetchText(String(goodbye.json.SubscribeURL))).status, 200);
  const [restored] = await ctx.service.listSubscriptions('alerts');
  assert.ok(restored);
  assert.deepEqual(
    { id: restored.id, status: restored.status, hmacSecretSet: restored.hmacSecretSet, filterPolicy: restored.filterPolicy },
    { id: sub.id, status: 'confirmed', hmacSecretSet: true, filterPolicy: { severity: ['high'] } },
  );
  await ctx.service.publish({ topic: 'alerts', message: 'two', messageAttributes: { severity: { DataType: 'String', StringValue: 'high' } } });
  await receiver.next(4);
  assert.equal(receiver.received[3]?.json?.Message, 'two');
  assert.notEqual(receiver.received[3]?.json?.UnsubscribeURL, unsubscribeUrl, 'a new unsubscribe link');
  assert.equal(receiver.received.length, 4, 'no second confirmation handshake');

  // The old unsubscribe link stays used up; removing by id also says goodbye; the restore link expires after 3 days.
  await assert.rejects(ctx.service.unsubscribe(token), isCode('SLUICE_ERR_TOKEN_INVALID'));
  assert.equal(await ctx.service.unsubscribeById(sub.id), true);
  await ctx.service.idle();
  await receiver.next(5);
  const second = receiver.received[4]?.json;
  assert.equal(second?.Type, 'UnsubscribeConfirmation');
  ctx.clock.t += 3 * 24 * 3_600_000;
  const expired = String(second?.SubscribeURL);
  await assert.rejects(ctx.service.confirm(expired.slice(expired.lastIndexOf('/') + 1)), isCode('SLUICE_ERR_TOKEN_INVALID'));
  assert.deepEqual(await ctx.service.listSubscriptions('alerts'), []);
});

test('AuthenticateOnUnsubscribe: confirmed with it, the unsubscribe link refuses (SLUICE_ERR_FORBIDDEN); removing by id still works', async (t) => {
  const ctx = await sluice(t);
  const receiver = await endpoint(t, { confirm: true, confirmQuery: '?authenticateOnUnsubscribe=true' });
  const sub = await ctx.service.subscribe('alerts', { protocol: 'http', endpoint: receiver.url });
  assert.equal(sub.authenticateOnUnsubscribe, true);
  await ctx.service.publish({ topic: 'alerts', message: 'hello' });
  const link = String(receiver.received[1]?.json?.UnsubscribeURL);
  await assert.rejects(ctx.service.unsubscribe(link.slice(link.lastIndexOf('/') + 1)), (error: unknown) =>
    isCode('SLUICE_ERR_FORBIDDEN')(error) && /AuthenticateOnUnsubscribe/.test((error as Error).message) && (error as { details?: Record<string, unknown> }).details?.reason === 'authenticate-on-unsubscribe');
  assert.equal((await ctx.service.getSubscription(sub.id)).status, 'confirmed');
  assert.equal(await ctx.service.unsubscribeById(sub.arn), true);

  // Email too: a second use of the confirmation link can add it (never take it away).
  await ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'ops@example.com' });
  const confirmLink = /\/notify\/confirm\/([A-Za-z0-9_-]+)/.exec(ctx.mail.sent.at(-1)?.text ?? '')?.[1];
  assert.ok(confirmLink);
  assert.equal((await ctx.service.confirm(confirmLink)).authenticateOnUnsubscribe, undefined);
  assert.equal((await ctx.service.confirm(confirmLink, { authenticateOnUnsubscribe: true })).authenticateOnUnsubscribe, true);
  assert.equal((await ctx.service.confirm(confirmLink)).authenticateOnUnsubscribe, true);
});

test('function: invoked with SNS\'s Lambda event, signed; no confirmation; a failure is retried', async (t) => {
  const events: Array<{ name: string; event: SnsLambdaEvent }> = [];
  let fail = false;
  const invoker: NotificationFunctionInvoker = {
    async invoke(name, event) {
      events.push({ name, event });
      if (fail) throw new Error('function alert-handler failed: Error: boom');
    },
  };
  const ctx = await sluice(t, { functions: invoker });
  const sub = await ctx.service.subscribe('alerts', { protocol: 'function', endpoint: 'arn:aws:lambda:us-east-1:123456789012:function:alert-handler' });
  assert.equal(sub.status, 'confirmed', 'SNS needs no confirmation for Lambda');
  assert.equal(sub.endpoint, 'alert-handler', 'an ARN is reduced to the function name');
  assert.equal(events.length, 0);

  const result = await ctx.service.publish({ topic: 'alerts', message: 'Humidity 29', subject: 'Low', messageAttributes: { site: { DataType: 'String', StringValue: 'north' } } });
  assert.deepEqual(result.deliveries.map((d) => d.status), ['sent']);
  assert.equal(events.length, 1);
  const [{ name, event }] = events as [{ name: string; event: SnsLambdaEvent }];
  assert.equal(name, 'alert-handler');
  assert.equal(event.Records.length, 1);
  const record = event.Records[0]!;
  assert.deepEqual({ ...record, Sns: undefined }, { EventSource: 'aws:sns', EventVersion: '1.0', EventSubscriptionArn: sub.arn, Sns: undefined });
  assert.deepEqual(Object.keys(record.Sns), [
    'Type', 'MessageId', 'TopicArn', 'Subject', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertUrl', 'UnsubscribeUrl', 'MessageAttributes',
  ]);
  assert.equal(record.Sns.Type, 'Notification');
  assert.equal(record.Sns.MessageId, result.messageId);
  assert.equal(record.Sns.Subject, 'Low');
  assert.equal(record.Sns.Message, 'Humidity 29');
  assert.equal(record.Sns.Timestamp, '2024-05-02T00:54:06.655Z');
  assert.equal(record.Sns.SigningCertUrl, `${ctx.publicUrl}/notify/signing-cert.pem`);
  assert.match(record.Sns.UnsubscribeUrl, /\/notify\/unsubscribe\/[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(record.Sns.MessageAttributes, { site: { Type: 'String', Value: 'north' } });
  assert.ok(docsVerify({ ...record.Sns }, ctx.signer.certificatePem));

  await ctx.service.publish({ topic: 'alerts', message: 'no subject' });
  assert.equal(events[1]?.event.Records[0]?.Sns.Subject, null, 'Lambda events have a null Subject when there is none');
  assert.deepEqual(events[1]?.event.Records[0]?.Sns.MessageAttributes, {});

  // Through the outbox, a failing function is retried.
  const { outbox, queued } = fakeOutbox();
  ctx.service.setOutbox(outbox);
  fail = true;
  const queuedResult = await ctx.service.publish({ topic: 'alerts', message: 'retry me' });
  const delivery = queued[0];
  assert.ok(delivery && queuedResult.deliveries[0]?.status === 'queued');
  assert.equal(delivery.retry.maxAttempts, 100);
  const outcome = await ctx.service.deliverQueued({ topic: 'alerts', subscriptionId: sub.id, protocol: 'function' }, delivery.notification, delivery.id, 1);
  assert.deepEqual(outcome, { status: 'failed', retryable: true, error: 'function alert-handler failed: Error: boom' });
  fail = false;
  assert.deepEqual(await ctx.service.deliverQueued({ topic: 'alerts', subscriptionId: sub.id, protocol: 'function' }, delivery.notification, delivery.id, 2), { status: 'delivered' });

  for (const bad of ['', 'has space', 'x'.repeat(65), 'arn:aws:lambda:us-east-1:123456789012:function:f:1']) {
    await assert.rejects(ctx.service.subscribe('alerts', { protocol: 'function', endpoint: bad }), isCode('SLUICE_ERR_SUBSCRIPTION_INVALID', 'endpoint'), bad);
  }
});

test('mqtt: the message is republished as it is at QoS 1; the endpoint is a topic name', async (t) => {
  const published: Array<{ topic: string; payload: string; qos: number }> = [];
  const ctx = await sluice(t, { mqtt: { publish: async (topic, payload, qos) => void published.push({ topic, payload: payload.toString('utf8'), qos }) } });
  const sub = await ctx.service.subscribe('alerts', { protocol: 'mqtt', endpoint: 'alerts/humidity' });
  assert.equal(sub.status, 'confirmed');
  const message = '{"humidity": 29} ✓';
  await ctx.service.publish({ topic: 'alerts', message, subject: 'not carried', messageAttributes: { a: { DataType: 'String', StringValue: 'b' } } });
  assert.deepEqual(published, [{ topic: 'alerts/humidity', payload: message, qos: 1 }]);
  for (const bad of ['', 'alerts/+', 'alerts/#', '$aws/things', 'a\u0000b', 'x'.repeat(257)]) {
    await assert.rejects(ctx.service.subscribe('alerts', { protocol: 'mqtt', endpoint: bad }), isCode('SLUICE_ERR_SUBSCRIPTION_INVALID', 'endpoint'), JSON.stringify(bad));
  }
  await assert.rejects(ctx.service.subscribe('alerts', { protocol: 'mqtt', endpoint: 'a/b', rawMessageDelivery: true }), isCode('SLUICE_ERR_SUBSCRIPTION_INVALID', 'rawMessageDelivery'));
});

test('email-json: the mail body is the JSON envelope; the confirmation is the SubscriptionConfirmation with the link', async (t) => {
  const ctx = await sluice(t);
  const pending = await ctx.service.subscribe('alerts', { protocol: 'email-json', endpoint: 'Robot@Example.COM' });
  assert.equal(pending.endpoint, 'Robot@example.com');
  assert.equal(pending.status, 'pending');
  const confirmation = ctx.mail.sent.at(-1);
  assert.ok(confirmation);
  assert.equal(confirmation.subject, 'Sluice Notification - Subscription Confirmation');
  const request = JSON.parse(confirmation.text) as Record<string, unknown>;
  assert.equal(request.Type, 'SubscriptionConfirmation');
  assert.ok(docsVerify(request, ctx.signer.certificatePem));
  assert.equal((await fetchText(String(request.SubscribeURL))).status, 200);
  assert.equal((await ctx.service.getSubscription(pending.id)).status, 'confirmed');

  await ctx.service.publish({ topic: 'alerts', message: 'Humidity 29', messageAttributes: { n: { DataType: 'Number', StringValue: '29' } } });
  const mail = ctx.mail.sent.at(-1);
  assert.ok(mail);
  assert.equal(mail.subject, 'Soil alerts', 'the display name when no subject is given');
  const body = JSON.parse(mail.text) as Record<string, unknown>;
  assert.equal(body.Type, 'Notification');
  assert.equal(body.Message, 'Humidity 29');
  assert.deepEqual(body.MessageAttributes, { n: { Type: 'Number', Value: '29' } });
  assert.ok(docsVerify(body, ctx.signer.certificatePem));
  assert.equal(mail.headers['List-Unsubscribe'], `<${String(body.UnsubscribeURL)}>`);
});

test('filter policies: attribute and body scope decide who gets a message; the others are left out and counted', async (t) => {
  const published: string[] = [];
  const ctx = await sluice(t, { mqtt: { publish: async (topic) => void published.push(topic) } });
  const subscribe = (endpoint: string, extra: Record<string, unknown> = {}) => ctx.service.subscribe('alerts', { protocol: 'mqtt', endpoint, ...extra });
  await subscribe('all');
  const high = await subscribe('high', { filterPolicy: { severity: ['high'], humidity: [{ numeric: ['<', 30] }] } });
  await subscribe('north', { filterPolicy: JSON.stringify({ sites: ['north'] }) });
  const body = await subscribe('body', { filterPolicy: { reading: { humidity: [{ numeric: ['<', 30] }] } }, filterPolicyScope: 'MessageBody' });
  assert.deepEqual(high.filterPolicy, { severity: ['high'], humidity: [{ numeric: ['<', 30] }] });
  assert.equal(high.filterPolicyScope, 'MessageAttributes');
  assert.equal(body.filterPolicyScope, 'MessageBody');

  const send = async (message: string, messageAttributes?: Record<string, { DataType: string; StringValue: string }>) => {
    published.length = 0;
    const result = await ctx.service.publish({ topic: 'alerts', message, ...(messageAttributes ? { messageAttributes } : {}) });
    return { to: [...published].sort(), filtered: result.filtered, deliveries: result.deliveries.length };
  };
  assert.deepEqual(await send('plain'), { to: ['all'], filtered: 3, deliveries: 1 });
  assert.deepEqual(
    await send('x', { severity: { DataType: 'String', StringValue: 'high' }, humidity: { DataType: 'Number', StringValue: '29' }, sites: { DataType: 'String.Array', StringValue: '["south","north"]' } }),
    { to: ['all', 'high', 'north'], filtered: 1, deliveries: 3 },
  );
  assert.deepEqual(await send('x', { severity: { DataType: 'String', StringValue: 'high' }, humidity: { DataType: 'Number', StringValue: '31' } }), { to: ['all'], filtered: 3, deliveries: 1 });
  assert.deepEqual(await send('{"reading": {"humidity": 12}}'), { to: ['all', 'body'], filtered: 2, deliveries: 2 });
  assert.deepEqual(await send('{"reading": {"humidity": 42}}'), { to: ['all'], filtered: 3, deliveries: 1 });

  // With an outbox, filtered subscriptions are not queued either.
  const { outbox, queued } = fakeOutbox();
  ctx.service.setOutbox(outbox);
  const result = await ctx.service.publish({ topic: 'alerts', message: '{"reading": {"humidity": 12}}' });
  assert.equal(result.filtered, 2);
  assert.deepEqual(queued.map((q) => q.subscriptionId).sort(), result.deliveries.map((d) => d.subscriptionId).sort());
  assert.equal(queued.length, 2);
});

test('filter policies: checked at subscribe, errors name the field; a scope needs a policy', async (t) => {
  const ctx = await sluice(t, { mqtt: { publish: async () => {} } });
  const refused = (input: Record<string, unknown>, field: string | RegExp) =>
    assert.rejects(ctx.service.subscribe('alerts', { protocol: 'mqtt', endpoint: 'a/b', ...input }), isCode('SLUICE_ERR_SUBSCRIPTION_INVALID', field));
  await refused({ filterPolicy: { price: [{ numeric: ['<'] }] } }, /^filterPolicy\.price\[0\]\.numeric/);
  await refused({ filterPolicy: '{not json' }, 'filterPolicy');
  await refused({ filterPolicy: ['a'] }, 'filterPolicy');
  await refused({ filterPolicy: { a: ['1'], b: ['1'], c: ['1'], d: ['1'], e: ['1'], f: ['1'] } }, 'filterPolicy');
  await refused({ filterPolicyScope: 'MessageBody' }, 'filterPolicyScope');
  await refused({ filterPolicy: { a: ['x'] }, filterPolicyScope: 'Body' }, 'filterPolicyScope');
  await refused({ deliveryPolicy: { healthyRetryPolicy: { numRetries: 101 } } }, 'deliveryPolicy.healthyRetryPolicy.numRetries');
  await refused({ hmacSecret: HMAC_SECRET }, 'hmacSecret');
  assert.deepEqual(await ctx.service.listSubscriptions('alerts'), [], 'nothing was created');
  await assert.rejects(ctx.service.subscribe('alerts', { protocol: 'http', endpoint: 'http://127.0.0.1:9/', hmacSecret: 'short' }), isCode('SLUICE_ERR_SUBSCRIPTION_INVALID', 'hmacSecret'));
  await assert.rejects(ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'a@example.com', rawMessageDelivery: true }), isCode('SLUICE_ERR_SUBSCRIPTION_INVALID', 'rawMessageDelivery'));
});

test('subscription attributes: a repeat subscribe replaces what it gives; replaceAttributes sets them exactly; setSubscriptionAttributes clears with null', async (t) => {
  const ctx = await sluice(t, { mqtt: { publish: async () => {} } });
  const first = await ctx.service.subscribe('alerts', {
    protocol: 'mqtt', endpoint: 'a/b', filterPolicy: { a: ['x'] }, filterPolicyScope: 'MessageBody', deliveryPolicy: { healthyRetryPolicy: { numRetries: 5 } },
  });
  const merged = await ctx.service.subscribe('alerts', { protocol: 'mqtt', endpoint: 'a/b', deliveryPolicy: '{"healthyRetryPolicy":{"numRetries":7}}' });
  assert.equal(merged.id, first.id);
  assert.deepEqual([merged.filterPolicy, merged.filterPolicyScope, merged.deliveryPolicy], [{ a: ['x'] }, 'MessageBody', { healthyRetryPolicy: { numRetries: 7 } }]);
  // A scope alone is checked against the stored policy.
  const scoped = await ctx.service.subscribe('alerts', { protocol: 'mqtt', endpoint: 'a/b', filterPolicyScope: 'MessageAttributes' });
  assert.equal(scoped.filterPolicyScope, 'MessageAttributes');

  const exact = await ctx.service.subscribe('alerts', { protocol: 'mqtt', endpoint: 'a/b', filterPolicy: { b: ['y'] } }, { replaceAttributes: true });
  assert.deepEqual([exact.filterPolicy, exact.filterPolicyScope, exact.deliveryPolicy], [{ b: ['y'] }, 'MessageAttributes', undefined]);

  const cleared = await ctx.service.setSubscriptionAttributes(first.arn, { filterPolicy: null, deliveryPolicy: { healthyRetryPolicy: { numRetries: 1 } } });
  assert.deepEqual([cleared.filterPolicy, cleared.filterPolicyScope, cleared.deliveryPolicy], [undefined, undefined, { healthyRetryPolicy: { numRetries: 1 } }]);
  assert.deepEqual(await ctx.service.getSubscription(first.id), cleared);
  await assert.rejects(ctx.service.setSubscriptionAttributes(first.id, { rawMessageDelivery: true }), isCode('SLUICE_ERR_SUBSCRIPTION_INVALID', 'rawMessageDelivery'));
  await assert.rejects(ctx.service.setSubscriptionAttributes('nope', {}), isCode('SLUICE_ERR_NOT_FOUND'));

  const receiver = await endpoint(t, { confirm: true });
  const web = await ctx.service.subscribe('alerts', { protocol: 'http', endpoint: receiver.url, rawMessageDelivery: 'true' as unknown as boolean });
  assert.equal(web.rawMessageDelivery, true, 'SNS\'s string "true" is taken too');
  const off = await ctx.service.setSubscriptionAttributes(web.id, { rawMessageDelivery: false, hmacSecret: HMAC_SECRET });
  assert.deepEqual([off.rawMessageDelivery, off.hmacSecretSet], [undefined, true]);
  assert.equal((await ctx.service.setSubscriptionAttributes(web.id, { hmacSecret: null })).hmacSecretSet, undefined);
});

test('messageStructure json: each protocol gets its own key, else default; the message must be such an object', async (t) => {
  const published: string[] = [];
  const events: SnsLambdaEvent[] = [];
  const ctx = await sluice(t, {
    mqtt: { publish: async (_topic, payload) => void published.push(payload.toString()) },
    functions: { invoke: async (_name, event) => void events.push(event) },
  });
  await ctx.service.subscribe('alerts', { protocol: 'mqtt', endpoint: 'a/b' });
  await ctx.service.subscribe('alerts', { protocol: 'function', endpoint: 'handler' });
  await ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'ops@example.com' });
  const link = /\/notify\/confirm\/([A-Za-z0-9_-]+)/.exec(ctx.mail.sent.at(-1)?.text ?? '')?.[1];
  assert.ok(link);
  await ctx.service.confirm(link);
  const receiver = await endpoint(t, { confirm: true });
  await ctx.service.subscribe('alerts', { protocol: 'http', endpoint: receiver.url, rawMessageDelivery: true });

  const message = JSON.stringify({ default: 'plain', email: 'for people', lambda: 'for functions', http: '{"for":"machines"}', sqs: 'ignored' });
  await ctx.service.publish({ topic: 'alerts', message, messageStructure: 'json' });
  assert.deepEqual(published, ['plain']);
  assert.equal(events[0]?.Records[0]?.Sns.Message, 'for functions', 'function takes SNS\'s lambda key');
  assert.match(ctx.mail.sent.at(-1)?.text ?? '', /^for people\n\n--\n/);
  assert.equal(receiver.received.at(-1)?.body, '{"for":"machines"}');

  // A MessageBody filter policy looks at the protocol's own message.
  await ctx.service.setSubscriptionAttributes((await ctx.service.listSubscriptions('alerts')).find((s) => s.protocol === 'http')!.id, {
    filterPolicy: { for: ['machines'] }, filterPolicyScope: 'MessageBody',
  });
  assert.equal((await ctx.service.publish({ topic: 'alerts', message, messageStructure: 'json' })).filtered, 0);
  assert.equal((await ctx.service.publish({ topic: 'alerts', message: JSON.stringify({ default: '{"for":"machines"}', http: '{"for":"people"}' }), messageStructure: 'json' })).filtered, 1);

  const refused = (input: { message: string; messageStructure?: string }, field: string, pattern: RegExp) =>
    assert.rejects(ctx.service.publish({ topic: 'alerts', ...input } as never), (error: unknown) => isCode('SLUICE_ERR_REQUEST_INVALID', field)(error) && pattern.test((error as Error).message));
  await refused({ message: 'not json', messageStructure: 'json' }, 'message', /must be a JSON object .* does not parse/);
  await refused({ message: '["default"]', messageStructure: 'json' }, 'message', /must be a JSON object/);
  await refused({ message: '{"email": "x"}', messageStructure: 'json' }, 'message.default', /is required with messageStructure json/);
  await refused({ message: '{"default": 1}', messageStructure: 'json' }, 'message.default', /must be a string/);
  await refused({ message: '{"default": "x", "email": ""}', messageStructure: 'json' }, 'message.email', /must not be empty/);
  await refused({ message: '{"default": "x"}', messageStructure: 'xml' }, 'messageStructure', /must be "json"/);
});

test('message attributes: SNS\'s rules, errors naming the attribute and field', async (t) => {
  const ctx = await sluice(t);
  const refused = (messageAttributes: unknown, field: string, pattern: RegExp) =>
    assert.rejects(
      ctx.service.publish({ topic: 'alerts', message: 'm', messageAttributes: messageAttributes as never }),
      (error: unknown) => isCode('SLUICE_ERR_REQUEST_INVALID', field)(error) && pattern.test((error as Error).message),
    );
  const s = (value: string) => ({ DataType: 'String', StringValue: value });
  await refused(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, s('x')])), 'messageAttributes', /11 attributes; SNS allows at most 10/);
  await refused({ 'AWS.trace': s('x') }, 'messageAttributes["AWS.trace"]', /reserved/);
  await refused({ 'amazon.x': s('x') }, 'messageAttributes["amazon.x"]', /reserved/);
  await refused({ 'a b': s('x') }, 'messageAttributes["a b"]', /only letters, digits, _, - and \./);
  await refused({ '.a': s('x') }, 'messageAttributes[".a"]', /start or end with a period/);
  await refused({ 'a..b': s('x') }, 'messageAttributes["a..b"]', /two periods/);
  await refused({ ['n'.repeat(257)]: s('x') }, `messageAttributes.${'n'.repeat(257)}`, /at most 256/);
  await refused({ a: { StringValue: 'x' } }, 'messageAttributes.a.DataType', /is required/);
  await refused({ a: { DataType: 'Number.float', StringValue: '1' } }, 'messageAttributes.a.DataType', /custom type labels are not supported/);
  await refused({ a: { DataType: 'Text', StringValue: '1' } }, 'messageAttributes.a.DataType', /one of String, String.Array, Number, Binary/);
  await refused({ a: s('') }, 'messageAttributes.a.StringValue', /must not be empty/);
  await refused({ a: { DataType: 'String', BinaryValue: 'AQ==' } }, 'messageAttributes.a.BinaryValue', /only for DataType Binary/);
  await refused({ a: { DataType: 'Number', StringValue: 'twelve' } }, 'messageAttributes.a.StringValue', /not a number/);
  await refused({ a: { DataType: 'Number', StringValue: '1e127' } }, 'messageAttributes.a.StringValue', /out of range/);
  await refused({ a: { DataType: 'Number', StringValue: '1e-129' } }, 'messageAttributes.a.StringValue', /out of range/);
  await refused({ a: { DataType: 'Number', StringValue: '1'.repeat(39) } }, 'messageAttributes.a.StringValue', /39 significant digits/);
  await refused({ a: { DataType: 'String.Array', StringValue: '["a", {"b": 1}]' } }, 'messageAttributes.a.StringValue', /JSON array of strings, numbers/);
  await refused({ a: { DataType: 'String.Array', StringValue: 'a,b' } }, 'messageAttributes.a.StringValue', /JSON array/);
  await refused({ a: { DataType: 'Binary', BinaryValue: 'not base64!' } }, 'messageAttributes.a.BinaryValue', /base64/);
  await refused({ a: { DataType: 'Binary', StringValue: 'x' } }, 'messageAttributes.a.StringValue', /BinaryValue/);
  await refused({ a: { DataType: 'String', StringValue: 'x', Extra: 1 } }, 'messageAttributes.a.Extra', /unknown field/);
  await refused({ a: s('x'.repeat(256 * 1024)) }, 'message', /256 KiB/);
  await refused('x', 'messageAttributes', /must be an object/);
  // And what passes: SNS's range, trimmed zeros, arrays of mixed scalars.
  const ok = await ctx.service.publish({
    topic: 'alerts', message: 'm',
    messageAttributes: {
      'my.attr-1_x': s('x'), n1: { DataType: 'Number', StringValue: '-0.000100' }, n2: { DataType: 'Number', StringValue: '1e126' },
      n3: { DataType: 'Number', StringValue: `${'9'.repeat(38)}000` }, arr: { DataType: 'String.Array', StringValue: '["a", 1, true, null]' },
    },
  });
  assert.equal(ok.filtered, 0);
});

test('protocols whose port is missing are refused at subscribe, naming what they need', async (t) => {
  const clock = { now: () => 0 };
  const bare = new NotificationService({ state: createMemoryStateStore(), transport: createMemoryTransport({ clock }), publicUrl: 'http://127.0.0.1:8080', from: 'x@example.com', logger: silentLogger() });
  await bare.createTopic('alerts');
  for (const [protocol, endpoint, needs] of [
    ['http', 'http://example.com/', /a notification signer/], ['email-json', 'a@example.com', /a notification signer/],
    ['function', 'f', /a function invoker/], ['mqtt', 'a/b', /an MQTT publisher/],
  ] as const) {
    await assert.rejects(bare.subscribe('alerts', { protocol, endpoint }), (error: unknown) => isCode('SLUICE_ERR_SUBSCRIPTION_INVALID', 'protocol')(error) && needs.test((error as Error).message));
  }
  await assert.rejects(bare.subscribe('alerts', { protocol: 'sqs' as Protocol, endpoint: 'q' }), (error: unknown) => isCode('SLUICE_ERR_SUBSCRIPTION_INVALID', 'protocol')(error) && /expected one of email, email-json, http, https, function, mqtt/.test((error as Error).message));
  void t;
});
