import { SluiceError } from '../core/index.js';
import { CERTIFICATE_ID } from './certificates.js';

/**
 * Principals are who connects: a certificate (by its id; a certificate ARN is
 * accepted and reduced to the id) or a device token (`token/<tokenId>`).
 * Things and policies attach to principals, as in AWS IoT.
 */
export type Principal = { kind: 'certificate'; principal: string; certificateId: string } | { kind: 'token'; principal: string; tokenId: string };

export const TOKEN_PRINCIPAL = /^token\/([A-Za-z0-9._:@-]{1,128})$/;
/** `arn:<partition>:iot:<region>:<account>:cert/<id>`: ours or AWS's. */
const CERTIFICATE_ARN = /^arn:[a-z-]+:iot:[a-z0-9-]*:\d*:cert\/((?:0x)?[0-9a-fA-F]{64})$/;

export function parsePrincipal(value: unknown, field = 'principal'): Principal {
  const text = typeof value === 'string' ? value.trim() : '';
  const token = TOKEN_PRINCIPAL.exec(text);
  if (token?.[1]) return { kind: 'token', principal: text, tokenId: token[1] };
  const arn = CERTIFICATE_ARN.exec(text);
  const id = (arn?.[1] ?? text).replace(/^0x/i, '').toLowerCase();
  if (CERTIFICATE_ID.test(id)) return { kind: 'certificate', principal: id, certificateId: id };
  throw new SluiceError(
    'SLUICE_ERR_REQUEST_INVALID',
    `${field}: '${text.slice(0, 200)}' is not a principal: use a certificate id (64 hex characters), a certificate ARN or token/<tokenId>`,
    { place: { field } },
  );
}

/** AWS's thing-principal relation: EXCLUSIVE_THING means the principal is attached to that thing only. */
export const THING_PRINCIPAL_TYPES = ['EXCLUSIVE_THING', 'NON_EXCLUSIVE_THING'] as const;
export type ThingPrincipalType = (typeof THING_PRINCIPAL_TYPES)[number];

/** ListThingPrincipalsV2's items. */
export interface ThingPrincipal {
  principal: string;
  thingPrincipalType: ThingPrincipalType;
}

/** ListPrincipalThingsV2's items. */
export interface PrincipalThing {
  thingName: string;
  thingPrincipalType: ThingPrincipalType;
}

export interface AttachThingPrincipalOptions {
  /** AWS's `thingPrincipalType: EXCLUSIVE_THING`. Default false. */
  exclusive?: boolean;
}

/**
 * Everything attached to one principal, in one document keyed by the
 * principal: the broker's lookups on connect (policies and things of a
 * principal) are a single read, and every attach/detach is a single write.
 * Lookups from the other side (a thing's principals, a policy's targets) scan
 * the collection; they are operator actions, not per-connection work.
 */
export interface PrincipalAttachments {
  principal: string;
  things: Array<{ thingName: string; thingPrincipalType: ThingPrincipalType; attachedAt: string }>;
  policies: Array<{ policyName: string; attachedAt: string }>;
}

export function emptyAttachments(principal: string): PrincipalAttachments {
  return { principal, things: [], policies: [] };
}

export function isEmpty(attachments: PrincipalAttachments): boolean {
  return attachments.things.length === 0 && attachments.policies.length === 0;
}

/**
 * The exclusivity rules of AttachThingPrincipal. Returns the thing an
 * attachment would conflict with, or undefined when it is allowed.
 */
export function exclusivityConflict(attachments: PrincipalAttachments, thingName: string, type: ThingPrincipalType): string | undefined {
  const others = attachments.things.filter((t) => t.thingName !== thingName);
  if (type === 'EXCLUSIVE_THING') return others[0]?.thingName;
  return others.find((t) => t.thingPrincipalType === 'EXCLUSIVE_THING')?.thingName;
}
