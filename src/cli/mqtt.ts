import type { Command } from 'commander';
import mqtt from 'mqtt';
import { mqttConnection, resolveServer, type ConnectionOptions } from './client.js';
import { action } from './output.js';

export function qosFlag(value: string): 0 | 1 {
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
}
