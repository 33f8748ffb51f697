import type { RunningServer } from '../app/index.js';
import { errorMessage, type Logger } from '../core/index.js';
import { readDeviceCredentials, startSimulator, type DeviceCredentials, type RunningSimulator } from '../sim/index.js';
import { simulatorCertificate, type DeployedStack } from '../stack/index.js';
import { apiRequest } from './client.js';

interface SimulatorConnection {
  url: string;
  username?: string;
  password?: string;
  credentials?: DeviceCredentials;
  /** How the sensors connect, for the start-up line. */
  how: string;
}

/**
 * How `up --simulate` connects the sensors. With `--insecure`: plaintext, as
 * before. Otherwise as the reference's device: over mqtts with the
 * certificate the stack issued for `simulator.thing` (its files where the
 * deploy wrote them); a stack without one falls back to the operator's admin
 * token over WebSocket.
 */
async function simulatorConnection(server: RunningServer, stackName: string): Promise<SimulatorConnection> {
  if (server.endpoints.mqtt) return { url: server.endpoints.mqtt, how: 'plaintext MQTT (--insecure)' };
  const fallback = { url: server.endpoints.ws, username: 'admin', password: server.adminToken };
  const target = { http: server.endpoints.http, mqtt: undefined, ws: server.endpoints.ws, token: server.adminToken };
  const stack = await apiRequest<DeployedStack>(target, 'GET', `/api/v1/stacks/${encodeURIComponent(stackName)}`);
  const certificate = simulatorCertificate(stack);
  if (!certificate) return { ...fallback, how: `the admin token over WebSocket (stack ${stackName} declares no certificate for its simulator's thing)` };
  try {
    const credentials = await readDeviceCredentials(certificate.dir);
    return { url: server.endpoints.mqtts, credentials, how: `mutual TLS with certificate ${certificate.name} (${certificate.certificateId.slice(0, 12)}…) from ${certificate.dir}` };
  } catch (error) {
    return { ...fallback, how: `the admin token over WebSocket: the files of certificate ${certificate.name} are missing (${errorMessage(error)})` };
  }
}

export async function runSimulator(server: RunningServer, logger: Logger): Promise<RunningSimulator | undefined> {
  const [stackName, spec] = [...server.simulators.entries()][0] ?? [];
  if (!stackName || !spec) {
    process.stdout.write('--simulate: no deployed stack has simulator settings; nothing to simulate.\n');
    return undefined;
  }
  const { how, ...connection } = await simulatorConnection(server, stackName);
  const simulator = await startSimulator({
    ...connection,
    devices: spec.devices,
    intervalMs: spec.intervalMs,
    qos: spec.qos,
    namePrefix: spec.namePrefix,
    topic: spec.topic,
    logger,
    onPublish: (topic, payload) => process.stdout.write(`sim  ${topic}  ${payload}\n`),
  });
  process.stdout.write(`Simulating ${simulator.devices.join(', ')} (stack ${stackName}) every ${spec.intervalMs / 1000}s, QoS ${spec.qos}, over ${how}.\n`);
  return simulator;
}
