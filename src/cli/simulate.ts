import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SluiceError, createLogger, parseDuration } from '../core/index.js';
import { readDeviceCredentials, startSimulator, type DeviceCredentials } from '../sim/index.js';
import { mqttConnection, resolveServer, type ConnectionOptions } from './client.js';
import { qosFlag } from './mqtt.js';
import { action } from './output.js';

interface SimulateFlags {
  url?: string;
  certDir?: string;
  devices: number;
  interval: string;
  qos: 0 | 1;
  prefix: string;
  topic: string;
  count?: number;
}

/** The running server's mqtts endpoint, from `<data>/endpoints.json`. */
async function mqttsEndpoint(connection: ConnectionOptions): Promise<string> {
  if (connection.server ?? process.env.SLUICE_SERVER) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', 'with --server, pass the broker as --url mqtts://HOST:PORT (the mqtts endpoint is known only from <data>/endpoints.json)');
  }
  const file = join(resolve(connection.data ?? process.env.SLUICE_DATA ?? './data'), 'endpoints.json');
  let endpoints: { mqtts?: string };
  try {
    endpoints = JSON.parse(await readFile(file, 'utf8')) as { mqtts?: string };
  } catch (error) {
    throw new SluiceError('SLUICE_ERR_SERVER_UNREACHABLE', `no running server found: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}); pass --data DIR or --url`, {
      cause: error,
    });
  }
  if (!endpoints.mqtts) throw new SluiceError('SLUICE_ERR_SERVER_UNREACHABLE', `${file} has no mqtts endpoint; pass --url mqtts://HOST:PORT`);
  return endpoints.mqtts;
}

export function registerSimulateCommand(program: Command, connection: () => ConnectionOptions): void {
  program
    .command('simulate')
    .description('run soil-moisture sensors soilSensor1..N against a broker; with --cert-dir, over mutual TLS as the reference device')
    .option('--url <url>', 'broker URL (default: the running server from --data: its mqtts endpoint with --cert-dir, else plaintext or ws)')
    .option('--cert-dir <dir>', 'connect over mqtts with certificate.pem.crt, private.pem.key and root-ca.pem from DIR (as "sluice certs create --out DIR" writes them)')
    .option('--devices <n>', 'number of devices', (v) => Number.parseInt(v, 10), 3)
    .option('--interval <duration>', 'time between readings per device, e.g. 30s', '30s')
    .option('--qos <n>', '0 or 1', qosFlag, 1)
    .option('--prefix <name>', 'device name prefix (the client ids are prefix1..N)', 'soilSensor')
    .option('--topic <template>', 'topic template; ${name} is the device name', 'device/${name}/devicePayload')
    .option('--count <n>', 'stop after this many rounds', (v) => Number.parseInt(v, 10))
    .action(
      action(async (flags: SimulateFlags) => {
        if (!Number.isInteger(flags.devices) || flags.devices < 1) throw new Error('--devices must be a positive integer');
        const intervalMs = parseDuration(flags.interval, { field: '--interval' });
        let target: { url: string; username?: string; password?: string; credentials?: DeviceCredentials };
        if (flags.certDir !== undefined) {
          const credentials = await readDeviceCredentials(resolve(flags.certDir));
          target = { url: flags.url ?? (await mqttsEndpoint(connection())), credentials };
        } else {
          target = flags.url ? { url: flags.url } : mqttConnection(await resolveServer(connection()));
        }
        let published = 0;
        const simulator = await startSimulator({
          ...target,
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
        process.stderr.write(`simulating ${simulator.devices.join(', ')} at ${target.url}${target.credentials ? ' (mutual TLS)' : ''}\n`);
        const stop = () => void simulator.stop().then(() => process.exit(0));
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      }),
    );
}
