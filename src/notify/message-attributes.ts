/**
 * SNS message attributes at Publish: validation (SNS's rules, "Amazon SNS
 * message attributes") and the two shapes they take afterwards — `{ Type,
 * Value }` in the envelopes and queued deliveries, `{ DataType, StringValue |
 * BinaryValue }` for filter policies.
 *
 * - at most 10 attributes;
 * - names: 1 to 256 characters of `A-Z a-z 0-9 _ - .`, not starting or ending
 *   with a period, no two periods in a row, not starting with `AWS.` or
 *   `Amazon.` (any case: reserved);
 * - DataType: `String`, `String.Array`, `Number` or `Binary` (SNS's custom
 *   type labels such as `Number.float` are refused: no filter or envelope
 *   consumer here knows them);
 * - values are required and not empty: a `StringValue` for String,
 *   String.Array and Number, a `BinaryValue` (base64, or bytes) for Binary;
 * - Number: a decimal number (`-12`, `3.5`, `1e-3`) of at most 38 significant
 *   digits, 0 or of magnitude 10^-128 to 10^126;
 * - String.Array: a JSON array of strings, numbers, `true`, `false` or `null`;
 * - names, types and values count towards the message's 256 KiB.
 */
import { SluiceError } from '../core/index.js';
import type { MessageAttributeValue } from './filter-policy.js';
import { MAX_MESSAGE_BYTES } from './validate.js';
import { MESSAGE_ATTRIBUTE_DATA_TYPES, type MessageAttributeDataType, type MessageAttributes } from './types.js';

export const MAX_MESSAGE_ATTRIBUTES = 10;
export const MAX_ATTRIBUTE_NAME_CHARS = 256;
const NAME = /^[A-Za-z0-9_.-]+$/;
const RESERVED_PREFIX = /^(aws|amazon)\./i;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_NUMBER_DIGITS = 38;

/** `messageAttributes.name.StringValue`; a name with a period or other characters in brackets: `messageAttributes["a.b"]`. */
function fieldPath(path: readonly string[]): string {
  return path.reduce((out, part) => (/^[A-Za-z0-9_-]+$/.test(part) ? `${out}.${part}` : `${out}[${JSON.stringify(part)}]`), 'messageAttributes');
}

function invalid(path: readonly string[], message: string): SluiceError {
  const field = fieldPath(path);
  return new SluiceError('SLUICE_ERR_REQUEST_INVALID', `${field}: ${message}`, { place: { field } });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks Publish's MessageAttributes and returns them as `{ Name: { Type, Value } }`
 * (a Binary value as base64) with their size in bytes (names, types and values,
 * UTF-8), which counts towards the message's 256 KiB. Throws
 * SLUICE_ERR_REQUEST_INVALID naming the attribute and field.
 */
export function parseMessageAttributes(input: unknown): { attributes: MessageAttributes; bytes: number } {
  if (input === undefined || input === null) return { attributes: {}, bytes: 0 };
  if (!isPlainObject(input)) {
    throw invalid([], 'must be an object of { NAME: { DataType, StringValue | BinaryValue } }');
  }
  const names = Object.keys(input);
  if (names.length > MAX_MESSAGE_ATTRIBUTES) {
    throw invalid([], `has ${names.length} attributes; SNS allows at most ${MAX_MESSAGE_ATTRIBUTES} per message`);
  }
  const attributes: MessageAttributes = {};
  let bytes = 0;
  for (const name of names) {
    checkName(name);
    const attribute = input[name];
    if (!isPlainObject(attribute)) throw invalid([name], 'must be an object { DataType, StringValue | BinaryValue }');
    for (const key of Object.keys(attribute)) {
      if (key !== 'DataType' && key !== 'StringValue' && key !== 'BinaryValue') {
        throw invalid([name, key], 'unknown field: expected DataType, StringValue or BinaryValue');
      }
    }
    const type = checkDataType(name, attribute.DataType);
    const value = type === 'Binary' ? binaryValue(name, attribute) : stringValue(name, type, attribute);
    attributes[name] = { Type: type, Value: value };
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(type, 'utf8') + Buffer.byteLength(value, 'utf8');
  }
  return { attributes, bytes };
}

function checkName(name: string): void {
  const problem =
    name.length === 0 ? 'must not be empty'
    : name.length > MAX_ATTRIBUTE_NAME_CHARS ? `is ${name.length} characters; at most ${MAX_ATTRIBUTE_NAME_CHARS}`
    : !NAME.test(name) ? 'may contain only letters, digits, _, - and .'
    : name.startsWith('.') || name.endsWith('.') ? 'must not start or end with a period'
    : name.includes('..') ? 'must not contain two periods in a row'
    : RESERVED_PREFIX.test(name) ? 'must not start with AWS. or Amazon. (reserved)'
    : undefined;
  if (problem !== undefined) {
    const field = fieldPath([name]);
    throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `${field}: invalid attribute name ${JSON.stringify(name)}: it ${problem}`, { place: { field } });
  }
}

function checkDataType(name: string, dataType: unknown): MessageAttributeDataType {
  if (typeof dataType !== 'string' || dataType === '') {
    throw invalid([name, 'DataType'], `is required: one of ${MESSAGE_ATTRIBUTE_DATA_TYPES.join(', ')}`);
  }
  if ((MESSAGE_ATTRIBUTE_DATA_TYPES as readonly string[]).includes(dataType)) return dataType as MessageAttributeDataType;
  const custom = /^(String|Number|Binary)\./.test(dataType) ? ' (custom type labels are not supported)' : '';
  throw invalid([name, 'DataType'], `must be one of ${MESSAGE_ATTRIBUTE_DATA_TYPES.join(', ')}, got ${JSON.stringify(dataType)}${custom}`);
}

function stringValue(name: string, type: Exclude<MessageAttributeDataType, 'Binary'>, attribute: Record<string, unknown>): string {
  if (attribute.BinaryValue !== undefined) throw invalid([name, 'BinaryValue'], `is only for DataType Binary; a ${type} attribute has a StringValue`);
  const value = attribute.StringValue;
  if (typeof value !== 'string' || value === '') throw invalid([name, 'StringValue'], `is required and must not be empty for DataType ${type}`);
  if (type === 'Number') checkNumber(name, value);
  if (type === 'String.Array') checkStringArray(name, value);
  return value;
}

function checkNumber(name: string, text: string): void {
  const field = [name, 'StringValue'];
  if (!NUMBER.test(text)) throw invalid(field, `${JSON.stringify(text)} is not a number (e.g. 42, -3.5, 1.2e-3)`);
  const mantissa = text.replace(/^[+-]/, '').replace(/[eE].*$/, '').replace('.', '');
  const significant = mantissa.replace(/^0+/, '').replace(/0+$/, '');
  if (significant.length > MAX_NUMBER_DIGITS) {
    throw invalid(field, `${JSON.stringify(text)} has ${significant.length} significant digits; SNS numbers have at most ${MAX_NUMBER_DIGITS}`);
  }
  const magnitude = Math.abs(Number(text));
  if (magnitude !== 0 && (magnitude < 1e-128 || magnitude > 1e126)) {
    throw invalid(field, `${JSON.stringify(text)} is out of range: SNS numbers are 0 or between 10^-128 and 10^126 in magnitude`);
  }
}

function checkStringArray(name: string, text: string): void {
  const expected = 'must be a JSON array of strings, numbers, true, false or null, e.g. ["red","green"]';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid([name, 'StringValue'], expected);
  }
  if (!Array.isArray(parsed) || !parsed.every((item) => item === null || ['string', 'number', 'boolean'].includes(typeof item))) {
    throw invalid([name, 'StringValue'], expected);
  }
}

function binaryValue(name: string, attribute: Record<string, unknown>): string {
  if (attribute.StringValue !== undefined) throw invalid([name, 'StringValue'], 'a Binary attribute has a BinaryValue (base64), not a StringValue');
  const value = attribute.BinaryValue;
  if (value instanceof Uint8Array) {
    if (value.length === 0) throw invalid([name, 'BinaryValue'], 'must not be empty');
    return Buffer.from(value).toString('base64');
  }
  if (typeof value !== 'string' || value === '') throw invalid([name, 'BinaryValue'], 'is required for DataType Binary: base64 text of at least one byte');
  const compact = value.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact === '') throw invalid([name, 'BinaryValue'], 'must be base64 text');
  return compact;
}

/** The attributes as filter policies see them (SNS's MessageAttributeValue). */
export function filterableAttributes(attributes: MessageAttributes | undefined): Record<string, MessageAttributeValue> {
  const result: Record<string, MessageAttributeValue> = {};
  for (const [name, { Type, Value }] of Object.entries(attributes ?? {})) {
    result[name] = Type === 'Binary'
      ? { DataType: 'Binary', BinaryValue: Value }
      : { DataType: Type as MessageAttributeValue['DataType'], StringValue: Value };
  }
  return result;
}

/** Checks the message and its attributes together against SNS's 256 KiB. */
export function checkTotalSize(messageBytes: number, attributeBytes: number): void {
  if (messageBytes + attributeBytes > MAX_MESSAGE_BYTES) {
    throw new SluiceError(
      'SLUICE_ERR_REQUEST_INVALID',
      `message: the message and its attributes are ${messageBytes + attributeBytes} bytes; SNS allows at most ${MAX_MESSAGE_BYTES} (256 KiB) together`,
      { place: { field: 'message' } },
    );
  }
}
