/**
 * The `mqtt` protocol (Sluice's own): each notification is published on the
 * broker to the endpoint topic, QoS 1, not retained. The payload is the
 * message as it is (with MessageStructure json: the `mqtt` key, else
 * `default`), UTF-8: subject and attributes are not carried, so devices and
 * dashboards subscribed to the topic get exactly what was published. No
 * confirmation (the broker is Sluice's own). A failed publish (the broker is
 * not running yet, or stopping) is retried.
 *
 * The endpoint is a topic name: 1 to 256 bytes of UTF-8 (AWS IoT's limit),
 * no wildcards (`+`, `#`), no NUL, not a `$` system topic.
 */
import { SluiceError } from '../../core/index.js';
import type { ProtocolDriver } from './protocol.js';

/** The port onto the broker. */
export interface NotificationMqttPublisher {
  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
}

export const MAX_MQTT_TOPIC_BYTES = 256;

export function createMqttProtocol(options: { publisher: NotificationMqttPublisher }): ProtocolDriver {
  return {
    protocol: 'mqtt',
    requiresConfirmation: false,
    normalizeEndpoint: normalizeMqttEndpoint,
    async sendConfirmation() {
      // Never asked: mqtt subscriptions are confirmed when made.
    },
    async deliver(notification) {
      await options.publisher.publish(notification.subscription.endpoint, Buffer.from(notification.message, 'utf8'), 1);
    },
  };
}

export function normalizeMqttEndpoint(endpoint: string): string {
  const bytes = Buffer.byteLength(endpoint, 'utf8');
  const problem =
    endpoint === '' ? 'it is empty'
    : bytes > MAX_MQTT_TOPIC_BYTES ? `it is ${bytes} bytes; at most ${MAX_MQTT_TOPIC_BYTES}`
    : /[+#]/.test(endpoint) ? 'it has a wildcard (+ or #): messages are published to one topic, not a filter'
    : endpoint.includes('\u0000') ? 'it contains a NUL character'
    : endpoint.startsWith('$') ? 'topics starting with $ are reserved for the broker'
    : undefined;
  if (problem !== undefined) {
    throw new SluiceError('SLUICE_ERR_SUBSCRIPTION_INVALID', `invalid mqtt endpoint ${JSON.stringify(endpoint)}: ${problem}; expected a topic name such as alerts/humidity`, {
      place: { field: 'endpoint' },
      details: { protocol: 'mqtt' },
    });
  }
  return endpoint;
}
