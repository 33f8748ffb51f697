import type { Command } from 'commander';
import { apiRequest, resolveServer, type ConnectionOptions } from './client.js';
import { action, collect, printJson, printTable } from './output.js';
import { exists } from './things.js';

interface ThingType {
  thingTypeName: string;
  thingTypeId: string;
  thingTypeArn: string;
  thingTypeProperties: { thingTypeDescription?: string; searchableAttributes?: string[] };
  thingTypeMetadata: { deprecated: boolean; deprecationDate?: string; creationDate: string };
}

const path = (name: string) => `/api/v1/thing-types/${encodeURIComponent(name)}`;

interface PropertyFlags {
  description?: string;
  searchableAttribute: string[];
}

/** `--description` and `--searchable-attribute` (repeatable: attribute names may contain commas) as AWS's thingTypeProperties. */
function propertiesOf(flags: PropertyFlags): ThingType['thingTypeProperties'] {
  return {
    ...(flags.description !== undefined ? { thingTypeDescription: flags.description } : {}),
    ...(flags.searchableAttribute.length > 0 ? { searchableAttributes: flags.searchableAttribute } : {}),
  };
}

function status(type: ThingType): string {
  return type.thingTypeMetadata.deprecated ? `deprecated since ${type.thingTypeMetadata.deprecationDate ?? '?'}` : 'active';
}

/**
 * `sluice thing-types`: AWS IoT thing types (CreateThingType, UpdateThingType,
 * DescribeThingType, ListThingTypes, DeprecateThingType, DeleteThingType).
 */
export function registerThingTypeCommands(program: Command, connection: () => ConnectionOptions): void {
  const types = program
    .command('thing-types')
    .description('thing types in the registry: list, describe, create, update, deprecate, delete');

  types
    .command('list', { isDefault: true })
    .description('list thing types')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const { thingTypes } = await apiRequest<{ thingTypes: ThingType[] }>(target, 'GET', '/api/v1/thing-types');
        if (flags.json) return printJson(thingTypes);
        printTable(
          ['NAME', 'STATUS', 'SEARCHABLE', 'DESCRIPTION'],
          thingTypes.map((t) => [
            t.thingTypeName,
            t.thingTypeMetadata.deprecated ? 'deprecated' : 'active',
            (t.thingTypeProperties.searchableAttributes ?? []).join(',') || '-',
            t.thingTypeProperties.thingTypeDescription ?? '-',
          ]),
        );
      }),
    );

  types
    .command('describe')
    .alias('show')
    .description('show a thing type: its properties, whether it is deprecated, and how many things have it')
    .argument('<name>', 'thing type name')
    .option('--json', 'print as JSON (DescribeThingType\'s shape)', false)
    .action(
      action(async (name: string, flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const type = await apiRequest<ThingType>(target, 'GET', path(name));
        if (flags.json) return printJson(type);
        const { things } = await apiRequest<{ things: Array<{ thingName: string }> }>(
          target,
          'GET',
          `/api/v1/things?${new URLSearchParams({ thingTypeName: name }).toString()}`,
        );
        const lines = [
          `Thing type:   ${type.thingTypeName}`,
          `ARN:          ${type.thingTypeArn}`,
          `Id:           ${type.thingTypeId}`,
          `Description:  ${type.thingTypeProperties.thingTypeDescription ?? '-'}`,
          `Searchable:   ${(type.thingTypeProperties.searchableAttributes ?? []).join(', ') || '-'}`,
          `Status:       ${status(type)}`,
          `Created:      ${type.thingTypeMetadata.creationDate}`,
          `Things:       ${things.length}`,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );

  withPropertyOptions(types
    .command('create')
    .description('create a thing type (an existing one with the same properties is left as it is; with other properties it is an error: use update)')
    .argument('<name>', 'thing type name: 1-128 of A-Z a-z 0-9 : _ -'))
    .action(
      action(async (name: string, flags: PropertyFlags & { json: boolean }) => {
        const target = await resolveServer(connection());
        const existed = await exists(apiRequest(target, 'GET', path(name)));
        const type = await apiRequest<ThingType>(target, 'POST', '/api/v1/thing-types', { thingTypeName: name, thingTypeProperties: propertiesOf(flags) });
        if (flags.json) return printJson(type);
        process.stdout.write(existed ? `Thing type ${name} already exists with these properties\n` : `Created thing type ${name} (${type.thingTypeArn})\n`);
      }),
    );

  withPropertyOptions(types
    .command('update')
    .description('replace a thing type\'s properties (what is not given is cleared), or create it; deprecation is left as it is')
    .argument('<name>', 'thing type name'))
    .action(
      action(async (name: string, flags: PropertyFlags & { json: boolean }) => {
        const target = await resolveServer(connection());
        const existed = await exists(apiRequest(target, 'GET', path(name)));
        const type = await apiRequest<ThingType>(target, 'PUT', path(name), { thingTypeProperties: propertiesOf(flags) });
        if (flags.json) return printJson(type);
        process.stdout.write(existed ? `Updated thing type ${name}\n` : `Created thing type ${name} (${type.thingTypeArn})\n`);
      }),
    );

  types
    .command('deprecate')
    .description('deprecate a thing type: no new thing may take it, things that have it keep it (--undo reverses it)')
    .argument('<name>', 'thing type name')
    .option('--undo', 'undo the deprecation', false)
    .action(
      action(async (name: string, flags: { undo: boolean }) => {
        const target = await resolveServer(connection());
        const type = await apiRequest<ThingType>(target, 'POST', `${path(name)}/deprecate`, { undoDeprecate: flags.undo });
        process.stdout.write(flags.undo ? `Thing type ${name} is no longer deprecated\n` : `Thing type ${name} is deprecated (${status(type)})\n`);
      }),
    );

  types
    .command('delete')
    .description('delete a thing type (deprecate it and take it off its things first)')
    .argument('<name>', 'thing type name')
    .action(
      action(async (name: string) => {
        const target = await resolveServer(connection());
        await apiRequest(target, 'DELETE', path(name));
        process.stdout.write(`Deleted thing type ${name}\n`);
      }),
    );
}

/** The options of create and update: the type's properties, and --json. */
function withPropertyOptions(command: Command): Command {
  return command
    .option('--description <text>', 'what the type is for')
    .option('--searchable-attribute <name>', 'an attribute name every thing of the type is searched by (repeatable, at most 3)', collect, [])
    .option('--json', 'print as JSON', false);
}
