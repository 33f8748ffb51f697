import type { Command } from 'commander';
import type { ActionStatus, DeadLetterView } from '../actions/index.js';
import { SluiceError } from '../core/index.js';
import { apiRequest, resolveServer, type ConnectionOptions } from './client.js';
import { action, printJson, printTable } from './output.js';

interface SelectionFlags {
  rule?: string;
  subscription?: string;
  olderThan?: string;
  newerThan?: string;
  all?: boolean;
}

function query(flags: SelectionFlags & { limit?: string }): string {
  const params = new URLSearchParams();
  if (flags.rule) params.set('rule', flags.rule);
  if (flags.subscription) params.set('subscription', flags.subscription);
  if (flags.olderThan) params.set('olderThan', flags.olderThan);
  if (flags.newerThan) params.set('newerThan', flags.newerThan);
  if (flags.limit) params.set('limit', flags.limit);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Replay and purge act on many dead letters at once, so an empty selection must be said on purpose. */
function selection(command: 'replay' | 'purge', id: string | undefined, flags: SelectionFlags): Record<string, unknown> {
  if (!id && !flags.rule && !flags.subscription && !flags.olderThan && !flags.newerThan && !flags.all) {
    throw new SluiceError(
      'SLUICE_ERR_REQUEST_INVALID',
      `dlq ${command}: give a dead letter id, --rule, --subscription, --older-than or --newer-than, or --all to ${command} every one`,
    );
  }
  return {
    ...(id ? { id } : {}),
    ...(flags.rule ? { rule: flags.rule } : {}),
    ...(flags.subscription ? { subscription: flags.subscription } : {}),
    ...(flags.olderThan ? { olderThan: flags.olderThan } : {}),
    ...(flags.newerThan ? { newerThan: flags.newerThan } : {}),
    ...(flags.all ? { all: true } : {}),
  };
}

const withFilters = (command: Command): Command =>
  command
    .option('--rule <name>', "only dead letters of this rule ('$notify/<topic>': a topic's notification deliveries)")
    .option('--subscription <id>', "only this notification subscription's dead deliveries")
    .option('--older-than <duration>', 'only dead letters older than this, e.g. 1h')
    .option('--newer-than <duration>', 'only dead letters newer than this, e.g. 30m');

export function registerDeadLetterCommands(program: Command, connection: () => ConnectionOptions): void {
  const dlq = program.command('dlq').description('dead letters: rule actions that failed after their retries and error action');

  withFilters(dlq.command('list', { isDefault: true }).description('list dead letters, newest first'))
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (flags: SelectionFlags & { limit: string; json: boolean }) => {
        const target = await resolveServer(connection());
        const { deadLetters } = await apiRequest<{ deadLetters: DeadLetterView[] }>(target, 'GET', `/api/v1/dead-letters${query(flags)}`);
        if (flags.json) return printJson(deadLetters);
        printTable(
          ['ID', 'RULE', 'ACTION', 'ATTEMPTS', 'DEAD SINCE', 'ERROR'],
          deadLetters.map((d) => [d.id, d.ruleName, d.target.kind, String(d.attempts), d.deadAt, (d.failures[0]?.errorMessage ?? '').slice(0, 60)]),
        );
      }),
    );

  dlq
    .command('show')
    .description('one dead letter with its payload and failure')
    .argument('<id>', 'dead letter id from "sluice dlq list"')
    .action(
      action(async (id: string) => {
        const target = await resolveServer(connection());
        printJson(await apiRequest<DeadLetterView>(target, 'GET', `/api/v1/dead-letters/${encodeURIComponent(id)}`));
      }),
    );

  withFilters(dlq.command('replay').description('run dead letters\' original actions again with their original data'))
    .argument('[id]', 'one dead letter (else use the filters, or --all)')
    .option('--all', 'every dead letter', false)
    .action(
      action(async (id: string | undefined, flags: SelectionFlags) => {
        const target = await resolveServer(connection());
        const { replayed } = await apiRequest<{ replayed: string[] }>(target, 'POST', '/api/v1/dead-letters/replay', selection('replay', id, flags));
        process.stdout.write(`replayed ${replayed.length} dead letter${replayed.length === 1 ? '' : 's'}\n`);
      }),
    );

  withFilters(dlq.command('purge').description('delete dead letters for good'))
    .argument('[id]', 'one dead letter (else use the filters, or --all)')
    .option('--all', 'every dead letter', false)
    .action(
      action(async (id: string | undefined, flags: SelectionFlags) => {
        const target = await resolveServer(connection());
        const { purged } = await apiRequest<{ purged: number }>(target, 'POST', '/api/v1/dead-letters/purge', selection('purge', id, flags));
        process.stdout.write(`purged ${purged} dead letter${purged === 1 ? '' : 's'}\n`);
      }),
    );

  program
    .command('status')
    .description('the action queue and each rule\'s counts: matched, succeeded, retried, failed, dead-lettered, queued')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const status = await apiRequest<ActionStatus>(target, 'GET', '/api/v1/status');
        if (flags.json) return printJson(status);
        process.stdout.write(
          `queue: ${status.backlog} queued or running (${status.running} running), oldest ${Math.round(status.oldestJobAgeMs / 1000)}s; dead letters: ${status.deadLetters}\n\n`,
        );
        printTable(
          ['RULE', 'MATCHED', 'SUCCEEDED', 'RETRIED', 'FAILED', 'DEAD-LETTERED', 'QUEUED'],
          status.rules.map((r) => [r.rule, r.matched, r.succeeded, r.retried, r.failed, r.deadLettered, r.queued].map(String)),
        );
      }),
    );
}
