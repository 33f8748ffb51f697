/**
 * Test cases for filter-policy.ts, taken from the Amazon SNS Developer Guide
 * (section named in `section` and in the comment above each group). Cases
 * marked "AWS-observed" come from behaviour recorded against real SNS (the
 * LocalStack project's AWS-validated snapshot tests), where the guide is silent.
 *
 * Message attributes are written as SNS's Publish takes them (DataType,
 * StringValue); the guide shows the delivered form ({"Type", "Value"}).
 */
import type { FilterableMessage, FilterPolicyScope, MessageAttributeValue } from './filter-policy.js';

export interface MatchCase {
  section: string;
  name: string;
  scope?: FilterPolicyScope;
  policy: Record<string, unknown>;
  message: FilterableMessage;
  expected: boolean;
}

type AttributeSpec = string | number | readonly unknown[] | MessageAttributeValue;

/** Attributes: a string is `String`, a number `Number`, an array `String.Array`; or a full value. */
export function attrs(spec: Record<string, AttributeSpec>): FilterableMessage {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(spec)) {
    if (typeof value === 'string') attributes[name] = { DataType: 'String', StringValue: value };
    else if (typeof value === 'number') attributes[name] = { DataType: 'Number', StringValue: String(value) };
    else if (Array.isArray(value)) attributes[name] = { DataType: 'String.Array', StringValue: JSON.stringify(value) };
    else attributes[name] = value as MessageAttributeValue;
  }
  return { attributes };
}

/** A JSON body. */
export function body(value: unknown): FilterableMessage {
  return { body: JSON.stringify(value) };
}

const BODY: FilterPolicyScope = 'MessageBody';

// "Amazon SNS example filter policies": the example message, as attributes and as body.
const EXAMPLE_ATTRIBUTES = attrs({
  customer_interests: ['soccer', 'rugby', 'hockey'],
  store: 'example_corp',
  event: 'order_placed',
  price_usd: { DataType: 'Number', StringValue: '210.75' },
});
const EXAMPLE_BODY = body({ customer_interests: ['soccer', 'rugby', 'hockey'], store: 'example_corp', event: 'order_placed', price_usd: 210.75 });
const ACCEPTING_POLICY = {
  store: ['example_corp'],
  event: [{ 'anything-but': 'order_cancelled' }],
  customer_interests: ['rugby', 'football', 'baseball'],
  price_usd: [{ numeric: ['>=', 100] }],
};
const REJECTING_POLICY = {
  store: ['example_corp'],
  event: ['order_cancelled'],
  encrypted: [false],
  customer_interests: ['basketball', 'baseball'],
};

// "Key matching": the example attributes and body.
const WITH_STORE = attrs({ store: 'fans', customer_interests: ['baseball', 'basketball'] });
const WITHOUT_STORE = attrs({ customer_interests: ['baseball', 'basketball'] });
const BODY_WITH_STORE = body({ store: 'fans', customer_interests: ['baseball', 'basketball'] });
const BODY_WITHOUT_STORE = body({ customer_interests: ['baseball', 'basketball'] });

// "AND/OR logic › OR operator" examples.
const STANDARD_OR = {
  source: ['aws.cloudwatch'],
  $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
};
const NESTED_OR = {
  source: ['aws.cloudwatch'],
  $or: [
    { metricName: ['CPUUtilization', 'ReadLatency'] },
    { metricType: ['MetricType'], $or: [{ metricId: [1234, 4321] }, { spaceId: [1000, 2000, 3000] }] },
  ],
};
// AWS-observed: OR inside a nested body object.
const BODY_NESTED_OR = {
  $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
  detail: { scope: ['Service'], $or: [{ source: ['aws.cloudwatch'] }, { type: ['CloudWatch Alarm State Change'] }] },
};

// "Message body filtering": the S3 event example of AWS's announcement of payload-based filtering.
const S3_POLICY = { Records: { s3: { object: { key: [{ prefix: 'auto-' }] } }, eventName: [{ prefix: 'ObjectCreated:' }] } };
function s3Event(eventName: string, key: string): FilterableMessage {
  return body({ Records: [{ eventSource: 'aws:s3', eventName, s3: { bucket: { name: 'insurance-bucket-demo' }, object: { key, size: 17 } } }] });
}

export const MATCH_CASES: MatchCase[] = [
  // --- Amazon SNS example filter policies -----------------------------------
  { section: 'Example filter policies', name: 'the accepting policy accepts the example attributes', policy: ACCEPTING_POLICY, message: EXAMPLE_ATTRIBUTES, expected: true },
  { section: 'Example filter policies', name: 'the rejecting policy rejects them (encrypted is missing, event differs)', policy: REJECTING_POLICY, message: EXAMPLE_ATTRIBUTES, expected: false },
  { section: 'Example filter policies', name: 'the accepting policy accepts the example body', scope: BODY, policy: ACCEPTING_POLICY, message: EXAMPLE_BODY, expected: true },
  { section: 'Example filter policies', name: 'the rejecting policy rejects the example body', scope: BODY, policy: REJECTING_POLICY, message: EXAMPLE_BODY, expected: false },

  // --- String value matching › Exact matching -------------------------------
  { section: 'String value matching › Exact matching', name: 'String rugby', policy: { customer_interests: ['rugby', 'tennis'] }, message: attrs({ customer_interests: 'rugby' }), expected: true },
  { section: 'String value matching › Exact matching', name: 'String tennis', policy: { customer_interests: ['rugby', 'tennis'] }, message: attrs({ customer_interests: 'tennis' }), expected: true },
  { section: 'String value matching › Exact matching', name: 'String.Array: each element is a separate string', policy: { customer_interests: ['rugby', 'tennis'] }, message: attrs({ customer_interests: ['rugby', 'tennis'] }), expected: true },
  { section: 'String value matching › Exact matching', name: 'String baseball does not match', policy: { customer_interests: ['rugby', 'tennis'] }, message: attrs({ customer_interests: 'baseball' }), expected: false },
  { section: 'String value matching › Exact matching', name: 'String.Array ["baseball"] does not match', policy: { customer_interests: ['rugby', 'tennis'] }, message: attrs({ customer_interests: ['baseball'] }), expected: false },
  { section: 'String value matching › Exact matching', name: 'body rugby', scope: BODY, policy: { customer_interests: ['rugby', 'tennis'] }, message: body({ customer_interests: 'rugby' }), expected: true },
  { section: 'String value matching › Exact matching', name: 'body baseball does not match', scope: BODY, policy: { customer_interests: ['rugby', 'tennis'] }, message: body({ customer_interests: 'baseball' }), expected: false },
  { section: 'Filter policy constraints', name: 'string matching is case-sensitive', policy: { customer_interests: ['rugby'] }, message: attrs({ customer_interests: 'Rugby' }), expected: false },
  // AWS-observed: an empty string is a value an exact match can name.
  { section: 'String value matching › Exact matching (AWS-observed)', name: 'body "" matches [""]', scope: BODY, policy: { detail: { eventVersion: [''] } }, message: body({ resources: [], detail: { eventVersion: '', responseElements: null } }), expected: true },

  // --- String value matching › Anything-but matching ------------------------
  { section: 'String value matching › Anything-but matching', name: 'String baseball', policy: { customer_interests: [{ 'anything-but': ['rugby', 'tennis'] }] }, message: attrs({ customer_interests: 'baseball' }), expected: true },
  { section: 'String value matching › Anything-but matching', name: 'body football', scope: BODY, policy: { customer_interests: [{ 'anything-but': ['rugby', 'tennis'] }] }, message: body({ customer_interests: 'football' }), expected: true },
  { section: 'String value matching › Anything-but matching', name: 'String rugby does not match', policy: { customer_interests: [{ 'anything-but': ['rugby', 'tennis'] }] }, message: attrs({ customer_interests: 'rugby' }), expected: false },
  { section: 'String value matching › Anything-but matching', name: 'String.Array matches only if none of its elements is listed: [rugby, baseball] does not', policy: { customer_interests: [{ 'anything-but': ['rugby', 'tennis'] }] }, message: attrs({ customer_interests: ['rugby', 'baseball'] }), expected: false },
  { section: 'String value matching › Anything-but matching', name: 'String.Array [baseball, football] matches', policy: { customer_interests: [{ 'anything-but': ['rugby', 'tennis'] }] }, message: attrs({ customer_interests: ['baseball', 'football'] }), expected: true },
  { section: 'String value matching › Anything-but matching', name: 'body array [rugby, baseball] matches: it contains a value that is not rugby or tennis', scope: BODY, policy: { customer_interests: [{ 'anything-but': ['rugby', 'tennis'] }] }, message: body({ customer_interests: ['rugby', 'baseball'] }), expected: true },
  { section: 'String value matching › Anything-but matching', name: 'a missing key does not match anything-but alone', policy: { customer_interests: [{ 'anything-but': ['rugby', 'tennis'] }] }, message: attrs({ store: 'fans' }), expected: false },
  { section: 'String value matching › Anything-but matching', name: 'anything-but combined with "exists": false matches a missing key', policy: { customer_interests: [{ 'anything-but': ['rugby', 'tennis'] }, { exists: false }] }, message: attrs({ store: 'fans' }), expected: true },
  // AWS-observed: [null, {"anything-but": ...}] does not match a message without attributes.
  { section: 'String value matching › Anything-but matching (AWS-observed)', name: 'null and anything-but do not match a message without attributes', policy: { attr1: [null, { 'anything-but': 'whatever' }] }, message: {}, expected: false },

  // --- String value matching › Using a prefix with the anything-but operator -
  { section: 'String value matching › Anything-but with prefix', name: 'data-entry', policy: { event: [{ 'anything-but': { prefix: 'order-' } }] }, message: attrs({ event: 'data-entry' }), expected: true },
  { section: 'String value matching › Anything-but with prefix', name: 'order_number', scope: BODY, policy: { event: [{ 'anything-but': { prefix: 'order-' } }] }, message: body({ event: 'order_number' }), expected: true },
  { section: 'String value matching › Anything-but with prefix', name: 'order-cancelled does not match', policy: { event: [{ 'anything-but': { prefix: 'order-' } }] }, message: attrs({ event: 'order-cancelled' }), expected: false },

  // --- String value matching › Equals-ignore-case matching ------------------
  { section: 'String value matching › Equals-ignore-case matching', name: 'TENNIS', policy: { customer_interests: [{ 'equals-ignore-case': 'tennis' }] }, message: attrs({ customer_interests: 'TENNIS' }), expected: true },
  { section: 'String value matching › Equals-ignore-case matching', name: 'body Tennis', scope: BODY, policy: { customer_interests: [{ 'equals-ignore-case': 'tennis' }] }, message: body({ customer_interests: 'Tennis' }), expected: true },
  { section: 'String value matching › Equals-ignore-case matching', name: 'baseball does not match', policy: { customer_interests: [{ 'equals-ignore-case': 'tennis' }] }, message: attrs({ customer_interests: 'baseball' }), expected: false },

  // --- String value matching › IP address matching --------------------------
  { section: 'String value matching › IP address matching', name: '10.0.0.0 in 10.0.0.0/24', policy: { source_ip: [{ cidr: '10.0.0.0/24' }] }, message: attrs({ source_ip: '10.0.0.0' }), expected: true },
  { section: 'String value matching › IP address matching', name: '10.0.0.255 in 10.0.0.0/24', scope: BODY, policy: { source_ip: [{ cidr: '10.0.0.0/24' }] }, message: body({ source_ip: '10.0.0.255' }), expected: true },
  { section: 'String value matching › IP address matching', name: '10.1.1.0 is not', policy: { source_ip: [{ cidr: '10.0.0.0/24' }] }, message: attrs({ source_ip: '10.1.1.0' }), expected: false },
  // AWS-observed: IPv6 CIDRs inside a body $or; 10.0.0.256 is no address.
  { section: 'String value matching › IP address matching (AWS-observed)', name: 'IPv6 in full form inside a /64', scope: BODY, policy: { detail: { $or: [{ sourceIPAddress: [{ cidr: '10.0.0.0/24' }] }, { sourceIPAddressV6: [{ cidr: '2001:db8:1234:1a00::/64' }] }] } }, message: body({ detail: { sourceIPAddressV6: '2001:0db8:1234:1a00:0000:0000:0000:0000' } }), expected: true },
  { section: 'String value matching › IP address matching (AWS-observed)', name: 'IPv6 outside the /64', scope: BODY, policy: { detail: { $or: [{ sourceIPAddress: [{ cidr: '10.0.0.0/24' }] }, { sourceIPAddressV6: [{ cidr: '2001:db8:1234:1a00::/64' }] }] } }, message: body({ detail: { sourceIPAddressV6: '2001:0db8:123f:1a01:0000:0000:0000:0000' } }), expected: false },
  { section: 'String value matching › IP address matching (AWS-observed)', name: '10.0.0.256 is not an address', scope: BODY, policy: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, message: body({ detail: { sourceIPAddress: '10.0.0.256' } }), expected: false },

  // --- String value matching › Prefix matching ------------------------------
  { section: 'String value matching › Prefix matching', name: 'baseball', policy: { customer_interests: [{ prefix: 'bas' }] }, message: attrs({ customer_interests: 'baseball' }), expected: true },
  { section: 'String value matching › Prefix matching', name: 'body basketball', scope: BODY, policy: { customer_interests: [{ prefix: 'bas' }] }, message: body({ customer_interests: 'basketball' }), expected: true },
  { section: 'String value matching › Prefix matching', name: 'rugby does not match', policy: { customer_interests: [{ prefix: 'bas' }] }, message: attrs({ customer_interests: 'rugby' }), expected: false },

  // --- String value matching › Suffix matching ------------------------------
  { section: 'String value matching › Suffix matching', name: 'baseball', policy: { customer_interests: [{ suffix: 'ball' }] }, message: attrs({ customer_interests: 'baseball' }), expected: true },
  { section: 'String value matching › Suffix matching', name: 'body basketball', scope: BODY, policy: { customer_interests: [{ suffix: 'ball' }] }, message: body({ customer_interests: 'basketball' }), expected: true },
  { section: 'String value matching › Suffix matching', name: 'rugby does not match', policy: { customer_interests: [{ suffix: 'ball' }] }, message: attrs({ customer_interests: 'rugby' }), expected: false },

  // --- Numeric value matching › Exact matching ------------------------------
  { section: 'Numeric value matching › Exact matching', name: 'Number 301.5', policy: { price_usd: [{ numeric: ['=', 301.5] }] }, message: attrs({ price_usd: 301.5 }), expected: true },
  { section: 'Numeric value matching › Exact matching', name: 'Number 3.015e2', policy: { price_usd: [{ numeric: ['=', 301.5] }] }, message: attrs({ price_usd: { DataType: 'Number', StringValue: '3.015e2' } }), expected: true },
  { section: 'Numeric value matching › Exact matching', name: 'body 3.015e2', scope: BODY, policy: { price_usd: [{ numeric: ['=', 301.5] }] }, message: { body: '{"price_usd": 3.015e2}' }, expected: true },
  { section: 'Numeric value matching › Exact matching', name: 'a plain number in the policy matches numerically too', policy: { metricId: [1234, 4321] }, message: attrs({ metricId: { DataType: 'Number', StringValue: '1234.0' } }), expected: true },
  { section: 'Numeric value matching › Exact matching', name: 'numbers match numbers: the String "301.5" is not the number 301.5', policy: { price_usd: [{ numeric: ['=', 301.5] }] }, message: attrs({ price_usd: '301.5' }), expected: false },
  { section: 'Numeric value matching › Exact matching', name: 'numbers match numbers: the body string "301.5" is not the number', scope: BODY, policy: { price_usd: [301.5] }, message: body({ price_usd: '301.5' }), expected: false },
  { section: 'Filter policy constraints', name: 'numbers are compared with five digits after the decimal point', policy: { price_usd: [{ numeric: ['=', 301.5] }] }, message: attrs({ price_usd: { DataType: 'Number', StringValue: '301.500001' } }), expected: true },
  { section: 'Filter policy constraints', name: 'numbers beyond ±10^9 are outside what SNS compares', policy: { price_usd: [{ numeric: ['>', 0] }] }, message: attrs({ price_usd: 2e9 }), expected: false },
  { section: 'Numeric value matching › Exact matching', name: 'numbers inside a String.Array are numbers', policy: { price: [{ numeric: ['>', 60] }] }, message: attrs({ price: [100, 'x'] }), expected: true },

  // --- Numeric value matching › Anything-but matching -----------------------
  { section: 'Numeric value matching › Anything-but matching', name: 'Number 101', policy: { price: [{ 'anything-but': [100, 500] }] }, message: attrs({ price: 101 }), expected: true },
  { section: 'Numeric value matching › Anything-but matching', name: 'Number 100.1', policy: { price: [{ 'anything-but': [100, 500] }] }, message: attrs({ price: 100.1 }), expected: true },
  { section: 'Numeric value matching › Anything-but matching', name: 'body [100, 50] contains a value that is not 100 or 500', scope: BODY, policy: { price: [{ 'anything-but': [100, 500] }] }, message: body({ price: [100, 50] }), expected: true },
  { section: 'Numeric value matching › Anything-but matching', name: 'Number 100 does not match', policy: { price: [{ 'anything-but': [100, 500] }] }, message: attrs({ price: 100 }), expected: false },
  { section: 'Numeric value matching › Anything-but matching', name: 'body 100 does not match', scope: BODY, policy: { price: [{ 'anything-but': [100, 500] }] }, message: body({ price: 100 }), expected: false },

  // --- Numeric value matching › Value range matching ------------------------
  { section: 'Numeric value matching › Value range matching', name: '["<", 0] matches negative numbers', policy: { price_usd: [{ numeric: ['<', 0] }] }, message: attrs({ price_usd: -0.5 }), expected: true },
  { section: 'Numeric value matching › Value range matching', name: '["<", 0] does not match 0', policy: { price_usd: [{ numeric: ['<', 0] }] }, message: attrs({ price_usd: 0 }), expected: false },
  { section: 'Numeric value matching › Value range matching', name: '[">", 0, "<=", 150] includes 150', policy: { price_usd: [{ numeric: ['>', 0, '<=', 150] }] }, message: attrs({ price_usd: 150 }), expected: true },
  { section: 'Numeric value matching › Value range matching', name: '[">", 0, "<=", 150] includes the smallest positive number SNS sees', scope: BODY, policy: { price_usd: [{ numeric: ['>', 0, '<=', 150] }] }, message: body({ price_usd: 0.00001 }), expected: true },
  { section: 'Numeric value matching › Value range matching', name: '[">", 0, "<=", 150] excludes 0', policy: { price_usd: [{ numeric: ['>', 0, '<=', 150] }] }, message: attrs({ price_usd: 0 }), expected: false },
  { section: 'Numeric value matching › Value range matching', name: '[">", 0, "<=", 150] excludes 150.5', scope: BODY, policy: { price_usd: [{ numeric: ['>', 0, '<=', 150] }] }, message: body({ price_usd: 150.5 }), expected: false },
  // AWS-observed: a Number attribute 99 in (0, 100], 111 not.
  { section: 'Numeric value matching › Value range matching (AWS-observed)', name: '99 in (0, 100]', policy: { attr1: [{ numeric: ['>', 0, '<=', 100] }] }, message: attrs({ attr1: 99 }), expected: true },
  { section: 'Numeric value matching › Value range matching (AWS-observed)', name: '111 not in (0, 100]', policy: { attr1: [{ numeric: ['>', 0, '<=', 100] }] }, message: attrs({ attr1: 111 }), expected: false },

  // --- Key matching ---------------------------------------------------------
  { section: 'Key matching', name: 'exists true: attributes with store', policy: { store: [{ exists: true }] }, message: WITH_STORE, expected: true },
  { section: 'Key matching', name: 'exists true: body with store', scope: BODY, policy: { store: [{ exists: true }] }, message: BODY_WITH_STORE, expected: true },
  { section: 'Key matching', name: 'exists true: attributes without store', policy: { store: [{ exists: true }] }, message: WITHOUT_STORE, expected: false },
  { section: 'Key matching', name: 'exists true: body without store', scope: BODY, policy: { store: [{ exists: true }] }, message: BODY_WITHOUT_STORE, expected: false },
  { section: 'Key matching', name: 'exists true: a null value is not a value', scope: BODY, policy: { store: [{ exists: true }] }, message: body({ store: null }), expected: false },
  { section: 'Key matching', name: 'exists only works on leaf nodes', scope: BODY, policy: { store: [{ exists: true }] }, message: body({ store: { name: 'fans' } }), expected: false },
  { section: 'Key matching', name: 'exists false: attributes with store', policy: { store: [{ exists: false }] }, message: WITH_STORE, expected: false },
  { section: 'Key matching', name: 'exists false: body with store', scope: BODY, policy: { store: [{ exists: false }] }, message: BODY_WITH_STORE, expected: false },
  { section: 'Key matching', name: 'exists false: attributes without store', policy: { store: [{ exists: false }] }, message: WITHOUT_STORE, expected: true },
  { section: 'Key matching', name: 'exists false: body without store', scope: BODY, policy: { store: [{ exists: false }] }, message: BODY_WITHOUT_STORE, expected: true },
  { section: 'Key matching', name: 'exists false needs at least one attribute', policy: { store: [{ exists: false }] }, message: { attributes: {} }, expected: false },
  { section: 'Filter policy constraints', name: 'Binary attributes are ignored: a Binary store does not exist', policy: { store: [{ exists: true }] }, message: attrs({ store: { DataType: 'Binary', BinaryValue: 'AAE=' } }), expected: false },
  { section: 'Filter policy constraints', name: 'Binary attributes are ignored: they do not count for exists false', policy: { store: [{ exists: false }] }, message: attrs({ blob: { DataType: 'Binary', BinaryValue: 'AAE=' } }), expected: false },
  // AWS-observed: exists true holds for a Number attribute too.
  { section: 'Key matching (AWS-observed)', name: 'exists true: a Number attribute', policy: { store: [{ exists: true }] }, message: attrs({ store: 99, def: 99 }), expected: true },

  // --- AND/OR logic ---------------------------------------------------------
  { section: 'AND/OR logic › AND logic', name: 'rugby and price > 100', policy: { customer_interests: ['rugby'], price_usd: [{ numeric: ['>', 100] }] }, message: attrs({ customer_interests: 'rugby', price_usd: 150 }), expected: true },
  { section: 'AND/OR logic › AND logic', name: 'rugby but price 100', scope: BODY, policy: { customer_interests: ['rugby'], price_usd: [{ numeric: ['>', 100] }] }, message: body({ customer_interests: 'rugby', price_usd: 100 }), expected: false },
  { section: 'AND/OR logic › OR logic', name: 'football is one of the values', policy: { customer_interests: ['rugby', 'football', 'baseball'] }, message: attrs({ customer_interests: 'football' }), expected: true },
  { section: 'AND/OR logic › OR operator', name: 'standard OR: source and metricName', policy: STANDARD_OR, message: attrs({ source: 'aws.cloudwatch', metricName: 'CPUUtilization' }), expected: true },
  { section: 'AND/OR logic › OR operator', name: 'standard OR: source and namespace (body)', scope: BODY, policy: STANDARD_OR, message: body({ source: 'aws.cloudwatch', namespace: 'AWS/EC2' }), expected: true },
  { section: 'AND/OR logic › OR operator', name: 'standard OR: neither alternative', policy: STANDARD_OR, message: attrs({ source: 'aws.cloudwatch', metricName: 'ReadLatency', namespace: 'AWS/ES' }), expected: false },
  { section: 'AND/OR logic › OR operator', name: 'standard OR: an alternative but no source', scope: BODY, policy: STANDARD_OR, message: body({ metricName: 'CPUUtilization' }), expected: false },
  { section: 'AND/OR logic › OR operator', name: 'nested OR: source, metricType and spaceId', policy: NESTED_OR, message: attrs({ source: 'aws.cloudwatch', metricType: 'MetricType', spaceId: 1000 }), expected: true },
  { section: 'AND/OR logic › OR operator', name: 'nested OR: metricType without metricId or spaceId', scope: BODY, policy: NESTED_OR, message: body({ source: 'aws.cloudwatch', metricType: 'MetricType', metricId: 9999 }), expected: false },
  { section: 'AND/OR logic › OR operator', name: '$or over operator names is an attribute called "$or"', policy: { $or: [{ prefix: 'abc' }, { suffix: 'xyz' }] }, message: attrs({ $or: 'abc-123' }), expected: true },
  { section: 'AND/OR logic › OR operator (AWS-observed)', name: 'body OR at two levels: metricName and detail.scope and detail.source', scope: BODY, policy: BODY_NESTED_OR, message: body({ metricName: 'CPUUtilization', detail: { scope: 'Service', source: 'aws.cloudwatch' } }), expected: true },
  { section: 'AND/OR logic › OR operator (AWS-observed)', name: 'body OR at two levels: detail.scope missing', scope: BODY, policy: BODY_NESTED_OR, message: body({ metricName: 'CPUUtilization', detail: { type: 'CloudWatch Alarm State Change' } }), expected: false },
  { section: 'AND/OR logic › OR operator (AWS-observed)', name: 'body OR at two levels: scope at the wrong level', scope: BODY, policy: BODY_NESTED_OR, message: body({ metricName: 'CPUUtilization', scope: 'Service' }), expected: false },

  // --- Message body filtering -----------------------------------------------
  { section: 'Message body filtering', name: 'S3 event: auto- key created', scope: BODY, policy: S3_POLICY, message: s3Event('ObjectCreated:Put', 'auto-insurance-2314.xml'), expected: true },
  { section: 'Message body filtering', name: 'S3 event: auto- key removed', scope: BODY, policy: S3_POLICY, message: s3Event('ObjectRemoved:Delete', 'auto-insurance-2314.xml'), expected: false },
  { section: 'Message body filtering', name: 'S3 event: home- key created', scope: BODY, policy: S3_POLICY, message: s3Event('ObjectCreated:Put', 'home-insurance-2314.xml'), expected: false },
  { section: 'Message body filtering', name: 'a body that is not JSON never matches', scope: BODY, policy: { store: [{ exists: false }] }, message: { body: 'Regular string message' }, expected: false },
  { section: 'Message body filtering', name: 'a body that is JSON but not an object never matches', scope: BODY, policy: { store: [{ exists: false }] }, message: body('Regular string message'), expected: false },
  // AWS-observed: nesting at several levels, arrays of arrays of objects, dotted keys.
  { section: 'Message body filtering (AWS-observed)', name: 'payload-based example policy', scope: BODY, policy: { object: { key: [{ prefix: 'auto-' }, 'hardcodedvalue'], nested_key: [{ exists: false }] }, test: [{ exists: false }] }, message: body({ object: { key: 'hardcodedvalue' } }), expected: true },
  { section: 'Message body filtering (AWS-observed)', name: 'payload-based example policy: nested_key present', scope: BODY, policy: { object: { key: [{ prefix: 'auto-' }, 'hardcodedvalue'], nested_key: [{ exists: false }] }, test: [{ exists: false }] }, message: body({ object: { key: 'auto-test', nested_key: 'just-exists' } }), expected: false },
  { section: 'Message body filtering (AWS-observed)', name: 'arrays of arrays of objects are searched', scope: BODY, policy: S3_POLICY, message: body({ Records: [{ eventName: 'ObjectCreated:Put', s3: { object: [[{ key: 'auto-insurance-2314.xml' }]] } }] }), expected: true },
  { section: 'Message body filtering (AWS-observed)', name: 'a dotted policy key reaches nested objects', scope: BODY, policy: { 'object.nested': ['string.value'] }, message: body({ object: { nested: 'string.value' } }), expected: true },
  { section: 'Message body filtering (AWS-observed)', name: 'a dotted policy key matches a dotted body key', scope: BODY, policy: { 'object.nested.test': ['string.value'] }, message: body({ object: { 'nested.test': 'string.value' } }), expected: true },
  { section: 'Message body filtering (AWS-observed)', name: 'array values: route-to contains queue1', scope: BODY, policy: { headers: { 'route-to': ['queue1'] } }, message: body({ headers: { 'route-to': ['queue1', 'queue2'] } }), expected: true },
  { section: 'Message body filtering (AWS-observed)', name: 'array values: route-to lacks queue1', scope: BODY, policy: { headers: { 'route-to': ['queue1'] } }, message: body({ headers: { 'route-to': ['queue3'] } }), expected: false },
  { section: 'Filter policy constraints', name: 'true, false and null match the same JSON literal', scope: BODY, policy: { encrypted: [false], region: [null] }, message: body({ encrypted: false, region: null }), expected: true },
  { section: 'Filter policy constraints', name: 'false does not match the String "false"', policy: { encrypted: [false] }, message: attrs({ encrypted: 'false' }), expected: false },
  { section: 'Filter policy constraints', name: 'null does not match a missing key', scope: BODY, policy: { region: [null] }, message: body({ store: 'fans' }), expected: false },
];

export interface ErrorCase {
  section: string;
  name: string;
  scope?: FilterPolicyScope;
  policy: unknown;
  field: string;
  message: RegExp;
}

// Errors SNS reports (as recorded against AWS), with the path Sluice names.
export const ERROR_CASES: ErrorCase[] = [
  // --- structure --------------------------------------------------------------
  { section: 'Filter policy constraints', name: 'not an object', policy: ['a'], field: 'FilterPolicy', message: /must be a JSON object/ },
  { section: 'Filter policy constraints', name: 'missing', policy: undefined, field: 'FilterPolicy', message: /is missing/ },
  { section: 'Filter policy constraints', name: 'not JSON', policy: '{"store": [', field: 'FilterPolicy', message: /not valid JSON/ },
  { section: 'Filter policy constraints', name: 'a value that is not an array', policy: { key_a: 'value_one' }, field: 'FilterPolicy.key_a', message: /must be an array of conditions, e\.g\. \["value_one"\]/ },
  { section: 'Filter policy constraints', name: 'empty arrays', policy: { key: [] }, field: 'FilterPolicy.key', message: /empty arrays are not allowed/ },
  { section: 'Filter policy constraints', name: 'a list inside the conditions', policy: { key: [['value']] }, field: 'FilterPolicy.key[0]', message: /a condition must be a string, a number, true, false, null or an object/ },
  { section: 'Filter policy constraints', name: 'unknown operator', policy: { key: [{ 'wrong-operator': true }] }, field: 'FilterPolicy.key[0]', message: /unrecognized match type "wrong-operator"/ },
  { section: 'Filter policy constraints', name: 'two operators in one expression', policy: { key: [{ suffix: 'value', prefix: 'value2' }] }, field: 'FilterPolicy.key[0]', message: /only one operator allowed/ },
  { section: 'Filter policy constraints', name: 'nesting with scope MessageAttributes', policy: { object: { key: [{ prefix: 'auto-' }] } }, field: 'FilterPolicy.object', message: /nested objects need FilterPolicyScope MessageBody/ },
  { section: 'Filter policy constraints', name: 'an operator without its array (attributes)', policy: { key: { suffix: 'value' } }, field: 'FilterPolicy.key', message: /"suffix" is an operator: conditions go in an array, e\.g\. "key": \[\{"suffix":"value"\}\]/ },
  { section: 'Filter policy constraints', name: 'an operator without its array (body)', scope: 'MessageBody', policy: { detail: { key: { prefix: 'a' } } }, field: 'FilterPolicy.detail.key', message: /"prefix" is an operator/ },
  { section: 'Filter policy constraints', name: 'an empty nested object', scope: 'MessageBody', policy: { detail: {} }, field: 'FilterPolicy.detail', message: /must not be an empty object/ },
  { section: 'Filter policy constraints', name: 'odd keys are quoted in the path', scope: 'MessageBody', policy: { 'a b': { 'c.d': 'x' } }, field: 'FilterPolicy["a b"]["c.d"]', message: /must be an array of conditions or an object/ },
  { section: 'Filter policy constraints', name: 'unknown scope', policy: { a: ['b'] }, scope: 'Body' as never, field: 'FilterPolicyScope', message: /must be MessageAttributes or MessageBody/ },

  // --- limits -----------------------------------------------------------------
  { section: 'Filter policy constraints', name: 'six keys (attributes)', policy: { key1: ['v'], key2: ['v'], key3: ['v'], key4: ['v'], key5: ['v'], key6: ['v'] }, field: 'FilterPolicy', message: /has 6 keys .*at most 5/ },
  { section: 'Filter policy constraints', name: 'six keys (body)', scope: 'MessageBody', policy: { key_a: ['v'], key_b: ['v'], key_c: ['v'], key_d: ['v'], key_e: ['v'], key_f: ['v'] }, field: 'FilterPolicy', message: /has 6 top-level keys/ },
  { section: 'Filter policy constraints', name: 'six keys counting $or alternatives (attributes)', policy: { a: ['v'], b: ['v'], c: ['v'], $or: [{ d: ['v'] }, { e: ['v'], f: ['v'] }] }, field: 'FilterPolicy', message: /has 6 keys/ },
  { section: 'Filter policy constraints', name: '151 values in one key', policy: { key: Array.from({ length: 151 }, (_, i) => `value${i}`) }, field: 'FilterPolicy', message: /too complex: 151 combinations/ },
  { section: 'Filter policy constraints', name: '100 × 51 values', policy: { key1: Array.from({ length: 100 }, (_, i) => i), key2: Array.from({ length: 51 }, (_, i) => i) }, field: 'FilterPolicy', message: /too complex: 5100 combinations/ },
  { section: 'Filter policy constraints', name: 'nesting multiplies: 3×4 × 2×3 × 1×3 = 216', scope: 'MessageBody', policy: { key_a: { key_b: { key_c: ['value_one', 'value_two', 'value_three', 'value_four'] } }, key_d: { key_e: ['value_one', 'value_two', 'value_three'] }, key_f: ['value_one', 'value_two', 'value_three'] }, field: 'FilterPolicy', message: /too complex: 216 combinations/ },
  { section: 'Filter policy constraints', name: '$or alternatives add up: 4 × (6 + 4 × (4 + 4)) = 152', policy: { source: ['aws.cloudwatch', 'aws.events', 'aws.test', 'aws.test2'], $or: [{ metricName: ['CPUUtilization', 'ReadLatency', 't1', 't2', 't3', 't4'] }, { metricType: ['MetricType', 'TestType', 'TestType2', 'TestType3'], $or: [{ metricId: [1234, 4321, 5678, 9012] }, { spaceId: [1, 2, 3, 4] }] }] }, field: 'FilterPolicy', message: /too complex: 152 combinations/ },
  { section: 'Filter policy constraints', name: 'nested $or in the body: (3 + 2) × 2·2 × (1·2 + 3·2) = 160', scope: 'MessageBody', policy: { $or: [{ metricName: ['CPUUtilization', 'ReadLatency', 'TestValue'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }], detail: { scope: ['Service', 'Test'], $or: [{ source: ['aws.cloudwatch'] }, { type: ['CloudWatch Alarm State Change', 'TestValue', 'TestValue2'] }] } }, field: 'FilterPolicy', message: /too complex: 160 combinations/ },
  { section: 'Filter policy constraints', name: 'larger than 256 KB', policy: { key: ['x'.repeat(256 * 1024)] }, field: 'FilterPolicy', message: /at most 262144 \(256 KB\)/ },
  { section: 'Filter policy constraints', name: 'numbers beyond ±10^9', policy: { price: [{ numeric: ['=', 2e9] }] }, field: 'FilterPolicy.price[0].numeric[1]', message: /out of range/ },

  // --- string operators -------------------------------------------------------
  { section: 'String value matching', name: 'suffix takes a string', policy: { key: [{ suffix: 100 }] }, field: 'FilterPolicy.key[0].suffix', message: /suffix match pattern must be a string/ },
  { section: 'String value matching', name: 'prefix takes one string', policy: { key: [{ prefix: ['test', 'test2'] }] }, field: 'FilterPolicy.key[0].prefix', message: /prefix match pattern must be a string/ },
  { section: 'String value matching', name: 'equals-ignore-case takes a string', policy: { key: [{ 'equals-ignore-case': null }] }, field: 'FilterPolicy.key[0].equals-ignore-case', message: /equals-ignore-case match pattern must be a string/ },
  { section: 'String value matching › IP address matching', name: 'cidr takes a string', policy: { key: [{ cidr: ['bad-filter'] }] }, field: 'FilterPolicy.key[0].cidr', message: /cidr match pattern must be a string/ },
  { section: 'String value matching › IP address matching', name: 'cidr without a slash', policy: { key: [{ cidr: 'bad-filter' }] }, field: 'FilterPolicy.key[0].cidr', message: /one "\/" required/ },
  { section: 'String value matching › IP address matching', name: 'cidr with a bad address', policy: { key: [{ cidr: 'bad-filter/64' }] }, field: 'FilterPolicy.key[0].cidr', message: /nonstandard IP address "bad-filter"/ },
  { section: 'String value matching › IP address matching', name: 'cidr with bad mask bits', policy: { key: [{ cidr: 'bad-/64filter' }] }, field: 'FilterPolicy.key[0].cidr', message: /mask bits must be an integer/ },
  { section: 'String value matching › IP address matching', name: 'cidr with a bad IPv4 address', policy: { key: [{ cidr: 'xx.11.xx/8' }] }, field: 'FilterPolicy.key[0].cidr', message: /nonstandard IP address "xx\.11\.xx"/ },
  { section: 'String value matching › IP address matching', name: 'cidr with a bad IPv6 address', policy: { key: [{ cidr: 'xxxx:db8:1234:1a00::/64' }] }, field: 'FilterPolicy.key[0].cidr', message: /nonstandard IP address/ },
  { section: 'String value matching › IP address matching', name: 'cidr mask too long', policy: { key: [{ cidr: '10.0.0.0/33' }] }, field: 'FilterPolicy.key[0].cidr', message: /at most 32 bits/ },

  // --- anything-but -----------------------------------------------------------
  { section: 'String value matching › Anything-but matching', name: 'unknown nested operator', policy: { key: [{ 'anything-but': { 'wrong-operator': null } }] }, field: 'FilterPolicy.key[0].anything-but', message: /unsupported anything-but pattern "wrong-operator"/ },
  { section: 'String value matching › Anything-but matching', name: 'anything-but suffix is not an SNS operator', policy: { key: [{ 'anything-but': { suffix: 'test' } }] }, field: 'FilterPolicy.key[0].anything-but', message: /unsupported anything-but pattern "suffix"/ },
  { section: 'String value matching › Anything-but matching', name: 'anything-but exists', policy: { key: [{ 'anything-but': { exists: false } }] }, field: 'FilterPolicy.key[0].anything-but', message: /unsupported anything-but pattern "exists"/ },
  { section: 'String value matching › Anything-but matching', name: 'anything-but prefix takes a string', policy: { key: [{ 'anything-but': { prefix: false } }] }, field: 'FilterPolicy.key[0].anything-but.prefix', message: /prefix match pattern must be a string/ },
  { section: 'String value matching › Anything-but matching', name: 'anything-but with an empty list', policy: { key: [{ 'anything-but': [] }] }, field: 'FilterPolicy.key[0].anything-but', message: /empty arrays are not allowed/ },
  { section: 'String value matching › Anything-but matching', name: 'anything-but lists strings or numbers', policy: { key: [{ 'anything-but': ['a', true] }] }, field: 'FilterPolicy.key[0].anything-but[1]', message: /anything-but takes a string, a number/ },

  // --- exists -----------------------------------------------------------------
  { section: 'Key matching', name: 'exists null', policy: { key: [{ exists: null }] }, field: 'FilterPolicy.key[0].exists', message: /exists match pattern must be either true or false/ },
  { section: 'Key matching', name: 'exists "no"', policy: { key: [{ exists: 'no' }] }, field: 'FilterPolicy.key[0].exists', message: /exists match pattern must be either true or false/ },

  // --- numeric ----------------------------------------------------------------
  { section: 'Numeric value matching', name: 'empty', policy: { key: [{ numeric: [] }] }, field: 'FilterPolicy.key[0].numeric', message: /must not be empty/ },
  { section: 'Numeric value matching', name: 'not an array', policy: { key: [{ numeric: 5 }] }, field: 'FilterPolicy.key[0].numeric', message: /must be an array/ },
  { section: 'Numeric value matching', name: 'unknown operator', policy: { key: [{ numeric: ['operator'] }] }, field: 'FilterPolicy.key[0].numeric[0]', message: /unrecognized numeric operator "operator"/ },
  { section: 'Numeric value matching', name: 'operator order: number first', policy: { key: [{ numeric: [1, '<='] }] }, field: 'FilterPolicy.key[0].numeric[0]', message: /expected an operator .* first, got 1/ },
  { section: 'Numeric value matching', name: 'a string for a number', policy: { store: [{ numeric: ['=', '000'] }] }, field: 'FilterPolicy.store[0].numeric[1]', message: /must be a number after "=", got "000"/ },
  { section: 'Numeric value matching', name: 'missing number', policy: { key: [{ numeric: ['>='] }] }, field: 'FilterPolicy.key[0].numeric[1]', message: /must be a number after ">=", got nothing/ },
  { section: 'Numeric value matching › Value range matching', name: 'upper bound first', policy: { key: [{ numeric: ['<', 100, '>', 10] }] }, field: 'FilterPolicy.key[0].numeric', message: /too many elements: only a lower bound/ },
  { section: 'Numeric value matching › Value range matching', name: 'two lower bounds', policy: { key: [{ numeric: ['>=', 1, '>', 2] }] }, field: 'FilterPolicy.key[0].numeric[2]', message: /bad numeric range operator ">"/ },
  { section: 'Numeric value matching › Value range matching', name: 'bottom above top', policy: { key: [{ numeric: ['>', 3, '<', 1] }] }, field: 'FilterPolicy.key[0].numeric', message: /bottom must be less than top/ },
  { section: 'Numeric value matching › Value range matching', name: 'missing upper number', policy: { key: [{ numeric: ['>', 20, '<='] }] }, field: 'FilterPolicy.key[0].numeric[3]', message: /must be a number after "<="/ },
  { section: 'Numeric value matching › Value range matching', name: 'missing upper operator', policy: { key: [{ numeric: ['>', 20, 30] }] }, field: 'FilterPolicy.key[0].numeric[2]', message: /expected an upper-bound operator/ },
  { section: 'Numeric value matching › Value range matching', name: 'a word for the upper operator', policy: { key: [{ numeric: ['>', 20, 'test'] }] }, field: 'FilterPolicy.key[0].numeric[2]', message: /bad numeric range operator "test"/ },
  { section: 'Numeric value matching › Value range matching', name: 'strings for both numbers', policy: { key: [{ numeric: ['>', '20', '<', '30'] }] }, field: 'FilterPolicy.key[0].numeric[1]', message: /must be a number after ">"/ },
  { section: 'Numeric value matching › Value range matching', name: 'a string for the upper number', policy: { key: [{ numeric: ['>', 20, '<', '30'] }] }, field: 'FilterPolicy.key[0].numeric[3]', message: /must be a number after "<"/ },
  { section: 'Numeric value matching › Value range matching', name: 'too many terms', policy: { key: [{ numeric: ['>', 20, '<', 30, '<', 50] }] }, field: 'FilterPolicy.key[0].numeric', message: /too many terms/ },

  // --- $or ----------------------------------------------------------------------
  { section: 'AND/OR logic › OR operator', name: '$or over operator names is an attribute, and {"numeric": 123} is no condition', policy: { $or: [{ numeric: 123 }, { prefix: 'abc' }] }, field: 'FilterPolicy.$or[0].numeric', message: /must be an array/ },
  { section: 'AND/OR logic › OR operator', name: '$or with one alternative', policy: { $or: [{ a: ['x'] }] }, field: 'FilterPolicy.$or', message: /at least 2 alternatives/ },
  { section: 'AND/OR logic › OR operator', name: '$or with an empty alternative', policy: { a: ['x'], $or: [{ b: ['y'] }, {}] }, field: 'FilterPolicy.$or[1]', message: /at least one key/ },
  { section: 'AND/OR logic › OR operator', name: '$or alternatives follow the scope: no nesting for attributes', policy: { $or: [{ a: ['x'] }, { b: { c: ['y'] } }] }, field: 'FilterPolicy.$or[1].b', message: /nested objects need FilterPolicyScope MessageBody/ },
];
