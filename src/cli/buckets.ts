import type { Command } from 'commander';
import { apiRequest, resolveServer, type ConnectionOptions } from './client.js';
import { action, printJson, printTable } from './output.js';

/** `sluice buckets list`: the buckets the server keeps, and where (fs or s3). */
export function registerBucketCommands(program: Command, connection: () => ConnectionOptions): void {
  const buckets = program.command('buckets').description('object store buckets (GET /api/v1/buckets)');
  buckets
    .command('list', { isDefault: true })
    .description('list buckets with the driver that keeps each (fs or s3)')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const { buckets: list } = await apiRequest<{ buckets: Array<{ name: string; driver: string }> }>(target, 'GET', '/api/v1/buckets');
        if (flags.json) return printJson(list);
        printTable(['NAME', 'DRIVER'], list.map((b) => [b.name, b.driver]));
      }),
    );
}
