import { Command } from 'commander';
import { registerBucketCommands } from './buckets.js';
import { registerCertificateCommands } from './certs.js';
import type { ConnectionOptions } from './client.js';
import { registerDeadLetterCommands } from './dlq.js';
import { registerLogsCommand } from './logs.js';
import { registerMqttCommands } from './mqtt.js';
import { registerNotifyCommand } from './notify.js';
import { registerObjectCommands } from './objects.js';
import { registerPolicyCommands } from './policies.js';
import { registerReadingsCommand } from './readings.js';
import { registerResourceCommands } from './resources.js';
import { registerSqlCommands } from './sql.js';
import { registerSimulateCommand } from './simulate.js';
import { registerStackCommands } from './stacks.js';
import { registerTestCommand } from './test.js';
import { registerThingTypeCommands } from './thing-types.js';
import { registerThingCommands } from './things.js';
import { registerTokenCommands } from './tokens.js';
import { registerTopicCommands } from './topics.js';
import { registerUp } from './up.js';

const program = new Command();
program
  .name('sluice')
  .description('Sluice: a self-hosted IoT backend (MQTT broker, SQL rules, functions, storage, notifications)')
  // Global, so it may stand before or after the command: `sluice up --data d` and `sluice --data d mailbox`.
  .option('--data <dir>', 'data directory: where `up` keeps everything; where clients find endpoints.json and admin-token (default ./data)', process.env.SLUICE_DATA)
  .option('--server <url>', 'HTTP URL of the server (instead of --data)', process.env.SLUICE_SERVER)
  .option('--token <token>', 'admin token (instead of <data>/admin-token)', process.env.SLUICE_TOKEN)
  .configureHelp({ showGlobalOptions: true })
  .showHelpAfterError();

const connection = (): ConnectionOptions => {
  const global = program.opts<{ data?: string; server?: string; token?: string }>();
  return {
    ...(global.data ? { data: global.data } : {}),
    ...(global.server ? { server: global.server } : {}),
    ...(global.token ? { token: global.token } : {}),
  };
};

registerUp(program);
registerStackCommands(program, connection);
registerMqttCommands(program, connection);
registerResourceCommands(program, connection);
registerBucketCommands(program, connection);
registerObjectCommands(program, connection);
registerTopicCommands(program, connection);
registerNotifyCommand(program, connection);
registerLogsCommand(program, connection);
registerReadingsCommand(program, connection);
registerThingCommands(program, connection);
registerThingTypeCommands(program, connection);
registerPolicyCommands(program, connection);
registerCertificateCommands(program, connection);
registerSimulateCommand(program, connection);
registerDeadLetterCommands(program, connection);
registerSqlCommands(program);
registerTestCommand(program);
registerTokenCommands(program, connection);

await program.parseAsync(process.argv);
