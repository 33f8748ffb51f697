import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SluiceError, systemClock, type Clock, type DocumentCollection, type Logger, type StateStore } from '../core/index.js';
import { THING_NAME } from './registry.js';

/**
 * API and device tokens: random bearer secrets, kept in the state store only as
 * their SHA-256.
 *
 * - `admin` may use the whole HTTP API; `read-only` only its safe methods (GET, HEAD);
 * - `device` is never valid for the API: it lets an MQTT client that cannot do
 *   mutual TLS connect with username = its client id or thing name and
 *   password = the token. Its policies attach to the principal `token/<tokenId>`.
 */
export const TOKEN_SCOPES = ['admin', 'read-only', 'device'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** Every token Sluice makes starts with this, so a leaked one is recognisable (secret scanners, logs). */
export const TOKEN_PREFIX = 'slc_';
export const TOKEN_NAME = /^[A-Za-z0-9._:@-]{1,64}$/;
/** Longest client id a device token may name, as the broker's default limit. */
const MAX_CLIENT_ID_BYTES = 128;
/** Longest expiry: ten years. */
export const MAX_EXPIRES_IN_DAYS = 3650;
/** `lastUsedAt` is written at most this often per token, not on every request. */
export const LAST_USED_RESOLUTION_MS = 60_000;
/** Longer "tokens" are refused without hashing them. */
const MAX_TOKEN_LENGTH = 512;
const DAY_MS = 24 * 60 * 60 * 1000;
const TOKEN_ID_HEX_CHARS = 12;

/** What is shown about a token: never its hash, never its secret. */
export interface TokenRecord {
  /** Short public id, derived from the hash; the MQTT principal is `token/<tokenId>`. */
  tokenId: string;
  name: string;
  scope: TokenScope;
  createdAt: string;
  lastUsedAt?: string;
  expiresAt?: string;
  /** Device tokens: the thing it connects as (username = thing name). */
  thingName?: string;
  /** Device tokens: the MQTT client id it connects as (username = client id). */
  clientId?: string;
}

export interface CreateTokenRequest {
  name: string;
  scope: TokenScope;
  expiresInDays?: number;
  thingName?: string;
  clientId?: string;
}

interface StoredToken {
  tokenId: string;
  name: string;
  scope: TokenScope;
  createdAt: string;
  expiresAt?: string;
  thingName?: string;
  clientId?: string;
  /** SHA-256 of the plaintext token, hex. */
  hash: string;
}

interface TokenUsage {
  lastUsedAt: string;
}

export type RevokeListener = (record: TokenRecord) => void;

/**
 * Hashing: tokens are 256 random bits, so a single fast hash is the right
 * choice (as for GitHub's or Stripe's API keys). Slow password hashes
 * (scrypt, argon2) exist to stretch low-entropy human passwords against
 * offline guessing; a 256-bit secret cannot be guessed, and a slow hash would
 * only make every API request and MQTT connect expensive.
 *
 * Lookup: the public `tokenId` is the first 48 bits of the hash, so verifying
 * is one keyed read (no scan over all tokens), then a constant-time compare of
 * the whole hash. Publishing 48 bits of a SHA-256 of a 256-bit secret reveals
 * nothing usable about the secret. Tokens from before hashing (the plaintext
 * `<data>/admin-token`) are imported through the same scheme.
 *
 * `lastUsedAt` lives in a collection of its own: a request that verifies a
 * token while another revokes it must not write the revoked token back.
 */
export class TokenStore {
  readonly #tokens: DocumentCollection<StoredToken>;
  readonly #usage: DocumentCollection<TokenUsage>;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #listeners = new Set<RevokeListener>();
  /** When this process last wrote each token's lastUsedAt; only tokens that verified, so bounded by the tokens that exist. */
  readonly #usageWrittenAt = new Map<string, number>();
  /** Create and revoke run one at a time, so two revokes cannot both remove "the other" admin token. */
  #serial: Promise<unknown> = Promise.resolve();

  constructor(state: StateStore, options: { clock?: Clock; logger?: Logger } = {}) {
    this.#tokens = state.collection<StoredToken>('auth.tokens');
    this.#usage = state.collection<TokenUsage>('auth.token-usage');
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
  }

  /** Makes a token. The plaintext is returned this once and never stored. */
  async create(request: CreateTokenRequest): Promise<{ token: string; record: TokenRecord }> {
    return this.#exclusive(async () => {
      const fields = validate(request, this.#clock.now());
      await this.#assertNameFree(fields.name);
      for (let attempt = 0; ; attempt++) {
        const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
        const stored = await this.#store(token, fields);
        if (stored) return { token, record: toRecord(stored) };
        // Two tokens sharing the first 48 bits of their hash: astronomically rare; draw again.
        if (attempt >= 3) throw new SluiceError('SLUICE_ERR_INTERNAL', 'could not allocate a token id');
      }
    });
  }

  /**
   * Stores the hash of an existing plaintext token (the pre-hashing
   * `<data>/admin-token`), so setups from before hashed tokens keep working.
   */
  async importToken(token: string, request: Omit<CreateTokenRequest, 'expiresInDays'>): Promise<TokenRecord> {
    return this.#exclusive(async () => {
      // Any length the old plaintext file accepted: refusing it would lock existing setups out.
      if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
        throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', 'a token to import must be 1 to 512 characters long');
      }
      const fields = validate(request, this.#clock.now());
      await this.#assertNameFree(fields.name);
      const stored = await this.#store(token, fields);
      if (!stored) throw new SluiceError('SLUICE_ERR_CONFLICT', 'this token, or one with the same id, is already stored');
      return toRecord(stored);
    });
  }

  /**
   * The token's record when the plaintext is a stored, unexpired token; else
   * undefined. Records the use (at most once a minute) unless `touch` is false.
   */
  async verify(token: string, options: { touch?: boolean } = {}): Promise<TokenRecord | undefined> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return undefined;
    const hash = createHash('sha256').update(token).digest();
    const tokenId = hash.toString('hex').slice(0, TOKEN_ID_HEX_CHARS);
    const stored = await this.#tokens.get(tokenId);
    if (!stored) return undefined;
    const storedHash = Buffer.from(stored.hash, 'hex');
    if (storedHash.length !== hash.length || !timingSafeEqual(storedHash, hash)) return undefined;
    const now = this.#clock.now();
    if (isExpired(stored, now)) return undefined;
    const record = toRecord(stored);
    const lastUsedAt = options.touch === false ? undefined : await this.#touch(tokenId, now);
    return lastUsedAt ? { ...record, lastUsedAt } : record;
  }

  /** Every stored token, expired ones included (see `expiresAt`), oldest first. */
  async list(): Promise<TokenRecord[]> {
    const usage = new Map((await this.#usage.list()).map((entry) => [entry.id, entry.doc.lastUsedAt]));
    return (await this.#tokens.list())
      .map((entry) => {
        const lastUsedAt = usage.get(entry.id);
        return { ...toRecord(entry.doc), ...(lastUsedAt ? { lastUsedAt } : {}) };
      })
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  }

  /** Whether the record is past its expiry now. */
  isExpired(record: Pick<TokenRecord, 'expiresAt'>): boolean {
    return isExpired(record, this.#clock.now());
  }

  /**
   * Deletes a token, found by id or else by name, and tells the `onRevoke`
   * listeners. Refuses to delete the last unexpired admin token.
   */
  async revoke(tokenIdOrName: string): Promise<TokenRecord> {
    const revoked = await this.#exclusive(async () => {
      const all = await this.#tokens.list();
      const target = all.find((e) => e.id === tokenIdOrName) ?? all.find((e) => e.doc.name === tokenIdOrName);
      if (!target) {
        throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no token with id or name '${tokenIdOrName}'; "sluice token list" lists them`);
      }
      const now = this.#clock.now();
      const isActiveAdmin = (doc: StoredToken) => doc.scope === 'admin' && !isExpired(doc, now);
      if (isActiveAdmin(target.doc) && !all.some((e) => e.id !== target.id && isActiveAdmin(e.doc))) {
        throw new SluiceError(
          'SLUICE_ERR_CONFLICT',
          `token '${target.doc.name}' is the last admin token; create another admin token first ("sluice token create NAME --scope admin"), so nobody is locked out`,
        );
      }
      await this.#tokens.delete(target.id);
      await this.#usage.delete(target.id);
      this.#usageWrittenAt.delete(target.id);
      return toRecord(target.doc);
    });
    for (const listener of this.#listeners) {
      try {
        listener(revoked);
      } catch (error) {
        this.#logger?.error({ err: error, tokenId: revoked.tokenId }, 'a token revocation listener failed');
      }
    }
    return revoked;
  }

  /** Called after each revocation (e.g. to drop the MQTT sessions of a device token). Returns a function that unsubscribes. */
  onRevoke(listener: RevokeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stores the token's hash under its id; false when the id is taken. */
  async #store(token: string, fields: Omit<StoredToken, 'tokenId' | 'hash'>): Promise<StoredToken | undefined> {
    const hash = createHash('sha256').update(token).digest('hex');
    const tokenId = hash.slice(0, TOKEN_ID_HEX_CHARS);
    if (await this.#tokens.get(tokenId)) return undefined;
    const stored: StoredToken = { tokenId, ...fields, hash };
    await this.#usage.delete(tokenId);
    await this.#tokens.put(tokenId, stored);
    return stored;
  }

  async #assertNameFree(name: string): Promise<void> {
    if ((await this.#tokens.list()).some((entry) => entry.doc.name === name)) {
      throw new SluiceError('SLUICE_ERR_CONFLICT', `a token named '${name}' exists; revoke it first or choose another name`, {
        place: { field: 'name' },
      });
    }
  }

  /** Writes lastUsedAt when this process has not written it for a minute; returns the value now known, if any. */
  async #touch(tokenId: string, now: number): Promise<string | undefined> {
    const written = this.#usageWrittenAt.get(tokenId);
    if (written !== undefined && now - written < LAST_USED_RESOLUTION_MS) return new Date(written).toISOString();
    // The map holds only tokens that verified; the cap guards against tokens revoked elsewhere (another node).
    if (this.#usageWrittenAt.size >= 100_000) this.#usageWrittenAt.clear();
    this.#usageWrittenAt.set(tokenId, now);
    const lastUsedAt = new Date(now).toISOString();
    try {
      await this.#usage.put(tokenId, { lastUsedAt });
    } catch (error) {
      // Bookkeeping only: a failed write must not fail the request.
      this.#logger?.warn({ err: error, tokenId }, 'could not record when a token was last used');
    }
    return lastUsedAt;
  }

  #exclusive<T>(run: () => Promise<T>): Promise<T> {
    const result = this.#serial.then(run);
    this.#serial = result.catch(() => undefined);
    return result;
  }
}

function isExpired(record: { expiresAt?: string }, now: number): boolean {
  return record.expiresAt !== undefined && now >= Date.parse(record.expiresAt);
}

function toRecord(stored: StoredToken): TokenRecord {
  return {
    tokenId: stored.tokenId,
    name: stored.name,
    scope: stored.scope,
    createdAt: stored.createdAt,
    ...(stored.expiresAt !== undefined ? { expiresAt: stored.expiresAt } : {}),
    ...(stored.thingName !== undefined ? { thingName: stored.thingName } : {}),
    ...(stored.clientId !== undefined ? { clientId: stored.clientId } : {}),
  };
}

function invalid(field: string, message: string): SluiceError {
  return new SluiceError('SLUICE_ERR_REQUEST_INVALID', message, { place: { field } });
}

function validate(request: CreateTokenRequest, now: number): Omit<StoredToken, 'tokenId' | 'hash'> {
  const { name, scope, expiresInDays, thingName, clientId } = request;
  if (typeof name !== 'string' || !TOKEN_NAME.test(name)) {
    throw invalid('name', `invalid token name '${String(name)}': use 1-64 of [A-Za-z0-9._:@-]`);
  }
  if (!TOKEN_SCOPES.includes(scope)) throw invalid('scope', `scope must be one of ${TOKEN_SCOPES.join(', ')}; got '${String(scope)}'`);
  if (expiresInDays !== undefined && !(Number.isFinite(expiresInDays) && expiresInDays > 0 && expiresInDays <= MAX_EXPIRES_IN_DAYS)) {
    throw invalid('expiresInDays', `expiresInDays must be a number of days above 0 and at most ${MAX_EXPIRES_IN_DAYS}`);
  }
  if (scope === 'device') {
    if (thingName === undefined && clientId === undefined) {
      throw invalid('thingName', 'a device token needs the thing name or the client id it connects as (thingName or clientId)');
    }
    if (thingName !== undefined && !THING_NAME.test(thingName)) {
      throw invalid('thingName', `invalid thing name '${thingName}': use 1-128 of [a-zA-Z0-9:_-]`);
    }
    if (clientId !== undefined && (clientId.length === 0 || Buffer.byteLength(clientId) > MAX_CLIENT_ID_BYTES)) {
      throw invalid('clientId', `clientId must be 1 to ${MAX_CLIENT_ID_BYTES} bytes`);
    }
  } else if (thingName !== undefined || clientId !== undefined) {
    throw invalid(thingName !== undefined ? 'thingName' : 'clientId', 'thingName and clientId belong to device tokens (scope device)');
  }
  return {
    name,
    scope,
    createdAt: new Date(now).toISOString(),
    ...(expiresInDays !== undefined ? { expiresAt: new Date(now + expiresInDays * DAY_MS).toISOString() } : {}),
    ...(thingName !== undefined ? { thingName } : {}),
    ...(clientId !== undefined ? { clientId } : {}),
  };
}
