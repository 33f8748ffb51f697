import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../core/index.js';
import { deviceNames, deviceTopic, soilReading } from './payload.js';

export interface SimulatorOptions {
  /** mqtt://, mqtts:// or ws:// URL of the broker. */
  url: string;
  devices: number;
  intervalMs: number;
  qos: 0 | 1;
  namePrefix: string;
  topic: string;
  username?: string;
  password?: string;
  logger: Logger;
  /** Called after each publish is acknowledged (QoS 1) or written (QoS 0). */
  onPublish?: (topic: string, payload: string) => void;
  random?: () => number;
}

export interface RunningSimulator {
  readonly devices: string[];
  stop(): Promise<void>;
}

/**
 * Soil-moisture sensors as real MQTT clients, one connection per device with
 * the device name as client id, publishing a reading at once and then every
 * interval.
 */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const names = deviceNames(options.namePrefix, options.devices);
  const clients: MqttClient[] = [];
  const timers: NodeJS.Timeout[] = [];
  const publishOne = async (client: MqttClient, name: string): Promise<void> => {
    const topic = deviceTopic(options.topic, name);
    const payload = JSON.stringify(soilReading(name, Date.now(), options.random));
    try {
      await client.publishAsync(topic, payload, { qos: options.qos });
      options.logger.debug({ topic, payload }, 'simulator published');
      options.onPublish?.(topic, payload);
    } catch (error) {
      options.logger.warn({ topic, err: (error as Error).message }, 'simulator publish failed; will try again next interval');
    }
  };
  try {
    for (const name of names) {
      const client = await mqtt.connectAsync(options.url, {
        clientId: name,
        reconnectPeriod: 1000,
        ...(options.username !== undefined ? { username: options.username } : {}),
        ...(options.password !== undefined ? { password: options.password } : {}),
      });
      clients.push(client);
    }
  } catch (error) {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    throw error;
  }
  names.forEach((name, i) => {
    const client = clients[i] as MqttClient;
    void publishOne(client, name);
    timers.push(setInterval(() => void publishOne(client, name), options.intervalMs));
  });
  return {
    devices: names,
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await Promise.all(clients.map((client) => client.endAsync()));
    },
  };
}
