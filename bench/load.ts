/**
 * The load generator every broker row uses, Sluice's and Mosquitto's alike:
 * real MQTT clients over TCP. N publishers send the reference payload, each
 * with a bounded number of messages in flight (QoS 1: PUBACKs outstanding;
 * QoS 0: writes not yet flushed to the socket), and one subscriber on
 * `bench/+/devicePayload` receives them at the same QoS. Throughput is what
 * the subscriber received per second; latency is publish → delivery, from the
 * send time each message carries in its `timeStampEpoch` (same process, same
 * clock).
 */
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { percentile } from './report.js';

export interface BrokerLoadOptions {
  publishers: number;
  /** Messages in flight per publisher. */
  window: number;
  qos: 0 | 1;
  /** At most this many messages in all... */
  messages: number;
  /** ...and at most this long, ms. */
  budgetMs: number;
}

export interface BrokerLoadResult {
  published: number;
  received: number;
  seconds: number;
  /** Received messages per second. */
  rate: number;
  p50Ms: number;
  p99Ms: number;
}

const FIELD = '"timeStampEpoch":';

/** The reference payload, with the send time (ms since the epoch, fractional) as its timeStampEpoch. */
function payload(device: string, sentAt: number): string {
  return `{"name":"${device}","humidity":29,${FIELD}${sentAt},"timeStampIso":"2020-08-27T13:47:52.677721"}`;
}

function sentAtOf(message: Buffer): number {
  const text = message.toString('latin1');
  const start = text.indexOf(FIELD) + FIELD.length;
  return Number.parseFloat(text.slice(start, text.indexOf(',', start)));
}

const now = (): number => performance.timeOrigin + performance.now();

async function connect(url: string, clientId: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId, reconnectPeriod: 0, clean: true, keepalive: 60 });
}

/** Runs the load once; call it twice to measure after a warm-up. */
export async function brokerLoad(url: string, options: BrokerLoadOptions): Promise<BrokerLoadResult> {
  const tag = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const subscriber = await connect(url, `bench-sub-${tag}`);
  const publishers = await Promise.all(Array.from({ length: options.publishers }, (_, i) => connect(url, `bench-pub-${tag}-${i}`)));
  const latencies = new Float64Array(options.messages);
  let received = 0;
  let lastReceivedAt = 0;
  let allReceived: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allReceived = resolve));
  let published = 0;
  let finishedPublishing = false;
  subscriber.on('message', (_topic, message) => {
    const at = now();
    if (received < latencies.length) latencies[received] = at - sentAtOf(message);
    received++;
    lastReceivedAt = at;
    if (finishedPublishing && received >= published) allReceived();
  });
  try {
    await subscriber.subscribeAsync(`bench/+/devicePayload`, { qos: options.qos });
    const start = now();
    const deadline = start + options.budgetMs;
    const lane = async (client: MqttClient, device: string): Promise<void> => {
      while (published < options.messages && now() < deadline) {
        published++;
        await client.publishAsync(`bench/${device}/devicePayload`, payload(device, now()), { qos: options.qos });
      }
    };
    await Promise.all(publishers.flatMap((client, i) => Array.from({ length: options.window }, () => lane(client, `soilSensor${i + 1}`))));
    finishedPublishing = true;
    if (received < published) {
      // What is in flight arrives shortly; a broker that dropped messages (QoS 0 may) is not waited for long.
      await Promise.race([done, new Promise((r) => setTimeout(r, 5_000))]);
    }
    const seconds = ((lastReceivedAt || now()) - start) / 1000;
    const sorted = latencies.slice(0, Math.min(received, latencies.length)).sort();
    return { published, received, seconds, rate: received / seconds, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
  } finally {
    await Promise.all([subscriber, ...publishers].map((client) => client.endAsync()));
  }
}
