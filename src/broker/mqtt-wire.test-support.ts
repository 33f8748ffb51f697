/**
 * Hand-built MQTT 3.1.1 packets for tests that must send what a well-behaved
 * client library never would (oversized declared lengths, invalid UTF-8,
 * wildcards in a PUBLISH topic). Not a test file itself: `*.test-support.ts`.
 */

/** [MQTT-2.2.3] Remaining Length: 7 bits a byte, least significant first. */
export function encodeLength(length: number): Buffer {
  const bytes: number[] = [];
  let rest = length;
  do {
    let byte = rest % 0x80;
    rest = Math.floor(rest / 0x80);
    if (rest > 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0);
  return Buffer.from(bytes);
}

/** [MQTT-1.5.3] a 2-byte big-endian length, then the bytes. */
export function mqttString(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** A whole packet: first byte (type << 4 | flags), Remaining Length, body. */
export function frame(firstByte: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([firstByte]), encodeLength(body.length), body]);
}

export function connectPacket(clientId: string, keepaliveSeconds = 60): Buffer {
  const keepalive = Buffer.alloc(2);
  keepalive.writeUInt16BE(keepaliveSeconds);
  // [MQTT-3.1.2] protocol name, level 4 (3.1.1), flags: clean session only.
  const variableHeader = Buffer.concat([mqttString('MQTT'), Buffer.from([4, 0x02]), keepalive]);
  return frame(0x10, Buffer.concat([variableHeader, mqttString(clientId)]));
}

export function publishPacket(topic: string | Buffer, payload: Buffer, qos: 0 | 1 | 2 = 0, messageId = 1): Buffer {
  const parts = [mqttString(topic)];
  if (qos > 0) {
    const id = Buffer.alloc(2);
    id.writeUInt16BE(messageId);
    parts.push(id);
  }
  parts.push(payload);
  return frame(0x30 | (qos << 1), Buffer.concat(parts));
}

export function subscribePacket(filters: Array<string | Buffer>, messageId = 1): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(messageId);
  // [MQTT-3.8.1-1] SUBSCRIBE's fixed header flags are 0010.
  return frame(0x82, Buffer.concat([id, ...filters.flatMap((filter) => [mqttString(filter), Buffer.from([1])])]));
}

export const PINGREQ = Buffer.from([0xc0, 0x00]);
export const DISCONNECT = Buffer.from([0xe0, 0x00]);
