import type { Command } from 'commander';
import { parseParams } from '../core/index.js';
import { formatPlan, prepareStackDeployment, type StackDeployResult } from '../stack/index.js';
import { apiRequest, resolveServer, type ConnectionOptions } from './client.js';
import { action, collect, printJson, printTable } from './output.js';

export function registerStackCommands(program: Command, connection: () => ConnectionOptions): void {
  program
    .command('deploy')
    .description('deploy (create or update) a stack file on the running server; prints the plan')
    .argument('<file>', 'stack file (YAML)')
    .option('--param <key=value>', 'stack parameter (repeatable)', collect, [])
    .option('--dry-run', 'print the plan without applying it', false)
    .option('--json', 'print the result as JSON', false)
    .action(
      action(async (file: string, flags: { param: string[]; dryRun: boolean; json: boolean }) => {
        // Parse and bundle here first: a bad file fails with its line before anything is sent.
        const request = await prepareStackDeployment(file, parseParams(flags.param));
        const target = await resolveServer(connection());
        const result = await apiRequest<StackDeployResult>(target, 'POST', `/api/v1/stacks?dryRun=${flags.dryRun}`, request);
        if (flags.json) printJson(result);
        else process.stdout.write(`${formatPlan(result)}\n`);
      }),
    );

  program
    .command('destroy')
    .description('delete everything a stack created')
    .argument('<stack>', 'stack name')
    .option('--empty-buckets', 'delete the objects in its buckets too (refused otherwise, as S3 does)', false)
    .option('--dry-run', 'print the plan without applying it', false)
    .option('--json', 'print the result as JSON', false)
    .action(
      action(async (stack: string, flags: { emptyBuckets: boolean; dryRun: boolean; json: boolean }) => {
        const target = await resolveServer(connection());
        const query = `emptyBuckets=${flags.emptyBuckets}&dryRun=${flags.dryRun}`;
        const result = await apiRequest<StackDeployResult>(target, 'DELETE', `/api/v1/stacks/${encodeURIComponent(stack)}?${query}`);
        if (flags.json) printJson(result);
        else process.stdout.write(`${formatPlan(result)}\n`);
      }),
    );

  program
    .command('stacks')
    .description('list deployed stacks')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const { stacks } = await apiRequest<{ stacks: Array<{ name: string; fileName: string; deployedAt: string; resourceCount?: number }> }>(
          target,
          'GET',
          '/api/v1/stacks',
        );
        if (flags.json) return printJson(stacks);
        printTable(
          ['NAME', 'FILE', 'DEPLOYED'],
          stacks.map((s) => [s.name, s.fileName, s.deployedAt]),
        );
      }),
    );
}
