import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** 256 bits of randomness, URL-safe: used for confirmation/unsubscribe tokens and admin tokens. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function newId(): string {
  return randomUUID();
}

/**
 * A UUID version 7 (RFC 9562): the first 48 bits are the time in ms, so ids
 * made later sort later. Message ids are these because the durable queue
 * indexes job ids (`<messageId>:<rule>:<n>`): random ids scatter every
 * insert and delete over the whole index, dirtying a page per job, where
 * time-ordered ones land on its last pages.
 */
export function newTimeOrderedId(now = Date.now()): string {
  // randomUUID draws from a cached pool (randomBytes per call cost more than the rest of
  // a message's enqueue); its variant bits are v7's too, so only time and version change.
  const random = randomUUID();
  const time = (Math.max(0, Math.floor(now)) % 2 ** 48).toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}

/** Tokens are stored hashed so a copy of the database does not hand out working links. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
