import { SluiceError } from '../../core/index.js';

/** RFC 5321 §4.5.3.1: at most 64 octets before the @ and 254 in all (the path limit minus the brackets). */
const MAX_LOCAL = 64;
const MAX_ADDRESS = 254;
/** RFC 5322 dot-atom: no quoted local parts, which no real subscriber needs and which complicate headers. */
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
/** Host name labels (letters may be non-ASCII: internationalized domains); a single label such as `localhost` is allowed for dev set-ups. */
const DOMAIN_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;

/**
 * Checks an email endpoint and returns its normalized form (trimmed, domain
 * lower-cased; the local part is kept as given because RFC 5321 lets it be
 * case-sensitive). Refuses anything that could name a second recipient or
 * smuggle a header: display names, commas, angle brackets, whitespace.
 */
export function normalizeEmailAddress(endpoint: string): string {
  const address = endpoint.trim();
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1).toLowerCase();
  const problem =
    at < 0 ? 'it has no @'
    : address.length > MAX_ADDRESS ? `it is longer than ${MAX_ADDRESS} characters`
    : local.length === 0 || local.length > MAX_LOCAL || !LOCAL_PART.test(local) ? 'the part before the @ is not a valid mailbox name'
    : !domain.split('.').every((label) => DOMAIN_LABEL.test(label)) ? 'the part after the @ is not a valid domain'
    : undefined;
  if (problem !== undefined) {
    throw new SluiceError('SLUICE_ERR_SUBSCRIPTION_INVALID', `invalid email address ${JSON.stringify(endpoint)}: ${problem}`, {
      place: { field: 'endpoint' },
      details: { endpoint },
    });
  }
  return `${local}@${domain}`;
}
