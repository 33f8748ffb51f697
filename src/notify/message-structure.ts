/**
 * SNS's `MessageStructure: json`: the message is a JSON object of messages
 * per protocol, `{"default": "...", "email": "...", "http": "..."}`. It must
 * parse, be an object and have a string `default`; every value must be a
 * non-empty string. Each subscription gets its protocol's key, else `default`
 * (`function` also looks for SNS's `lambda`). Keys that are no protocol
 * (SNS's `sqs`, `APNS`, ...) are allowed and ignored, as SNS does.
 */
import { SluiceError } from '../core/index.js';
import type { Protocol } from './types.js';

/** The key SNS uses for a protocol, where it differs from the protocol's name here. */
const SNS_ALIASES: Partial<Record<Protocol, string>> = { function: 'lambda' };

function invalid(field: string, message: string): SluiceError {
  return new SluiceError('SLUICE_ERR_REQUEST_INVALID', `${field}: ${message}`, { place: { field } });
}

/** Which message each protocol gets; `structure` undefined means the message itself for all. */
export function messageSelector(message: string, structure: string | undefined): (protocol: Protocol) => string {
  if (structure === undefined) return () => message;
  if (structure !== 'json') throw invalid('messageStructure', `must be "json" (or left out), got ${JSON.stringify(structure)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch (error) {
    throw invalid('message', `with messageStructure json, the message must be a JSON object such as {"default": "text", "email": "text for email"}; it does not parse: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid('message', 'with messageStructure json, the message must be a JSON object such as {"default": "text", "email": "text for email"}');
  }
  const messages = parsed as Record<string, unknown>;
  if (!Object.hasOwn(messages, 'default')) throw invalid('message.default', 'is required with messageStructure json: the message for protocols without their own key');
  for (const [key, value] of Object.entries(messages)) {
    if (typeof value !== 'string') throw invalid(`message.${key}`, `must be a string (a protocol's message), got ${value === null ? 'null' : typeof value}`);
    if (value === '') throw invalid(`message.${key}`, 'must not be empty');
  }
  return (protocol) => {
    const own = messages[protocol] ?? messages[SNS_ALIASES[protocol] ?? protocol];
    return typeof own === 'string' ? own : (messages.default as string);
  };
}
