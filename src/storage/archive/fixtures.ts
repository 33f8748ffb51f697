import type { ArchiveMessage } from './records.js';

/** A test message: JSON of `value`, or three binary bytes when `value` is undefined. */
export function testMessage(id: string, value: unknown, timestamp = Date.UTC(2020, 7, 27, 13, 47, 52, 677)): ArchiveMessage {
  return {
    id,
    topic: `device/${id}/devicePayload`,
    clientId: `client-${id}`,
    timestamp,
    payload: value === undefined ? Buffer.from([0, 255, 7]) : Buffer.from(JSON.stringify(value)),
    value,
  };
}
