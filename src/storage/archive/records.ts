/**
 * What the archive keeps of one message: its origin (job id, topic, client
 * id, timestamp) and its fields. Pure data, no I/O.
 */

/** One message as the archive action hands it over. */
export interface ArchiveMessage {
  /** The action job's id: stable per message, rule and action, so a duplicate after a crash carries the same id. */
  id: string;
  topic: string;
  clientId: string;
  /** ms since the epoch, the message's `timestamp()`. */
  timestamp: number;
  /** The rule's SELECT output as bytes. */
  payload: Buffer;
  /** The SELECT output as a value; undefined for a binary (non-JSON) payload passed through. */
  value: unknown;
}

/** Columns every record has, whatever its payload, first in every object. */
export const ORIGIN_COLUMNS = ['_id', '_topic', '_client_id', '_timestamp'] as const;
/** A payload that is not JSON, base64-encoded. */
export const PAYLOAD_BASE64_COLUMN = '_payload_base64';
/** A JSON payload that is not an object (a number, a string, an array, null), as JSON text. */
export const VALUE_COLUMN = '_value';

const RESERVED: ReadonlySet<string> = new Set<string>([...ORIGIN_COLUMNS, PAYLOAD_BASE64_COLUMN, VALUE_COLUMN]);

export interface ArchiveRecord {
  id: string;
  topic: string;
  clientId: string;
  timestamp: number;
  /** Column name → value as parsed from JSON, in the payload's order. */
  fields: Map<string, unknown>;
}

/**
 * A payload field whose name the archive uses itself (`_topic`, ...) gets one
 * more leading underscore (`__topic`), as often as needed, so that neither
 * the origin nor the field is lost. An empty name becomes `_`.
 */
export function columnName(field: string): string {
  let name = field === '' ? '_' : field;
  while (RESERVED.has(name)) name = `_${name}`;
  return name;
}

export function toRecord(message: ArchiveMessage): ArchiveRecord {
  const fields = new Map<string, unknown>();
  const { value } = message;
  if (value === undefined) {
    fields.set(PAYLOAD_BASE64_COLUMN, message.payload.toString('base64'));
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [field, fieldValue] of Object.entries(value)) {
      // Two payload fields never map to one column: `_topic` and `__topic` would, so the later one is suffixed again.
      let name = columnName(field);
      while (fields.has(name)) name = `_${name}`;
      fields.set(name, fieldValue);
    }
  } else {
    fields.set(VALUE_COLUMN, value);
  }
  return { id: message.id, topic: message.topic, clientId: message.clientId, timestamp: message.timestamp, fields };
}

/** Roughly what a record costs in memory and in the object, for the batch size bound (bytes). */
export function recordSize(message: ArchiveMessage): number {
  return message.payload.length + message.topic.length + message.clientId.length + message.id.length + 32;
}
