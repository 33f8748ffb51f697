/**
 * The `http` and `https` protocols, as SNS delivers to HTTP/S endpoints:
 *
 * - a notification is a POST of the signed JSON envelope (`sns-envelope.ts`)
 *   with SNS's `x-amz-sns-*` headers; with `rawMessageDelivery` the body is
 *   the message as it is (`Content-Type: text/plain; charset=UTF-8`, header
 *   `x-amz-sns-rawdelivery: true`, no envelope and so no SNS signature);
 * - a subscription is confirmed by SNS's handshake: a `SubscriptionConfirmation`
 *   POST whose `SubscribeURL` (Sluice's confirm link) the endpoint GETs;
 * - once removed, the endpoint gets an `UnsubscribeConfirmation` (best effort);
 * - with the subscription's HMAC secret, every POST also carries
 *   `X-Sluice-Signature: sha256=<hex>` over the exact body bytes.
 *
 * Outcome of one attempt (SNS's rule, `httpStatusOutcome`): 2xx delivered;
 * 5xx and 429 retried; timeouts (15 s for the whole exchange) and connection
 * errors retried; any other status (other 4xx, 1xx, 3xx: redirects are not
 * followed) fails for good.
 */
import http from 'node:http';
import https from 'node:https';
import { newId, systemClock, SluiceError, type Clock } from '../../core/index.js';
import { DeliveryError, httpStatusOutcome } from '../outbox.js';
import { HMAC_SIGNATURE_HEADER, hmacSignatureHeader } from '../signing.js';
import {
  CONTENT_TYPE, USER_AGENT, buildSubscriptionConfirmation, buildUnsubscribeConfirmation, envelopeHttpRequest,
  type EnvelopeSigner, type SignatureVersion,
} from '../sns-envelope.js';
import { notificationEnvelope } from './envelope.js';
import { tokenOf, type ProtocolDriver } from './protocol.js';

/** Per attempt, for connecting, sending and the response's status line and headers. */
export const HTTP_DELIVERY_TIMEOUT_MS = 15_000;
/** SNS caps endpoint URLs; so does Sluice, so a listing stays readable. */
export const MAX_ENDPOINT_URL_CHARS = 2048;
/** How much of an error response's body is quoted in the error. */
const EXCERPT_CHARS = 200;

export interface HttpProtocolOptions {
  protocol: 'http' | 'https';
  signer: EnvelopeSigner;
  /** SNS's SignatureVersion: "2" (SHA256withRSA, the default) or "1" (SHA1withRSA). */
  signatureVersion?: SignatureVersion;
  timeoutMs?: number;
  clock?: Clock;
  /** The agent requests go through; e.g. an https.Agent trusting a private CA. Default: Node's global agents. */
  agent?: http.Agent;
}

export function createHttpProtocol(options: HttpProtocolOptions): ProtocolDriver {
  const { protocol, signer, signatureVersion } = options;
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? HTTP_DELIVERY_TIMEOUT_MS;
  const send = (endpoint: string, body: string, headers: Record<string, string>) => postOnce(endpoint, body, headers, timeoutMs, options.agent);
  return {
    protocol,
    requiresConfirmation: true,
    normalizeEndpoint: (endpoint) => normalizeHttpEndpoint(protocol, endpoint),
    async sendConfirmation(request) {
      const envelope = buildSubscriptionConfirmation(
        {
          messageId: newId(), topicArn: request.topic.arn, token: tokenOf(request), subscribeUrl: request.confirmUrl,
          timestamp: clock.now(), ...(signatureVersion !== undefined ? { signatureVersion } : {}),
        },
        signer,
      );
      const { body, headers } = envelopeHttpRequest(envelope, request.hmacSecret !== undefined ? { hmacSecret: request.hmacSecret } : {});
      await send(request.subscription.endpoint, body, headers);
    },
    async deliver(notification) {
      const { subscription } = notification;
      if (subscription.rawMessageDelivery === true) {
        const headers: Record<string, string> = {
          'x-amz-sns-message-type': 'Notification',
          'x-amz-sns-message-id': notification.messageId,
          'x-amz-sns-topic-arn': notification.topic.arn,
          'x-amz-sns-subscription-arn': subscription.arn,
          'x-amz-sns-rawdelivery': 'true',
          'Content-Type': CONTENT_TYPE,
          'User-Agent': USER_AGENT,
        };
        if (notification.hmacSecret !== undefined) headers[HMAC_SIGNATURE_HEADER] = hmacSignatureHeader(notification.hmacSecret, notification.message);
        await send(subscription.endpoint, notification.message, headers);
        return;
      }
      const envelope = notificationEnvelope({ ...notification, timestamp: notification.timestamp ?? clock.now() }, signer, signatureVersion);
      const { body, headers } = envelopeHttpRequest(envelope, {
        subscriptionArn: subscription.arn,
        ...(notification.hmacSecret !== undefined ? { hmacSecret: notification.hmacSecret } : {}),
      });
      await send(subscription.endpoint, body, headers);
    },
    async sendUnsubscribeConfirmation(request) {
      const envelope = buildUnsubscribeConfirmation(
        {
          messageId: newId(), topicArn: request.topic.arn, token: request.token, subscribeUrl: request.subscribeUrl,
          subscriptionArn: request.subscription.arn, timestamp: clock.now(), ...(signatureVersion !== undefined ? { signatureVersion } : {}),
        },
        signer,
      );
      const { body, headers } = envelopeHttpRequest(envelope, {
        subscriptionArn: request.subscription.arn,
        ...(request.hmacSecret !== undefined ? { hmacSecret: request.hmacSecret } : {}),
      });
      await send(request.subscription.endpoint, body, headers);
    },
  };
}

/**
 * An http(s) endpoint in the form it is stored: the URL as WHATWG URL
 * serializes it (scheme and host lower-cased, default port dropped). Refuses
 * a scheme that does not match the protocol, credentials in the URL (they
 * would show in every listing and log; use `hmacSecret`, or a token in the
 * path), fragments, and URLs longer than 2048 characters.
 */
export function normalizeHttpEndpoint(protocol: 'http' | 'https', endpoint: string): string {
  const text = endpoint.trim();
  const fail = (why: string) =>
    new SluiceError('SLUICE_ERR_SUBSCRIPTION_INVALID', `invalid ${protocol} endpoint: ${why}`, { place: { field: 'endpoint' }, details: { protocol } });
  if (text.length > MAX_ENDPOINT_URL_CHARS) throw fail(`the URL is ${text.length} characters; at most ${MAX_ENDPOINT_URL_CHARS}`);
  if (!URL.canParse(text)) throw fail(`${JSON.stringify(endpoint)} is not a URL; expected ${protocol}://host[:port]/path`);
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail(`expected a ${protocol}:// URL, got ${url.protocol}//`);
  if (url.protocol !== `${protocol}:`) {
    const other = url.protocol.slice(0, -1);
    throw fail(`a ${protocol} subscription needs a ${protocol}:// URL; for ${other}:// URLs subscribe with protocol ${other}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw fail('the URL must not contain credentials (user:password@): they would show in listings and logs; set hmacSecret to let the endpoint check that requests come from Sluice');
  }
  if (url.hostname === '') throw fail('the URL has no host');
  if (url.hash !== '') throw fail('the URL must not have a #fragment (it is never sent)');
  return url.href;
}

/** `scheme://host[:port]/path`, without the query (it may carry a key) for error messages. */
function where(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** One POST; resolves on 2xx, throws a DeliveryError saying whether to retry otherwise. */
async function postOnce(endpoint: string, body: string, headers: Record<string, string>, timeoutMs: number, agent: http.Agent | undefined): Promise<void> {
  const url = new URL(endpoint);
  let response: { status: number; excerpt: string };
  try {
    response = await request(url, Buffer.from(body, 'utf8'), headers, timeoutMs, agent);
  } catch (error) {
    throw new DeliveryError(`POST ${where(url)} ${describeFailure(error, timeoutMs)}`, { retryable: true, cause: error });
  }
  const outcome = httpStatusOutcome(response.status);
  if (outcome === 'delivered') return;
  const detail = response.excerpt ? `: ${response.excerpt}` : '';
  const final = outcome === 'permanent' ? ' (not retried: SNS retries only 5xx, 429, timeouts and connection errors)' : '';
  throw new DeliveryError(`POST ${where(url)} answered HTTP ${response.status}${detail}${final}`, { retryable: outcome === 'retry' });
}

class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
}

function request(url: URL, body: Buffer, headers: Record<string, string>, timeoutMs: number, agent: http.Agent | undefined): Promise<{ status: number; excerpt: string }> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    const finish = (error: Error | undefined, result?: { status: number; excerpt: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(result as { status: number; excerpt: string });
    };
    const req = client.request(
      url,
      { method: 'POST', headers: { ...headers, 'Content-Length': String(body.length) }, ...(agent ? { agent } : {}) },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          // Delivered: the body does not matter, but is read so the connection can be reused.
          res.resume();
          res.on('error', () => undefined);
          finish(undefined, { status, excerpt: '' });
          return;
        }
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (text.length >= EXCERPT_CHARS * 2) {
            finish(undefined, { status, excerpt: excerptOf(text) });
            res.destroy();
          }
        });
        res.on('end', () => finish(undefined, { status, excerpt: excerptOf(text) }));
        // A body cut short still gives its status.
        res.on('error', () => finish(undefined, { status, excerpt: excerptOf(text) }));
      },
    );
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new TimeoutError(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    // Destroying the request may surface as "socket hang up" first: the deadline is the cause either way.
    req.on('error', (error) => finish(timedOut ? new TimeoutError(`timed out after ${timeoutMs} ms`) : error));
    req.end(body);
  });
}

function excerptOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS - 1)}…` : flat;
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof TimeoutError) return `timed out after ${timeoutMs} ms`;
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return `failed: ${typeof code === 'string' && !message.includes(code) ? `${code} ` : ''}${message}`;
}
