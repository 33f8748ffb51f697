/**
 * Input limits the broker enforces on every connection, after AWS IoT Core's
 * default quotas (AWS IoT Core endpoints and quotas, "Message broker and
 * protocol limits and quotas"). Each can be changed per broker.
 */
import { SluiceError } from '../core/index.js';

export interface BrokerLimits {
  /** Largest PUBLISH payload, in bytes. AWS IoT Core: 128 KB (131,072 bytes). */
  maxPayloadBytes: number;
  /** Longest topic name or topic filter, in UTF-8 bytes. AWS IoT Core: 256 bytes. */
  maxTopicBytes: number;
  /** Most `/`-separated levels in a topic name or filter (`a/+/#` has 3). */
  maxTopicLevels: number;
  /** Longest client id, in UTF-8 bytes. AWS IoT Core: 128 bytes. */
  maxClientIdBytes: number;
}

export const DEFAULT_BROKER_LIMITS: Readonly<BrokerLimits> = Object.freeze({
  maxPayloadBytes: 131_072,
  maxTopicBytes: 256,
  maxTopicLevels: 7,
  maxClientIdBytes: 128,
});

/** Which limit a connection broke: the label of the composition root's counter. */
export type LimitKind = 'payload' | 'topic_bytes' | 'topic_levels' | 'client_id';

export interface LimitViolation {
  kind: LimitKind;
  /** The `BrokerLimits` field that was exceeded. */
  limit: keyof BrokerLimits;
  /** The configured maximum. */
  max: number;
  /** What the client sent, in the limit's unit; undefined where aedes does not say. */
  size: number | undefined;
}

/** [MQTT-1.5.3] a UTF-8 string is at most 65,535 bytes, so are client ids and topics. */
const MQTT_STRING_MAX_BYTES = 65_535;
/** aedes clamps its own `maxTopicLevels` to 100 (the qlobber word limit it builds with). */
export const AEDES_MAX_TOPIC_LEVELS = 100;
/** [MQTT-2.2.3] the largest Remaining Length four bytes can encode. */
const MQTT_MAX_REMAINING_LENGTH = 268_435_455;
/** A PUBLISH's variable header besides the topic: 2-byte topic length + 2-byte packet id. */
const PUBLISH_HEADER_OVERHEAD = 4;

const CEILINGS: Record<keyof BrokerLimits, number> = {
  maxPayloadBytes: MQTT_MAX_REMAINING_LENGTH - MQTT_STRING_MAX_BYTES - PUBLISH_HEADER_OVERHEAD,
  maxTopicBytes: MQTT_STRING_MAX_BYTES,
  maxTopicLevels: AEDES_MAX_TOPIC_LEVELS,
  maxClientIdBytes: MQTT_STRING_MAX_BYTES,
};

/** Fills in the defaults, checks every field once at start-up, and freezes the result. */
export function resolveLimits(options: Partial<BrokerLimits> = {}): Readonly<BrokerLimits> {
  const limits: BrokerLimits = { ...DEFAULT_BROKER_LIMITS };
  for (const field of Object.keys(CEILINGS) as Array<keyof BrokerLimits>) {
    const value = options[field];
    if (value === undefined) continue;
    const ceiling = CEILINGS[field];
    if (!Number.isSafeInteger(value) || value < 1 || value > ceiling) {
      throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `options.limits.${field} must be an integer from 1 to ${ceiling}`, {
        place: { field: `limits.${field}` },
      });
    }
    limits[field] = value;
  }
  return Object.freeze(limits);
}

/**
 * The largest Remaining Length [MQTT-2.2.3] a packet within the limits can
 * declare: a PUBLISH with the longest topic, a packet id and the largest
 * payload. Anything longer breaks a limit whatever its type, so the frame
 * guard can drop it from the fixed header alone.
 */
export function maxRemainingLength(limits: Readonly<BrokerLimits>): number {
  return limits.maxPayloadBytes + limits.maxTopicBytes + PUBLISH_HEADER_OVERHEAD;
}

export function topicLevels(topic: string): number {
  let levels = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 0x2f) levels++;
  return levels;
}

/** Checks a topic name (PUBLISH) or topic filter (SUBSCRIBE): bytes first, then levels. */
export function checkTopic(topic: string, limits: Readonly<BrokerLimits>): LimitViolation | undefined {
  const bytes = Buffer.byteLength(topic, 'utf8');
  if (bytes > limits.maxTopicBytes) return { kind: 'topic_bytes', limit: 'maxTopicBytes', max: limits.maxTopicBytes, size: bytes };
  const levels = topicLevels(topic);
  if (levels > limits.maxTopicLevels) return { kind: 'topic_levels', limit: 'maxTopicLevels', max: limits.maxTopicLevels, size: levels };
  return undefined;
}

export function checkPublish(topic: string, payload: Buffer | string, limits: Readonly<BrokerLimits>): LimitViolation | undefined {
  const topicViolation = checkTopic(topic, limits);
  if (topicViolation) return topicViolation;
  const bytes = Buffer.isBuffer(payload) ? payload.length : Buffer.byteLength(payload, 'utf8');
  if (bytes > limits.maxPayloadBytes) return { kind: 'payload', limit: 'maxPayloadBytes', max: limits.maxPayloadBytes, size: bytes };
  return undefined;
}

export function checkClientId(clientId: string, limits: Readonly<BrokerLimits>): LimitViolation | undefined {
  const bytes = Buffer.byteLength(clientId, 'utf8');
  if (bytes > limits.maxClientIdBytes) return { kind: 'client_id', limit: 'maxClientIdBytes', max: limits.maxClientIdBytes, size: bytes };
  return undefined;
}

/** Keeps a hostile topic from flooding the log: the first 64 characters. */
export function truncateForLog(text: string, max = 64): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} chars)`;
}
