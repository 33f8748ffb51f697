import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SluiceError, systemClock, type Clock } from '../core/index.js';
import type { TokenRecord, TokenStore } from '../registry/index.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const SAFE_METHODS = new Set(['GET', 'HEAD']);

export interface AuthOptions {
  tokens: Pick<TokenStore, 'verify'>;
  /** `--insecure`: requests from loopback need no token. */
  insecure: boolean;
  clock?: Clock;
  /** Failed authentications per client address within `failureWindowMs` before answering 429 (default 10). */
  maxFailures?: number;
  failureWindowMs?: number;
  /** Client addresses whose failures are remembered at once (default 10,000); the oldest are forgotten first. */
  maxTrackedClients?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The token the request authenticated with; undefined for tokenless loopback requests with --insecure and for non-API routes. */
    apiToken?: TokenRecord;
  }
}

/**
 * `/api/` needs `Authorization: Bearer <token>`: an `admin` token may do
 * everything, a `read-only` token only GET and HEAD; `device` tokens are for
 * MQTT and never valid here. With `--insecure` a request from loopback may
 * omit the token (the demo), never one from elsewhere; a token it does send
 * is checked as usual. Failed attempts are
 * counted per client address; past the limit the address gets 429 with
 * Retry-After until its window ends, whatever it sends.
 *
 * Other routes (`/healthz`, `/metrics`, `/notify/...`, `/`) are open, as before.
 */
export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  const clock = options.clock ?? systemClock;
  const limiter = new FailureLimiter({
    maxFailures: options.maxFailures ?? 10,
    windowMs: options.failureWindowMs ?? 60_000,
    maxEntries: options.maxTrackedClients ?? 10_000,
    clock,
  });
  if (!app.hasRequestDecorator('apiToken')) app.decorateRequest('apiToken', undefined);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!isApiRequest(request)) return;
    const client = request.socket.remoteAddress ?? '';
    // The demo lets loopback in without a token; a token that is sent is still
    // checked, so the console's sign-in (and a read-only token's limits) mean the same everywhere.
    if (options.insecure && LOOPBACK.has(client) && request.headers.authorization === undefined) return;

    const retryAfter = limiter.retryAfterSeconds(client);
    if (retryAfter !== undefined) {
      reply.header('retry-after', String(retryAfter));
      throw new SluiceError('SLUICE_ERR_RATE_LIMITED', `too many failed authentications from ${client}; retry in ${retryAfter} s`, {
        details: { retryAfterSeconds: retryAfter },
      });
    }

    const presented = bearerToken(request.headers.authorization);
    if (presented === undefined) {
      limiter.recordFailure(client);
      throw new SluiceError(
        'SLUICE_ERR_UNAUTHORIZED',
        'send an API token as "Authorization: Bearer <token>" (the admin token is in <data>/admin-token; "sluice token create" makes more)',
      );
    }
    const token = await options.tokens.verify(presented);
    if (!token) {
      limiter.recordFailure(client);
      throw new SluiceError(
        'SLUICE_ERR_UNAUTHORIZED',
        'the bearer token is unknown, revoked or expired; send a valid API token (the admin token is in <data>/admin-token)',
      );
    }
    if (token.scope === 'device') {
      throw new SluiceError(
        'SLUICE_ERR_UNAUTHORIZED',
        `token '${token.name}' is a device token, which is for MQTT clients only; the API needs an admin or read-only token`,
      );
    }
    if (token.scope === 'read-only' && !SAFE_METHODS.has(request.method)) {
      throw new SluiceError(
        'SLUICE_ERR_FORBIDDEN',
        `token '${token.name}' has scope read-only, which allows only GET and HEAD; ${request.method} needs an admin token`,
        { details: { scope: token.scope } },
      );
    }
    request.apiToken = token;
  });
}

/**
 * By the matched route as well as the raw URL, so no spelling of a path that
 * reaches an `/api/` route (percent-encoding, say) skips authentication.
 */
function isApiRequest(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/') || (request.routeOptions.url ?? '').startsWith('/api/');
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Failed authentications per key (client address) in fixed windows. Bounded:
 * at most `maxEntries` keys are remembered; when a new key comes and the map
 * is full, the least recently failing key is forgotten, so a flood of bad
 * tokens from many addresses cannot grow memory.
 */
export class FailureLimiter {
  readonly #entries = new Map<string, { windowStart: number; failures: number }>();
  readonly #options: { maxFailures: number; windowMs: number; maxEntries: number; clock: Clock };

  constructor(options: { maxFailures: number; windowMs: number; maxEntries: number; clock: Clock }) {
    this.#options = options;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Seconds until `key` may try again; undefined when it may try now. */
  retryAfterSeconds(key: string): number | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    const now = this.#options.clock.now();
    const windowEnd = entry.windowStart + this.#options.windowMs;
    if (now >= windowEnd) {
      this.#entries.delete(key);
      return undefined;
    }
    if (entry.failures < this.#options.maxFailures) return undefined;
    return Math.max(1, Math.ceil((windowEnd - now) / 1000));
  }

  recordFailure(key: string): void {
    const now = this.#options.clock.now();
    const entry = this.#entries.get(key);
    this.#entries.delete(key);
    const current = entry && now < entry.windowStart + this.#options.windowMs ? entry : { windowStart: now, failures: 0 };
    current.failures += 1;
    // Re-inserting keeps the map ordered by last failure: the first key is the one to forget.
    this.#entries.set(key, current);
    while (this.#entries.size > this.#options.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }
}
