import { SluiceError, hashToken, randomToken, type Clock, type DocumentCollection } from '../core/index.js';
import type { TokenPurpose, TokenRecord } from './records.js';

/** SNS: "confirmation tokens are valid for three days". 3 days in milliseconds. */
export const CONFIRM_TOKEN_TTL_MS = 3 * 24 * 60 * 60 * 1000;

export interface IssuedToken {
  /** The secret that goes into the link; never stored. */
  token: string;
  /** The key it is stored under. */
  hash: string;
  expiresAt?: number;
}

export interface ResolvedToken extends TokenRecord {
  hash: string;
}

/**
 * Link tokens: 256 random bits, stored only as their SHA-256 so a copy of the
 * database hands out no working links; each has one purpose.
 */
export class LinkTokens {
  readonly #tokens: DocumentCollection<TokenRecord>;
  readonly #clock: Clock;

  constructor(tokens: DocumentCollection<TokenRecord>, clock: Clock) {
    this.#tokens = tokens;
    this.#clock = clock;
  }

  async issue(purpose: TokenPurpose, subscriptionId: string, ttlMs?: number, extra: Pick<TokenRecord, 'restore'> = {}): Promise<IssuedToken> {
    const token = randomToken();
    const hash = hashToken(token);
    const expiresAt = ttlMs === undefined ? undefined : this.#clock.now() + ttlMs;
    await this.#tokens.put(hash, { purpose, subscriptionId, ...(expiresAt !== undefined ? { expiresAt } : {}), ...extra });
    return { token, hash, ...(expiresAt !== undefined ? { expiresAt } : {}) };
  }

  /**
   * The record behind a token of the given purpose, or SLUICE_ERR_TOKEN_INVALID.
   * An expired token is deleted when it is presented. The message does not say
   * whether an unknown token exists for another purpose.
   */
  async resolve(token: string, purpose: TokenPurpose | readonly TokenPurpose[]): Promise<ResolvedToken> {
    const purposes: readonly TokenPurpose[] = typeof purpose === 'string' ? [purpose] : purpose;
    const hash = hashToken(token);
    const record = await this.#tokens.get(hash);
    if (!record || !purposes.includes(record.purpose)) throw tokenInvalid(purposes[0] ?? 'confirm', 'unknown or already used');
    if (record.expiresAt !== undefined && this.#clock.now() >= record.expiresAt) {
      await this.#tokens.delete(hash);
      throw tokenInvalid(record.purpose, `expired at ${new Date(record.expiresAt).toISOString()}`, 'expired');
    }
    return { ...record, hash };
  }

  async revoke(hashes: readonly string[]): Promise<void> {
    for (const hash of hashes) await this.#tokens.delete(hash);
  }

  /** Deletes tokens that expired before `now`; returns how many. */
  async pruneExpired(now: number): Promise<number> {
    let pruned = 0;
    for (const { id, doc } of await this.#tokens.list()) {
      if (doc.expiresAt !== undefined && doc.expiresAt <= now && (await this.#tokens.delete(id))) pruned += 1;
    }
    return pruned;
  }
}

export function tokenInvalid(purpose: TokenPurpose, why: string, reason: 'unknown' | 'expired' = 'unknown'): SluiceError {
  const what = purpose === 'unsubscribe' ? 'unsubscribe' : 'confirmation';
  return new SluiceError('SLUICE_ERR_TOKEN_INVALID', `this ${what} link is ${why}`, { details: { purpose, reason } });
}
