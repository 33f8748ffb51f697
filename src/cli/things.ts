import type { Command } from 'commander';
import { SluiceError } from '../core/index.js';
import { apiRequest, resolveServer, type ConnectionOptions } from './client.js';
import { action, collect, printJson, printTable } from './output.js';

interface Thing {
  thingName: string;
  thingArn: string;
  attributes: Record<string, string>;
  thingTypeName?: string;
  createdAt: string;
  updatedAt: string;
}

interface ThingDescription extends Thing {
  principals: Array<{ principal: string; thingPrincipalType: string }>;
}

const path = (name: string) => `/api/v1/things/${encodeURIComponent(name)}`;

/** `--attr room=shed --attr floor=2` → `{room: 'shed', floor: '2'}`. */
function parseAttributes(pairs: string[]): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--attr expects KEY=VALUE, got '${pair}'`);
    attributes[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return attributes;
}

/** Whether a GET found its resource (404 → false; other errors are errors). */
export async function exists(request: Promise<unknown>): Promise<boolean> {
  try {
    await request;
    return true;
  } catch (error) {
    if (error instanceof SluiceError && error.code === 'SLUICE_ERR_NOT_FOUND') return false;
    throw error;
  }
}

/** `--type`, `--attribute NAME[=VALUE]` and `--prefix` as ListThings' query (`?thingTypeName=…&attributeName=…`). */
function listQuery(flags: { type?: string; attribute?: string; prefix: boolean }): string {
  const query = new URLSearchParams();
  if (flags.type !== undefined) query.set('thingTypeName', flags.type);
  if (flags.attribute !== undefined) {
    const at = flags.attribute.indexOf('=');
    if (at === 0) throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `--attribute expects NAME or NAME=VALUE, got '${flags.attribute}'`);
    query.set('attributeName', at < 0 ? flags.attribute : flags.attribute.slice(0, at));
    if (at > 0) query.set('attributeValue', flags.attribute.slice(at + 1));
  }
  if (flags.prefix) {
    if (!query.has('attributeValue')) throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', '--prefix needs --attribute NAME=VALUE (VALUE is the prefix)');
    query.set('usePrefixAttributeValue', 'true');
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}

function formatAttributes(attributes: Record<string, string>): string {
  return Object.entries(attributes)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** `sluice things`: AWS IoT things (CreateThing, DescribeThing, ListThings, DeleteThing) and their principals. */
export function registerThingCommands(program: Command, connection: () => ConnectionOptions): void {
  const things = program.command('things').description('things in the registry: list, describe, create, delete, attach principals');

  things
    .command('list', { isDefault: true })
    .description('list things with their type and attributes, optionally only those of a type or with an attribute')
    .option('--type <thingTypeName>', 'only things of this thing type')
    .option('--attribute <name[=value]>', 'only things that have the attribute (with =VALUE: with that value)')
    .option('--prefix', 'with --attribute NAME=VALUE: VALUE is a prefix of the attribute\'s value', false)
    .option('--json', 'print as JSON', false)
    .action(
      action(async (flags: { type?: string; attribute?: string; prefix: boolean; json: boolean }) => {
        const query = listQuery(flags);
        const target = await resolveServer(connection());
        const { things: list } = await apiRequest<{ things: Thing[] }>(target, 'GET', `/api/v1/things${query}`);
        if (flags.json) return printJson(list);
        printTable(
          ['NAME', 'TYPE', 'ATTRIBUTES', 'UPDATED'],
          list.map((t) => [t.thingName, t.thingTypeName ?? '-', formatAttributes(t.attributes), t.updatedAt]),
        );
      }),
    );

  things
    .command('describe')
    .description('show a thing, its attributes and the principals (certificates, device tokens) attached to it')
    .argument('<name>', 'thing name')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (name: string, flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const thing = await apiRequest<ThingDescription>(target, 'GET', path(name));
        if (flags.json) return printJson(thing);
        const lines = [
          `Thing:       ${thing.thingName}`,
          `ARN:         ${thing.thingArn}`,
          `Type:        ${thing.thingTypeName ?? '-'}`,
          `Attributes:  ${formatAttributes(thing.attributes) || '-'}`,
          `Created:     ${thing.createdAt}`,
          `Updated:     ${thing.updatedAt}`,
          `Principals:  ${thing.principals.length === 0 ? '-' : ''}`,
          ...thing.principals.map((p) => `  ${p.principal}  ${p.thingPrincipalType}`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );

  things
    .command('create')
    .description('create a thing, or replace the attributes of an existing one')
    .argument('<name>', 'thing name: 1-128 of A-Z a-z 0-9 : _ -')
    .option('--attr <key=value>', 'an attribute (repeatable)', collect, [])
    .option('--type <thingTypeName>', 'thing type name')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (name: string, flags: { attr: string[]; type?: string; json: boolean }) => {
        const attributes = parseAttributes(flags.attr);
        const target = await resolveServer(connection());
        const existed = await exists(apiRequest(target, 'GET', path(name)));
        const thing = await apiRequest<Thing>(target, 'PUT', path(name), { attributes, ...(flags.type !== undefined ? { thingTypeName: flags.type } : {}) });
        if (flags.json) return printJson(thing);
        process.stdout.write(`${existed ? 'Updated' : 'Created'} thing ${thing.thingName} (${thing.thingArn})\n`);
      }),
    );

  things
    .command('delete')
    .description('delete a thing (detach its principals first)')
    .argument('<name>', 'thing name')
    .action(
      action(async (name: string) => {
        const target = await resolveServer(connection());
        await apiRequest(target, 'DELETE', path(name));
        process.stdout.write(`Deleted thing ${name}\n`);
      }),
    );

  things
    .command('attach')
    .description('attach a principal (certificate id or ARN, or token/<tokenId>) to a thing')
    .argument('<name>', 'thing name')
    .requiredOption('--principal <principal>', 'certificate id or ARN, or token/<tokenId>')
    .option('--exclusive', 'EXCLUSIVE_THING: the principal is attached to this thing only', false)
    .action(
      action(async (name: string, flags: { principal: string; exclusive: boolean }) => {
        const target = await resolveServer(connection());
        const result = await apiRequest<{ principal: string; thingPrincipalType: string }>(target, 'POST', `${path(name)}/principals`, {
          principal: flags.principal,
          exclusive: flags.exclusive,
        });
        process.stdout.write(`Attached ${result.principal} to thing ${name} (${result.thingPrincipalType})\n`);
      }),
    );

  things
    .command('detach')
    .description('detach a principal from a thing')
    .argument('<name>', 'thing name')
    .requiredOption('--principal <principal>', 'certificate id, or token/<tokenId>')
    .action(
      action(async (name: string, flags: { principal: string }) => {
        const target = await resolveServer(connection());
        const result = await apiRequest<{ principal: string }>(target, 'DELETE', `${path(name)}/principals/${encodeURIComponent(flags.principal)}`);
        process.stdout.write(`Detached ${result.principal} from thing ${name}\n`);
      }),
    );
}
