import type { Command } from 'commander';
import mqtt from 'mqtt';
import { createLogger, parseDuration } from '../core/index.js';
import { startSimulator } from '../sim/index.js';
import { mqttConnection, resolveServer, type ConnectionOptions } from './client.js';
import { action } from './output.js';

function qosFlag(value: string): 0 | 1 {
  if (value === '0' || value === '1') return Number(value) as 0 | 1;
  throw new Error(`--qos must be 0 or 1, got '${value}'`);
}

export function registerMqttCommands(program: Command, connection: () => ConnectionOptions): void {
  program
    .command('sub')
    .description('print every message on topics matching FILTER (the console\'s "subscribe to #")')
    .argument('<filter>', 'MQTT topic filter, e.g. "#" or "device/+/devicePayload"')
    .option('--qos <n>', '0 or 1', qosFlag, 0)
    .option('--json', 'one JSON object per line: {topic, payload, qos, retain, time}', false)
    .option('--count <n>', 'exit after this many messages', (v) => Number.parseInt(v, 10))
    .action(
      action(async (filter: string, flags: { qos: 0 | 1; json: boolean; count?: number }) => {
        const { url, ...auth } = mqttConnection(await resolveServer(connection()));
        const client = await mqtt.connectAsync(url, { ...auth, clientId: `sluice-sub-${process.pid}`, reconnectPeriod: 1000 });
        const granted = await client.subscribeAsync(filter, { qos: flags.qos });
        if (granted.some((g) => g.qos === 128)) throw new Error(`subscription to '${filter}' was refused by the server`);
        process.stderr.write(`subscribed to ${filter} at ${url}\n`);
        let seen = 0;
        client.on('message', (topic, payload, packet) => {
          const text = payload.toString('utf8');
          if (flags.json) {
            process.stdout.write(`${JSON.stringify({ topic, payload: text, qos: packet.qos, retain: packet.retain, time: new Date().toISOString() })}\n`);
          } else {
            process.stdout.write(`${topic}  ${text}\n`);
          }
          seen += 1;
          if (flags.count !== undefined && seen >= flags.count) void client.endAsync().then(() => process.exit(0));
        });
        const stop = () => void client.endAsync().then(() => process.exit(0));
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      }),
    );

  program
    .command('pub')
    .description('publish one message')
    .argument('<topic>', 'topic')
    .argument('<payload>', 'payload (a JSON string for rules that read fields)')
    .option('--qos <n>', '0 or 1', qosFlag, 0)
    .option('--retain', 'retain the message', false)
    .action(
      action(async (topic: string, payload: string, flags: { qos: 0 | 1; retain: boolean }) => {
        const { url, ...auth } = mqttConnection(await resolveServer(connection()));
        const client = await mqtt.connectAsync(url, { ...auth, clientId: `sluice-pub-${process.pid}`, reconnectPeriod: 0 });
        await client.publishAsync(topic, payload, { qos: flags.qos, retain: flags.retain });
        await client.endAsync();
        process.stderr.write(`published to ${topic}${flags.qos === 1 ? ' (acknowledged)' : ''}\n`);
      }),
    );

  program
    .command('simulate')
    .description('run soil-moisture sensors soilSensor1..N against a broker')
    .option('--url <url>', 'broker URL (default: the running server from --data)')
    .option('--devices <n>', 'number of devices', (v) => Number.parseInt(v, 10), 3)
    .option('--interval <duration>', 'time between readings per device, e.g. 30s', '30s')
    .option('--qos <n>', '0 or 1', qosFlag, 1)
    .option('--prefix <name>', 'device name prefix', 'soilSensor')
    .option('--topic <template>', 'topic template; ${name} is the device name', 'device/${name}/devicePayload')
    .option('--count <n>', 'stop after this many rounds', (v) => Number.parseInt(v, 10))
    .action(
      action(async (flags: { url?: string; devices: number; interval: string; qos: 0 | 1; prefix: string; topic: string; count?: number }) => {
        if (!Number.isInteger(flags.devices) || flags.devices < 1) throw new Error('--devices must be a positive integer');
        const intervalMs = parseDuration(flags.interval, { field: '--interval' });
        const connectionInfo = flags.url ? { url: flags.url } : mqttConnection(await resolveServer(connection()));
        let published = 0;
        const simulator = await startSimulator({
          ...connectionInfo,
          devices: flags.devices,
          intervalMs,
          qos: flags.qos,
          namePrefix: flags.prefix,
          topic: flags.topic,
          logger: createLogger({ level: 'warn' }),
          onPublish: (topic, payload) => {
            process.stdout.write(`${topic}  ${payload}\n`);
            published += 1;
            if (flags.count !== undefined && published >= flags.count * flags.devices) void simulator.stop().then(() => process.exit(0));
          },
        });
        const stop = () => void simulator.stop().then(() => process.exit(0));
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      }),
    );
}
