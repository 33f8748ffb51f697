/**
 * Subscription attributes (SNS's Subscribe `Attributes` and
 * SetSubscriptionAttributes): DeliveryPolicy, FilterPolicy,
 * FilterPolicyScope, RawMessageDelivery, and Sluice's hmacSecret and dedupe
 * (alert hygiene, `hygiene.ts`). Checked
 * here, pure, so the service and stack files give the same errors
 * (SLUICE_ERR_SUBSCRIPTION_INVALID naming the field, e.g.
 * `filterPolicy.price[0].numeric[1]: ...`).
 */
import { SluiceError, isSluiceError } from '../core/index.js';
import { FILTER_POLICY_SCOPES, parseFilterPolicy, type FilterPolicy } from './filter-policy.js';
import { parseAlertHygieneConfig, type AlertHygieneConfig } from './hygiene.js';
import { parseDeliveryPolicy } from './outbox-policy.js';
import { ENDPOINT_NORMALIZERS } from './protocols/endpoints.js';
import type { SubscriptionRecord } from './records.js';
import { PROTOCOLS, type FilterPolicyScope, type Protocol, type SubscribeInput, type SubscriptionAttributesInput } from './types.js';

/** The stored attribute fields of a subscription. */
export type AttributeFields = Pick<SubscriptionRecord, 'deliveryPolicy' | 'filterPolicy' | 'filterPolicyScope' | 'rawMessageDelivery' | 'hmacSecret' | 'dedupe'>;

const ATTRIBUTE_KEYS = ['deliveryPolicy', 'filterPolicy', 'filterPolicyScope', 'rawMessageDelivery', 'hmacSecret', 'dedupe'] as const;

/** Protocols that take `rawMessageDelivery` and `hmacSecret`. */
export const HTTP_PROTOCOLS: ReadonlySet<Protocol> = new Set(['http', 'https']);

export const MIN_HMAC_SECRET_CHARS = 16;
export const MAX_HMAC_SECRET_CHARS = 1024;

function invalid(field: string, message: string): SluiceError {
  return new SluiceError('SLUICE_ERR_SUBSCRIPTION_INVALID', `${field}: ${message}`, { place: { field } });
}

/** The protocol, checked: input may come straight from an API body or a stack file. */
export function checkProtocol(protocol: unknown): Protocol {
  if (typeof protocol === 'string' && (PROTOCOLS as readonly string[]).includes(protocol)) return protocol as Protocol;
  throw new SluiceError('SLUICE_ERR_SUBSCRIPTION_INVALID', `unsupported protocol ${JSON.stringify(protocol)}: expected one of ${PROTOCOLS.join(', ')}`, { place: { field: 'protocol' } });
}

/**
 * The attributes after `change`: a value replaces, `null` clears, undefined
 * keeps what `current` has (with `replace`, `current` is ignored: what is not
 * given is cleared). Validates everything against the protocol.
 */
export function applyAttributes(protocol: Protocol, current: AttributeFields, change: SubscriptionAttributesInput, replace = false): AttributeFields {
  const next: AttributeFields = replace ? {} : pickAttributes(current);
  if (change.deliveryPolicy === null) delete next.deliveryPolicy;
  else if (change.deliveryPolicy !== undefined) next.deliveryPolicy = parseDeliveryPolicy(change.deliveryPolicy);

  if (change.rawMessageDelivery === null) delete next.rawMessageDelivery;
  else if (change.rawMessageDelivery !== undefined) {
    const raw = booleanAttribute('rawMessageDelivery', change.rawMessageDelivery);
    if (raw && !HTTP_PROTOCOLS.has(protocol)) {
      throw invalid('rawMessageDelivery', `the ${protocol} protocol does not support raw message delivery (only http and https do${protocol === 'mqtt' ? '; mqtt always publishes the message as it is' : ''})`);
    }
    if (raw) next.rawMessageDelivery = true;
    else delete next.rawMessageDelivery;
  }

  if (change.hmacSecret === null) delete next.hmacSecret;
  else if (change.hmacSecret !== undefined) {
    if (!HTTP_PROTOCOLS.has(protocol)) throw invalid('hmacSecret', `only http and https subscriptions are signed with an HMAC secret, not ${protocol}`);
    next.hmacSecret = checkHmacSecret(change.hmacSecret);
  }

  if (change.dedupe === null) delete next.dedupe;
  else if (change.dedupe !== undefined) next.dedupe = checkDedupe(change.dedupe);

  if (change.filterPolicy === null) {
    delete next.filterPolicy;
    delete next.filterPolicyScope;
  } else if (change.filterPolicy !== undefined) {
    next.filterPolicy = change.filterPolicy as Record<string, unknown>; // checked below, replaced by its parsed document
  }
  if (change.filterPolicyScope === null) delete next.filterPolicyScope;
  else if (change.filterPolicyScope !== undefined) {
    if (!(FILTER_POLICY_SCOPES as readonly unknown[]).includes(change.filterPolicyScope)) {
      throw invalid('filterPolicyScope', `must be ${FILTER_POLICY_SCOPES.join(' or ')}, got ${JSON.stringify(change.filterPolicyScope)}`);
    }
    if (next.filterPolicy === undefined) throw invalid('filterPolicyScope', 'needs a filterPolicy: the scope says what the filter policy looks at');
    next.filterPolicyScope = change.filterPolicyScope;
  }
  if (next.filterPolicy !== undefined) {
    const policy = compileFilterPolicy(next.filterPolicy, next.filterPolicyScope ?? 'MessageAttributes');
    next.filterPolicy = policy.document;
    next.filterPolicyScope = policy.scope;
  } else {
    delete next.filterPolicyScope;
  }
  return next;
}

export function pickAttributes(record: AttributeFields): AttributeFields {
  const picked: AttributeFields = {};
  for (const key of ATTRIBUTE_KEYS) {
    if (record[key] !== undefined) (picked as Record<string, unknown>)[key] = record[key];
  }
  return picked;
}

export function sameAttributes(a: AttributeFields, b: AttributeFields): boolean {
  return ATTRIBUTE_KEYS.every((key) => JSON.stringify(a[key]) === JSON.stringify(b[key]));
}

/** The attributes a SubscribeInput carries (undefined: not given). */
export function attributesOf(input: SubscribeInput): SubscriptionAttributesInput {
  const change: SubscriptionAttributesInput = {};
  if (input.deliveryPolicy !== undefined) change.deliveryPolicy = input.deliveryPolicy;
  if (input.filterPolicy !== undefined) change.filterPolicy = input.filterPolicy;
  if (input.filterPolicyScope !== undefined) change.filterPolicyScope = input.filterPolicyScope;
  if (input.rawMessageDelivery !== undefined) change.rawMessageDelivery = input.rawMessageDelivery;
  if (input.hmacSecret !== undefined) change.hmacSecret = input.hmacSecret;
  if (input.dedupe !== undefined) change.dedupe = input.dedupe;
  return change;
}

/**
 * Checks a whole subscription as given (protocol, endpoint, attributes)
 * without a service: for stack files, whose errors then point at the field.
 * Returns the normalized endpoint.
 */
export function validateSubscriptionInput(input: SubscribeInput): string {
  const protocol = checkProtocol(input.protocol);
  if (typeof input.endpoint !== 'string') throw invalid('endpoint', 'is required: a string');
  const endpoint = ENDPOINT_NORMALIZERS[protocol](input.endpoint);
  applyAttributes(protocol, {}, attributesOf(input), true);
  return endpoint;
}

/** A stored policy compiled; errors become SLUICE_ERR_SUBSCRIPTION_INVALID on `filterPolicy...`. */
export function compileFilterPolicy(document: unknown, scope: FilterPolicyScope): FilterPolicy {
  try {
    return parseFilterPolicy(document, scope);
  } catch (error) {
    if (!isSluiceError(error)) throw error;
    const field = (error.place?.field ?? 'FilterPolicy').replace(/^FilterPolicyScope/, 'filterPolicyScope').replace(/^FilterPolicy/, 'filterPolicy');
    const message = error.message.replace(/^FilterPolicyScope/, 'filterPolicyScope').replace(/^FilterPolicy/, 'filterPolicy');
    throw new SluiceError('SLUICE_ERR_SUBSCRIPTION_INVALID', message, { place: { field }, cause: error });
  }
}

function booleanAttribute(field: string, value: unknown): boolean {
  // SNS's attributes are strings ("true"); JSON and YAML give booleans.
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw invalid(field, `must be true or false, got ${JSON.stringify(value)}`);
}

/** A `dedupe` block, checked (SLUICE_ERR_SUBSCRIPTION_INVALID naming the field, e.g. `dedupe.window`). */
function checkDedupe(value: unknown): AlertHygieneConfig {
  try {
    return parseAlertHygieneConfig(value, 'dedupe').config;
  } catch (error) {
    if (!isSluiceError(error)) throw error;
    throw new SluiceError('SLUICE_ERR_SUBSCRIPTION_INVALID', error.message, { place: { field: error.place?.field ?? 'dedupe' }, cause: error });
  }
}

function checkHmacSecret(value: unknown): string {
  if (typeof value !== 'string') throw invalid('hmacSecret', 'must be a string');
  if (value.length < MIN_HMAC_SECRET_CHARS || value.length > MAX_HMAC_SECRET_CHARS) {
    throw invalid('hmacSecret', `must be ${MIN_HMAC_SECRET_CHARS} to ${MAX_HMAC_SECRET_CHARS} characters (a random one: openssl rand -hex 32)`);
  }
  return value;
}
