import type { Command } from 'commander';
import { apiRequest, resolveServer, type ConnectionOptions } from './client.js';
import { action, printJson, printTable } from './output.js';

interface MailboxEntry {
  id: string;
  to: string;
  subject: string;
  date: string;
  text: string;
}

export function registerResourceCommands(program: Command, connection: () => ConnectionOptions): void {
  const mailbox = program.command('mailbox').description('the dev mailbox (mail the server sends when --smtp is not set)');
  mailbox
    .command('list', { isDefault: true })
    .description('list messages, oldest first')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const { messages } = await apiRequest<{ messages: MailboxEntry[] }>(target, 'GET', '/api/v1/mailbox');
        if (flags.json) return printJson(messages);
        printTable(
          ['ID', 'DATE', 'TO', 'SUBJECT'],
          messages.map((m) => [m.id, m.date, m.to, m.subject]),
        );
      }),
    );
  mailbox
    .command('show')
    .description('print one message with its links')
    .argument('<id>', 'message id from "sluice mailbox"')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (id: string, flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const message = await apiRequest<MailboxEntry>(target, 'GET', `/api/v1/mailbox/${encodeURIComponent(id)}`);
        if (flags.json) return printJson(message);
        process.stdout.write(`To: ${message.to}\nDate: ${message.date}\nSubject: ${message.subject}\n\n${message.text}\n`);
      }),
    );

  program
    .command('rules')
    .description('list deployed rules')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const { rules } = await apiRequest<{ rules: Array<{ name: string; enabled: boolean; topicFilter: string; sql: string }> }>(
          target,
          'GET',
          '/api/v1/rules',
        );
        if (flags.json) return printJson(rules);
        printTable(
          ['NAME', 'ENABLED', 'FROM', 'SQL'],
          rules.map((r) => [r.name, String(r.enabled), r.topicFilter, r.sql]),
        );
      }),
    );

  const functions = program.command('functions').description('deployed functions');
  functions
    .command('list', { isDefault: true })
    .option('--json', 'print as JSON', false)
    .action(
      action(async (flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const { functions: list } = await apiRequest<{ functions: Array<{ name: string; version: string; timeoutMs: number; memorySizeMb: number }> }>(
          target,
          'GET',
          '/api/v1/functions',
        );
        if (flags.json) return printJson(list);
        printTable(
          ['NAME', 'VERSION', 'TIMEOUT', 'MEMORY'],
          list.map((f) => [f.name, f.version, `${f.timeoutMs / 1000}s`, `${f.memorySizeMb} MB`]),
        );
      }),
    );
  functions
    .command('show')
    .description("a function's configuration (Lambda's GetFunctionConfiguration; environment variable names only)")
    .argument('<name>', 'function name')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (name: string, flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const config = await apiRequest<FunctionConfigurationView>(target, 'GET', `/api/v1/functions/${encodeURIComponent(name)}`);
        if (flags.json) return printJson(config);
        const destination = (d: Record<string, string> | undefined) => (d ? Object.entries(d).map(([k, v]) => `${k} ${v}`).join(', ') : '-');
        console.log(
          [
            `Name:                 ${config.name}`,
            `ARN:                  ${config.functionArn}`,
            `Version:              ${config.version} (deployed ${config.deployedAt})`,
            `Handler export:       ${config.exportName}`,
            `Timeout:              ${config.timeoutMs / 1000}s`,
            `Memory:               ${config.memorySizeMb} MB`,
            `Reserved concurrency: ${config.reservedConcurrency ?? '-'}`,
            `Retry attempts:       ${config.retryAttempts}`,
            `Max event age:        ${config.maxEventAgeMs / 1000}s`,
            `On success:           ${destination(config.destinations?.onSuccess)}`,
            `On failure:           ${destination(config.destinations?.onFailure)}`,
            `Environment:          ${config.environmentVariableNames.join(', ') || '-'}`,
            `Code SHA-256:         ${config.codeSha256}`,
          ].join('\n'),
        );
      }),
    );
  functions
    .command('invoke')
    .description('invoke a function and print its result (or, with --invocation-type Event, queue it and print its request id)')
    .argument('<name>', 'function name')
    .option('--payload <json>', 'event as JSON', '{}')
    .option(
      '--invocation-type <type>',
      "Lambda's: RequestResponse (wait for the result), Event (queued durably, retried, outcome to the destinations), DryRun (check that it exists)",
      'RequestResponse',
    )
    .action(
      action(async (name: string, flags: { payload: string; invocationType: string }) => {
        let event: unknown;
        try {
          event = JSON.parse(flags.payload);
        } catch (error) {
          throw new Error(`--payload is not JSON: ${(error as Error).message}`);
        }
        const types = ['RequestResponse', 'Event', 'DryRun'];
        if (!types.includes(flags.invocationType)) throw new Error(`--invocation-type: '${flags.invocationType}' is not one of ${types.join(', ')}`);
        const target = await resolveServer(connection());
        const path = `/api/v1/functions/${encodeURIComponent(name)}/invoke?invocationType=${flags.invocationType}`;
        if (flags.invocationType === 'RequestResponse') {
          const result = await apiRequest<{ ok: boolean }>(target, 'POST', path, event);
          printJson(result);
          if (!result.ok) process.exitCode = 1;
          return;
        }
        const accepted = await apiRequest<{ requestId: string } | undefined>(target, 'POST', path, event);
        if (flags.invocationType === 'DryRun') console.log(`function '${name}' exists; it was not run`);
        else printJson(accepted);
      }),
    );
}

interface FunctionConfigurationView {
  name: string;
  functionArn: string;
  version: string;
  deployedAt: string;
  exportName: string;
  timeoutMs: number;
  memorySizeMb: number;
  reservedConcurrency?: number;
  retryAttempts: number;
  maxEventAgeMs: number;
  destinations?: { onSuccess?: Record<string, string>; onFailure?: Record<string, string> };
  environmentVariableNames: string[];
  codeSha256: string;
}
