import type { Command } from 'commander';
import { apiRequest, resolveServer, type ConnectionOptions } from './client.js';
import { action, printJson, printTable } from './output.js';

interface TokenInfo {
  tokenId: string;
  name: string;
  scope: 'admin' | 'read-only' | 'device';
  createdAt: string;
  lastUsedAt?: string;
  expiresAt?: string;
  thingName?: string;
  clientId?: string;
}

interface CreateFlags {
  scope: string;
  expiresInDays?: string;
  thing?: string;
  clientId?: string;
  json: boolean;
}

const SCOPES = ['admin', 'read-only', 'device'];

export function registerTokenCommands(program: Command, connection: () => ConnectionOptions): void {
  const token = program
    .command('token')
    .description('API tokens (admin, read-only) and device tokens for MQTT clients without certificates');

  token
    .command('list', { isDefault: true })
    .description('list tokens: id, name, scope, created, last used, expiry (never the secrets)')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const { tokens } = await apiRequest<{ tokens: TokenInfo[] }>(target, 'GET', '/api/v1/tokens');
        if (flags.json) return printJson(tokens);
        const now = Date.now();
        printTable(
          ['ID', 'NAME', 'SCOPE', 'DEVICE', 'CREATED', 'LAST USED', 'EXPIRES'],
          tokens.map((t) => [
            t.tokenId,
            t.name,
            t.scope,
            [t.thingName ? `thing=${t.thingName}` : '', t.clientId ? `client=${t.clientId}` : ''].filter(Boolean).join(' ') || '-',
            t.createdAt,
            t.lastUsedAt ?? 'never',
            t.expiresAt ? `${t.expiresAt}${Date.parse(t.expiresAt) <= now ? ' (expired)' : ''}` : 'never',
          ]),
        );
      }),
    );

  token
    .command('create')
    .description('create a token and print it once (the server keeps only its hash)')
    .argument('<name>', 'a name for the token, unique: 1-64 of [A-Za-z0-9._:@-]')
    .option('--scope <scope>', 'admin (everything), read-only (GET only) or device (MQTT username/password, not the API)', 'read-only')
    .option('--expires-in-days <n>', 'expire after N days (default: never)')
    .option('--thing <name>', 'device tokens: the thing that connects with it (MQTT username = thing name)')
    .option('--client-id <id>', 'device tokens: the MQTT client id that connects with it (username = client id)')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (name: string, flags: CreateFlags) => {
        if (!SCOPES.includes(flags.scope)) throw new Error(`--scope must be one of ${SCOPES.join(', ')}; got '${flags.scope}'`);
        let expiresInDays: number | undefined;
        if (flags.expiresInDays !== undefined) {
          expiresInDays = Number(flags.expiresInDays);
          if (!Number.isFinite(expiresInDays) || expiresInDays <= 0) {
            throw new Error(`--expires-in-days must be a number of days above 0; got '${flags.expiresInDays}'`);
          }
        }
        const target = await resolveServer(connection());
        const created = await apiRequest<TokenInfo & { token: string }>(target, 'POST', '/api/v1/tokens', {
          name,
          scope: flags.scope,
          ...(expiresInDays !== undefined ? { expiresInDays } : {}),
          ...(flags.thing !== undefined ? { thingName: flags.thing } : {}),
          ...(flags.clientId !== undefined ? { clientId: flags.clientId } : {}),
        });
        if (flags.json) return printJson(created);
        const expiry = created.expiresAt ? `expires ${created.expiresAt}` : 'never expires';
        process.stdout.write(`Created token ${created.name} (id ${created.tokenId}, scope ${created.scope}, ${expiry}):\n  ${created.token}\n`);
        process.stderr.write('Store it now: it is shown only this once; the server keeps only its hash.\n');
        if (created.scope === 'device') {
          const username = created.clientId ?? created.thingName ?? '';
          process.stdout.write(`MQTT: username ${username}, password the token; attach policies to the principal token/${created.tokenId}.\n`);
        } else {
          process.stdout.write(`API: send it as "Authorization: Bearer <token>", or pass it to the CLI with --token or SLUICE_TOKEN.\n`);
        }
      }),
    );

  token
    .command('revoke')
    .description('revoke a token at once (the last admin token cannot be revoked)')
    .argument('<id-or-name>', 'token id or name, from "sluice token list"')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (idOrName: string, flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const { revoked } = await apiRequest<{ revoked: TokenInfo }>(target, 'DELETE', `/api/v1/tokens/${encodeURIComponent(idOrName)}`);
        if (flags.json) return printJson(revoked);
        process.stdout.write(`Revoked token ${revoked.name} (id ${revoked.tokenId}, scope ${revoked.scope}).\n`);
      }),
    );
}
