import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { SluiceError } from '../core/index.js';
import { parsePolicyDocumentFile } from '../stack/index.js';
import { apiRequest, resolveServer, type ConnectionOptions } from './client.js';
import { action, printJson, printTable } from './output.js';

interface Policy {
  policyName: string;
  policyArn: string;
  document: { Version: string; Statement: unknown };
  version: number;
  defaultVersionId: string;
  createdAt: string;
  updatedAt: string;
}

interface PolicyDescription extends Policy {
  versions: Array<{ versionId: string; isDefaultVersion: boolean; createDate: string }>;
  targets: string[];
}

const path = (name: string) => `/api/v1/policies/${encodeURIComponent(name)}`;

function statementCount(document: Policy['document']): number {
  return Array.isArray(document.Statement) ? document.Statement.length : 1;
}

/** Reads and checks a policy document file here, so a mistake names the file, line and field before anything is sent. */
async function readDocument(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `cannot read the policy document: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      place: { file },
      cause: error,
    });
  }
  return parsePolicyDocumentFile(file, text);
}

/** `sluice policies`: AWS IoT policies (CreatePolicy/CreatePolicyVersion, GetPolicy, DeletePolicy, AttachPolicy, DetachPolicy). */
export function registerPolicyCommands(program: Command, connection: () => ConnectionOptions): void {
  const policies = program.command('policies').description('policies in the registry: list, describe, create, delete, attach to principals');

  policies
    .command('list', { isDefault: true })
    .description('list policies with their default version')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const { policies: list } = await apiRequest<{ policies: Policy[] }>(target, 'GET', '/api/v1/policies');
        if (flags.json) return printJson(list);
        printTable(
          ['NAME', 'VERSION', 'STATEMENTS'],
          list.map((p) => [p.policyName, String(p.version), String(statementCount(p.document))]),
        );
      }),
    );

  policies
    .command('describe')
    .description('show a policy: its document, versions and the principals it is attached to')
    .argument('<name>', 'policy name')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (name: string, flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const policy = await apiRequest<PolicyDescription>(target, 'GET', path(name));
        if (flags.json) return printJson(policy);
        const lines = [
          `Policy:    ${policy.policyName}`,
          `ARN:       ${policy.policyArn}`,
          `Default:   version ${policy.defaultVersionId} (${policy.updatedAt})`,
          `Versions:  ${policy.versions.map((v) => `${v.versionId}${v.isDefaultVersion ? '*' : ''}`).join(' ')}`,
          `Targets:   ${policy.targets.length === 0 ? '-' : ''}`,
          ...policy.targets.map((t) => `  ${t}`),
          'Document:',
          ...JSON.stringify(policy.document, null, 2)
            .split('\n')
            .map((l) => `  ${l}`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );

  policies
    .command('create')
    .description('create a policy from a JSON (or YAML) document; for an existing policy, the document becomes its new default version')
    .argument('<name>', 'policy name: 1-128 of A-Z a-z 0-9 _ + = , . @ -')
    .requiredOption('--document <file>', 'the policy document (AWS IoT policy JSON)')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (name: string, flags: { document: string; json: boolean }) => {
        const document = await readDocument(flags.document);
        const target = await resolveServer(connection());
        const before = await apiRequest<Policy>(target, 'GET', path(name)).catch((error: unknown) => {
          if (error instanceof SluiceError && error.code === 'SLUICE_ERR_NOT_FOUND') return undefined;
          throw error;
        });
        const policy = await apiRequest<Policy & { warnings: Array<{ path: string; message: string }> }>(target, 'PUT', path(name), { document });
        if (flags.json) return printJson(policy);
        if (!before) process.stdout.write(`Created policy ${policy.policyName} (${policy.policyArn}), version ${policy.defaultVersionId}\n`);
        else if (before.defaultVersionId === policy.defaultVersionId) process.stdout.write(`Policy ${policy.policyName} already has this document (version ${policy.defaultVersionId})\n`);
        else process.stdout.write(`Updated policy ${policy.policyName}: version ${policy.defaultVersionId} is now its default version\n`);
        for (const warning of policy.warnings) process.stderr.write(`warning: ${flags.document}: ${warning.path}: ${warning.message}\n`);
      }),
    );

  policies
    .command('delete')
    .description('delete a policy (detach it from its principals first)')
    .argument('<name>', 'policy name')
    .action(
      action(async (name: string) => {
        const target = await resolveServer(connection());
        await apiRequest(target, 'DELETE', path(name));
        process.stdout.write(`Deleted policy ${name}\n`);
      }),
    );

  for (const verb of ['attach', 'detach'] as const) {
    policies
      .command(verb)
      .description(verb === 'attach' ? 'attach a policy to a principal' : 'detach a policy from a principal')
      .argument('<name>', 'policy name')
      .requiredOption('--principal <principal>', 'certificate id or ARN, or token/<tokenId>')
      .action(
        action(async (name: string, flags: { principal: string }) => {
          const target = await resolveServer(connection());
          const result = await apiRequest<{ principal: string }>(target, 'POST', `${path(name)}/${verb}`, { principal: flags.principal });
          process.stdout.write(`${verb === 'attach' ? 'Attached' : 'Detached'} policy ${name} ${verb === 'attach' ? 'to' : 'from'} ${result.principal}\n`);
        }),
      );
  }
}
