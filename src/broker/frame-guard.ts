/**
 * Drops a connection as soon as a packet's fixed header declares a Remaining
 * Length above a bound, before the body arrives.
 *
 * Why: neither aedes 1.2 nor mqtt-packet 9 has a maximum packet size. The
 * parser buffers a whole packet before it emits it, so without this a client
 * could declare up to 256 MB [MQTT-2.2.3] per connection and make the broker
 * hold it, long before `authorizePublish` can look at the payload.
 *
 * How: aedes reads the connection in paused mode (a `readable` listener and
 * `read()`). A `data` listener added after it does not switch the stream to
 * flowing mode; it sees each chunk `read()` hands to aedes, in order. So the
 * guard follows the packet boundaries without copying or delaying a byte.
 * Malformed lengths (a 5th continuation byte) are left to the parser, which
 * closes the connection itself.
 */
import type { Duplex } from 'node:stream';

type State = 'header' | 'length' | 'body' | 'off';

/** [MQTT-2.2.1] the control packet type is the high nibble of the first byte. */
export const PACKET_TYPES = [
  'reserved',
  'connect',
  'connack',
  'publish',
  'puback',
  'pubrec',
  'pubrel',
  'pubcomp',
  'subscribe',
  'suback',
  'unsubscribe',
  'unsuback',
  'pingreq',
  'pingresp',
  'disconnect',
  'auth',
] as const;

export type PacketType = (typeof PACKET_TYPES)[number];

/**
 * Calls `onOversize` once, at the first fixed header whose Remaining Length
 * exceeds `maxRemainingLength` bytes, then stops watching. The caller closes
 * the connection.
 */
export function guardFrames(
  conn: Duplex,
  maxRemainingLength: number,
  onOversize: (packetType: PacketType, declaredLength: number) => void,
): void {
  let state: State = 'header';
  let packetType: PacketType = 'reserved';
  let length = 0;
  let multiplier = 1;
  let lengthBytes = 0;
  let bodyLeft = 0;

  const watch = (chunk: unknown): void => {
    if (!Buffer.isBuffer(chunk)) return;
    let i = 0;
    while (i < chunk.length) {
      switch (state) {
        case 'off':
          return;
        case 'header':
          packetType = PACKET_TYPES[chunk.readUInt8(i) >> 4] ?? 'reserved';
          i++;
          state = 'length';
          length = 0;
          multiplier = 1;
          lengthBytes = 0;
          break;
        case 'length': {
          // [MQTT-2.2.3] 7 bits a byte, least significant first; the top bit says "more".
          const byte = chunk.readUInt8(i);
          i++;
          lengthBytes++;
          length += (byte & 0x7f) * multiplier;
          multiplier *= 0x80;
          if (byte & 0x80) {
            if (lengthBytes === 4) stop(); // malformed: the parser errors and aedes closes
            break;
          }
          if (length > maxRemainingLength) {
            stop();
            onOversize(packetType, length);
            return;
          }
          bodyLeft = length;
          state = length === 0 ? 'header' : 'body';
          break;
        }
        case 'body': {
          const take = Math.min(bodyLeft, chunk.length - i);
          i += take;
          bodyLeft -= take;
          if (bodyLeft === 0) state = 'header';
          break;
        }
        default:
          assertNever(state);
      }
    }
  };
  const stop = (): void => {
    state = 'off';
    conn.off('data', watch);
  };
  conn.on('data', watch);
}

function assertNever(value: never): never {
  throw new Error(`unexpected frame guard state ${String(value)}`);
}
