/**
 * Publish → alert in the dev mailbox, through the whole reference pipeline:
 * `sluice up` with stacks/soil-moisture.yaml and its email subscription
 * confirmed; a real MQTT client publishes low readings (humidity 29) at a
 * steady rate with QoS 1; each one runs rule 2, the function, the topic and
 * the outbox, and ends as a mail file in `<data>/mailbox`. The arrival time of
 * each mail is when its index file appears (fs.watch); its latency is that
 * minus the publish time of the reading it names.
 *
 * The reference stack holds back repeats from one sensor for 15 minutes
 * (alert hygiene), so every reading here comes from a sensor of its own
 * (`soilSensor-<n>`): each opens a window and is mailed, the most work an
 * alert can cost.
 */
import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { percentile } from './report.js';
import { startSluiceUp } from './sluice-up.js';

export interface AlertLatencyResult {
  /** Readings published per second (the target rate, as achieved). */
  publishRate: number;
  published: number;
  /** Readings that should have been mailed. */
  alerts: number;
  mailed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const SUBSCRIBER = 'bench@example.org';
const now = (): number => performance.timeOrigin + performance.now();

export interface AlertLatencyOptions {
  /** Readings published per second, in all. */
  rate: number;
  seconds: number;
  /**
   * Every Nth reading is dry (humidity 29, from a sensor of its own, so it is
   * mailed); the others read 40 and are only stored. Default 1: every reading alerts.
   */
  alertEvery?: number;
  nodeArgs?: string[];
}

export async function benchAlertLatency(options: AlertLatencyOptions): Promise<AlertLatencyResult> {
  const alertEvery = options.alertEvery ?? 1;
  const sluice = await startSluiceUp({ args: ['--param', `alertEmail=${SUBSCRIBER}`], ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}) });
  const mailbox = join(sluice.dataDir, 'mailbox');
  try {
    await confirmSubscription(sluice.endpoints.http);
    const arrivals = new Map<string, number>();
    const watcher = watch(mailbox, (_event, name) => {
      if (name?.endsWith('.json') && !arrivals.has(name)) arrivals.set(name, now());
    });
    const client = await mqtt.connectAsync(sluice.endpoints.mqtt, { clientId: 'bench-alerts', reconnectPeriod: 0 });
    const sentAt = new Map<string, number>();
    const total = Math.round(options.rate * options.seconds);
    const alerts = Math.ceil(total / alertEvery);
    const start = now();
    const pending: Array<Promise<unknown>> = [];
    for (let n = 0; n < total; n++) {
      // Paced: reading n goes out at start + n / rate.
      const due = start + (n * 1000) / options.rate;
      const wait = due - now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const dry = n % alertEvery === 0;
      const device = dry ? `soilSensor-${n}` : `soilSensor${1 + (n % 3)}`;
      if (dry) sentAt.set(device, now());
      const body = JSON.stringify({ name: device, humidity: dry ? 29 : 40, timeStampEpoch: Date.now(), timeStampIso: new Date().toISOString() });
      pending.push(client.publishAsync(`device/${device}/devicePayload`, body, { qos: 1 }));
    }
    await Promise.all(pending);
    const publishSeconds = (now() - start) / 1000;
    await client.endAsync();
    // Every alert should arrive; wait while mail keeps coming (at most 5 s of silence), then measure what came.
    let seen = -1;
    let quietSince = now();
    while (arrivals.size < alerts && now() - quietSince < 5_000) {
      if (arrivals.size !== seen) [seen, quietSince] = [arrivals.size, now()];
      await new Promise((r) => setTimeout(r, 100));
    }
    watcher.close();

    const latencies: number[] = [];
    for (const [name, at] of arrivals) {
      const entry = JSON.parse(await readFile(join(mailbox, name), 'utf8')) as { subject: string; text: string };
      if (entry.subject !== 'Attention:Humidity Under Threshold') continue;
      const device = /device name (\S+)/.exec(entry.text)?.[1];
      const sent = device ? sentAt.get(device) : undefined;
      if (sent !== undefined) latencies.push(at - sent);
    }
    const sorted = Float64Array.from(latencies).sort();
    return {
      publishRate: total / publishSeconds,
      published: total,
      alerts,
      mailed: sorted.length,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.at(-1) ?? Number.NaN,
    };
  } finally {
    await sluice.stop();
  }
}

async function confirmSubscription(http: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { messages } = (await (await fetch(`${http}/api/v1/mailbox`)).json()) as { messages: Array<{ to: string; subject: string; text: string }> };
    const confirmation = messages.find((m) => m.to === SUBSCRIBER && /confirm/i.test(m.subject));
    const link = confirmation ? /https?:\/\/\S+\/notify\/confirm\/[A-Za-z0-9_-]+/.exec(confirmation.text)?.[0] : undefined;
    if (link) {
      const response = await fetch(link);
      if (!response.ok) throw new Error(`confirming ${link}: HTTP ${response.status}`);
      return;
    }
    if (Date.now() > deadline) throw new Error('no confirmation mail in the dev mailbox within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}
