import { access, constants, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { SluiceError, errorMessage, parseParams } from '../core/index.js';
import { writeDeviceCredentials } from '../sim/index.js';
import { formatPlan, loadStackFile, prepareStackDeployment, type IssuedStackCertificate, type StackDeployResult } from '../stack/index.js';
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
        const params = parseParams(flags.param);
        const request = await prepareStackDeployment(file, params);
        if (!flags.dryRun) await prepareCertificateDirs(file, params);
        const target = await resolveServer(connection());
        const answer = await apiRequest<StackDeployResult>(target, 'POST', `/api/v1/stacks?dryRun=${flags.dryRun}`, request);
        const { result, failures } = await writeIssuedCertificates(file, answer);
        if (flags.json) printJson(result);
        else process.stdout.write(`${formatPlan(result)}\n`);
        if (failures.length > 0) throw failures[0];
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

/**
 * The certificates' `out` directories exist and are writable before the
 * deploy: a certificate's private key arrives once, in the deploy's answer,
 * and must have somewhere to go.
 */
async function prepareCertificateDirs(file: string, params: Record<string, string>): Promise<void> {
  const { definition, locator } = await loadStackFile(file, params);
  for (const [name, spec] of Object.entries(definition.certificates)) {
    const dir = resolve(dirname(file), spec.out);
    try {
      await mkdir(dir, { recursive: true });
      await access(dir, constants.W_OK);
    } catch (error) {
      throw new SluiceError('SLUICE_ERR_STACK_INVALID', `certificate '${name}': cannot write into ${dir} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
        place: locator.place(['certificates', name, 'out']),
        cause: error,
      });
    }
  }
}

/**
 * Writes each certificate the deploy issued into its `out` (relative to the
 * stack file), and drops the key material from what is printed.
 */
async function writeIssuedCertificates(file: string, answer: StackDeployResult): Promise<{ result: StackDeployResult; failures: SluiceError[] }> {
  if (!answer.certificates) return { result: answer, failures: [] };
  const failures: SluiceError[] = [];
  const certificates: IssuedStackCertificate[] = [];
  for (const { certificatePem, privateKeyPem, rootCaPem, ...entry } of answer.certificates) {
    if (certificatePem === undefined || privateKeyPem === undefined || rootCaPem === undefined) {
      certificates.push(entry);
      continue;
    }
    const dir = resolve(dirname(file), entry.out);
    try {
      certificates.push({ ...entry, files: await writeDeviceCredentials(dir, { certificatePem, privateKeyPem, rootCaPem }) });
    } catch (error) {
      certificates.push(entry);
      failures.push(
        new SluiceError(
          'SLUICE_ERR_INTERNAL',
          `certificate '${entry.name}' (${entry.certificateId}) was issued, but its files could not be written into ${dir}: ${errorMessage(error)}. ` +
            `Its private key is lost: revoke it (sluice certs revoke ${entry.certificateId}) and give the certificate a new name in the stack to issue another`,
          { cause: error },
        ),
      );
    }
  }
  return { result: { ...answer, certificates }, failures };
}
