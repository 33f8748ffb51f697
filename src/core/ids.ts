import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** 256 bits of randomness, URL-safe: used for confirmation/unsubscribe tokens and admin tokens. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function newId(): string {
  return randomUUID();
}

/** Tokens are stored hashed so a copy of the database does not hand out working links. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
