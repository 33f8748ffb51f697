import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../core/index.js';
import type { DeviceCredentials } from './device-files.js';
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
  /**
   * Mutual TLS, as the reference device connects (environment/app.py:
   * `configureCredentials(root-ca.pem, private.pem.key, certificate.pem.crt)`):
   * every device presents this certificate and trusts only `rootCaPem`.
   */
  credentials?: DeviceCredentials;
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
      clients.push(
        await connectDevice(options.url, {
          clientId: name,
          reconnectPeriod: 1000,
          ...(options.username !== undefined ? { username: options.username } : {}),
          ...(options.password !== undefined ? { password: options.password } : {}),
          ...(options.credentials
            ? { cert: options.credentials.certificatePem, key: options.credentials.privateKeyPem, ca: options.credentials.rootCaPem, rejectUnauthorized: true }
            : {}),
        }, options.logger),
      );
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

/**
 * The first connection must succeed: a refused one (a wrong certificate, a
 * policy without iot:Connect) is an error, and the client stops trying.
 * Later drops reconnect every `reconnectPeriod`, logged at debug.
 */
async function connectDevice(url: string, options: IClientOptions, logger: Logger): Promise<MqttClient> {
  const client = mqtt.connect(url, options);
  let settle: { onConnect: () => void; onError: (error: Error) => void; onClose: () => void } | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      settle = {
        onConnect: () => resolve(),
        onError: (error) => reject(error),
        onClose: () => reject(new Error('the connection closed before CONNACK')),
      };
      client.on('connect', settle.onConnect);
      client.on('error', settle.onError);
      client.on('close', settle.onClose);
    });
  } catch (error) {
    await client.endAsync(true);
    throw new Error(`device ${options.clientId} could not connect to ${url}: ${(error as Error).message}`, { cause: error });
  } finally {
    if (settle) {
      client.off('connect', settle.onConnect);
      client.off('error', settle.onError);
      client.off('close', settle.onClose);
    }
  }
  client.on('error', (error) => logger.debug({ clientId: options.clientId, err: error.message }, 'simulated device connection error; reconnecting'));
  return client;
}
