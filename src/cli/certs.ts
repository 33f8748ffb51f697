import { access, mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SluiceError } from '../core/index.js';
import { DEVICE_FILES, DEVICE_PRIVATE_KEY_FILE, writeDeviceCredentials } from '../sim/index.js';
import { apiRequest, resolveServer, type ConnectionOptions, type ServerTarget } from './client.js';
import { action, collect, printJson, printTable } from './output.js';

interface CertificateSummary {
  certificateId: string;
  certificateArn: string;
  status: string;
  origin: string;
  caCertificateId?: string;
  certificateMode: string;
  validity: { notBefore: string; notAfter: string };
  creationDate: string;
  lastModifiedDate: string;
  things: string[];
  policyNames: string[];
}

interface CertificateDescription extends CertificateSummary {
  certificatePem: string;
}

interface CreatedCertificate {
  certificateId: string;
  certificateArn: string;
  certificatePem: string;
  keyPair: { PublicKey: string; PrivateKey: string };
  rootCaPem: string;
  thingName?: string;
  policyNames: string[];
}

const KEY_ALGORITHMS = ['RSA-2048', 'EC-P256'];
const STATUS_VERBS = { activate: 'ACTIVE', deactivate: 'INACTIVE', revoke: 'REVOKED' } as const;

const certificatePath = (id: string) => `/api/v1/certificates/${encodeURIComponent(id)}`;

async function readPem(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `${flag}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      place: { file },
      cause: error,
    });
  }
}

/** Refuses to overwrite a private key by accident: `--out` must not hold the files yet (or `--force`). */
async function prepareOutDir(dir: string, force: boolean): Promise<void> {
  if (!force) {
    for (const name of DEVICE_FILES) {
      const file = join(dir, name);
      const present = await access(file).then(
        () => true,
        () => false,
      );
      if (present) throw new SluiceError('SLUICE_ERR_ALREADY_EXISTS', `${file} exists; choose another --out directory, or pass --force to overwrite it`, { place: { file } });
    }
  }
  // Made before the certificate: an unwritable directory fails before anything is created.
  await mkdir(dir, { recursive: true });
}

/** Detach from things and policies, deactivate, delete: a certificate whose key could not be saved, or `certs delete --force`. */
async function discard(target: ServerTarget, certificateId: string): Promise<void> {
  const certificate = await apiRequest<CertificateDescription>(target, 'GET', certificatePath(certificateId));
  for (const thing of certificate.things) {
    await apiRequest(target, 'DELETE', `/api/v1/things/${encodeURIComponent(thing)}/principals/${certificate.certificateId}`);
  }
  if (certificate.status === 'ACTIVE') await apiRequest(target, 'PUT', `${certificatePath(certificateId)}/status`, { status: 'INACTIVE' });
  await apiRequest(target, 'DELETE', `${certificatePath(certificateId)}?forceDelete=true`);
}

/** `sluice certs` (device certificates, AWS IoT's certificate API) and `sluice ca` (the built-in CA, registered CAs). */
export function registerCertificateCommands(program: Command, connection: () => ConnectionOptions): void {
  const certs = program.command('certs').description('device certificates: create (keys from the built-in CA), list, describe, activate, revoke, delete, register');

  certs
    .command('create')
    .description('create a key pair and an ACTIVE certificate from the built-in CA, attach it, and write certificate.pem.crt, private.pem.key (0600) and root-ca.pem into --out')
    .requiredOption('--out <dir>', 'directory for the three files (made if missing)')
    .option('--thing <name>', 'attach the certificate to this thing')
    .option('--policy <name>', 'attach this policy to the certificate (repeatable)', collect, [])
    .option('--key-algorithm <algorithm>', KEY_ALGORITHMS.join(' or '), 'RSA-2048')
    .option('--common-name <cn>', 'subject CN of the certificate (default: its serial number)')
    .option('--force', 'overwrite files already in --out', false)
    .option('--json', 'print as JSON (never the private key)', false)
    .action(
      action(async (flags: { out: string; thing?: string; policy: string[]; keyAlgorithm: string; commonName?: string; force: boolean; json: boolean }) => {
        if (!KEY_ALGORITHMS.includes(flags.keyAlgorithm)) throw new Error(`--key-algorithm must be one of ${KEY_ALGORITHMS.join(', ')}; got '${flags.keyAlgorithm}'`);
        const dir = resolve(flags.out);
        await prepareOutDir(dir, flags.force);
        const target = await resolveServer(connection());
        const created = await apiRequest<CreatedCertificate>(target, 'POST', '/api/v1/certificates', {
          setAsActive: true,
          keyAlgorithm: flags.keyAlgorithm,
          ...(flags.commonName !== undefined ? { commonName: flags.commonName } : {}),
          ...(flags.thing !== undefined ? { thingName: flags.thing } : {}),
          policyNames: flags.policy,
        });
        let files: string[];
        try {
          files = await writeDeviceCredentials(dir, { certificatePem: created.certificatePem, privateKeyPem: created.keyPair.PrivateKey, rootCaPem: created.rootCaPem });
        } catch (error) {
          // The private key exists nowhere else: a certificate without it must not stay ACTIVE.
          await discard(target, created.certificateId).catch(() => undefined);
          throw new SluiceError('SLUICE_ERR_INTERNAL', `could not write the files into ${dir} (${(error as Error).message}); certificate ${created.certificateId} was deleted again`, {
            cause: error,
          });
        }
        const summary = { certificateId: created.certificateId, certificateArn: created.certificateArn, status: 'ACTIVE', thingName: created.thingName, policyNames: created.policyNames, files };
        if (flags.json) return printJson(summary);
        const attached = [created.thingName ? `thing ${created.thingName}` : '', created.policyNames.length > 0 ? `policies ${created.policyNames.join(', ')}` : '']
          .filter(Boolean)
          .join(' and ');
        process.stdout.write(
          `Created certificate ${created.certificateId} (ACTIVE)${attached ? `, attached to ${attached}` : ''}\n` +
            `Wrote ${files.join(', ')}\n` +
            `${DEVICE_PRIVATE_KEY_FILE} (mode 0600) is the only copy of the private key: the server does not keep it.\n`,
        );
      }),
    );

  certs
    .command('list', { isDefault: true })
    .description('list certificates: id, status, things, policies, creation date')
    .option('--thing <name>', 'only certificates attached to this thing')
    .option('--status <status>', 'only certificates in this status (ACTIVE, INACTIVE, REVOKED, PENDING_ACTIVATION)')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (flags: { thing?: string; status?: string; json: boolean }) => {
        const target = await resolveServer(connection());
        const query = new URLSearchParams({ ...(flags.thing !== undefined ? { thingName: flags.thing } : {}), ...(flags.status !== undefined ? { status: flags.status } : {}) });
        const { certificates } = await apiRequest<{ certificates: CertificateSummary[] }>(target, 'GET', `/api/v1/certificates${query.size > 0 ? `?${query}` : ''}`);
        if (flags.json) return printJson(certificates);
        printTable(
          ['ID', 'STATUS', 'THINGS', 'POLICIES', 'CREATED'],
          certificates.map((c) => [c.certificateId, c.status, c.things.join(',') || '-', c.policyNames.join(',') || '-', c.creationDate]),
        );
      }),
    );

  certs
    .command('describe')
    .description('show a certificate: status, issuer, validity, things and policies')
    .argument('<id>', 'certificate id (or ARN)')
    .option('--pem', 'print the certificate PEM only', false)
    .option('--json', 'print as JSON', false)
    .action(
      action(async (id: string, flags: { pem: boolean; json: boolean }) => {
        const target = await resolveServer(connection());
        const c = await apiRequest<CertificateDescription>(target, 'GET', certificatePath(id));
        if (flags.json) return printJson(c);
        if (flags.pem) return void process.stdout.write(c.certificatePem);
        const lines = [
          `Certificate: ${c.certificateId}`,
          `ARN:         ${c.certificateArn}`,
          `Status:      ${c.status}`,
          `Issuer:      ${c.origin === 'SLUICE_CA' ? 'the built-in CA' : c.origin === 'REGISTERED_CA' ? `registered CA ${c.caCertificateId ?? ''}` : 'none (registered without a CA)'}`,
          `Valid:       ${c.validity.notBefore} .. ${c.validity.notAfter}`,
          `Created:     ${c.creationDate}`,
          `Modified:    ${c.lastModifiedDate}`,
          `Things:      ${c.things.join(', ') || '-'}`,
          `Policies:    ${c.policyNames.join(', ') || '-'}`,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );

  for (const [verb, status] of Object.entries(STATUS_VERBS)) {
    certs
      .command(verb)
      .description(verb === 'revoke' ? 'revoke a certificate: final, and its connections are closed at once' : `set a certificate ${status}`)
      .argument('<id>', 'certificate id (or ARN)')
      .option('--json', 'print as JSON', false)
      .action(
        action(async (id: string, flags: { json: boolean }) => {
          const target = await resolveServer(connection());
          const updated = await apiRequest<CertificateSummary>(target, 'PUT', `${certificatePath(id)}/status`, { status });
          if (flags.json) return printJson(updated);
          process.stdout.write(`Certificate ${updated.certificateId} is ${updated.status}\n`);
        }),
      );
  }

  certs
    .command('delete')
    .description('delete a certificate (it must be INACTIVE or REVOKED and detached, unless --force)')
    .argument('<id>', 'certificate id (or ARN)')
    .option('--force', 'detach it from its things and policies and deactivate it first', false)
    .action(
      action(async (id: string, flags: { force: boolean }) => {
        const target = await resolveServer(connection());
        if (flags.force) await discard(target, id);
        else await apiRequest(target, 'DELETE', certificatePath(id));
        process.stdout.write(`Deleted certificate ${id}\n`);
      }),
    );

  certs
    .command('register')
    .description('register a certificate made elsewhere (signed by a registered CA with --ca, or trusted by itself without)')
    .requiredOption('--cert <file>', 'the device certificate (PEM)')
    .option('--ca <file>', 'the CA certificate that signed it (PEM); it must be registered, or be the built-in CA')
    .option('--status <status>', 'ACTIVE or INACTIVE', 'ACTIVE')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (flags: { cert: string; ca?: string; status: string; json: boolean }) => {
        if (!['ACTIVE', 'INACTIVE'].includes(flags.status)) throw new Error(`--status must be ACTIVE or INACTIVE; got '${flags.status}'`);
        const certificatePem = await readPem(flags.cert, '--cert');
        const caCertificatePem = flags.ca !== undefined ? await readPem(flags.ca, '--ca') : undefined;
        const target = await resolveServer(connection());
        const registered = await apiRequest<{ certificateId: string; certificateArn: string; status: string; origin: string }>(target, 'POST', '/api/v1/certificates/register', {
          certificatePem,
          ...(caCertificatePem !== undefined ? { caCertificatePem } : {}),
          status: flags.status,
        });
        if (flags.json) return printJson(registered);
        process.stdout.write(
          `Registered certificate ${registered.certificateId} (${registered.status})\n` +
            `Attach a policy to it with: sluice policies attach NAME --principal ${registered.certificateId}\n`,
        );
      }),
    );

  const ca = program.command('ca').description('the built-in CA devices trust (root-ca.pem), and CAs registered to vouch for devices');

  ca
    .command('show')
    .description('print the built-in CA certificate (PEM): what devices trust as root-ca.pem')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const root = await apiRequest<{ certificateId: string; certificatePem: string }>(target, 'GET', '/api/v1/ca');
        if (flags.json) return printJson(root);
        process.stdout.write(root.certificatePem.endsWith('\n') ? root.certificatePem : `${root.certificatePem}\n`);
      }),
    );

  ca
    .command('register')
    .description('register your own CA: certificates it signed may then be registered (or, with --auto-registration, are registered PENDING_ACTIVATION on first connect)')
    .requiredOption('--cert <file>', 'the CA certificate (PEM)')
    .option('--auto-registration', 'register unknown device certificates it signed when they first connect (AWS JITR)', false)
    .option('--inactive', 'register it INACTIVE (default ACTIVE)', false)
    .option('--json', 'print as JSON', false)
    .action(
      action(async (flags: { cert: string; autoRegistration: boolean; inactive: boolean; json: boolean }) => {
        const caCertificatePem = await readPem(flags.cert, '--cert');
        const target = await resolveServer(connection());
        const registered = await apiRequest<{ certificateId: string; status: string; autoRegistrationStatus: string }>(target, 'POST', '/api/v1/ca-certificates', {
          caCertificatePem,
          setAsActive: !flags.inactive,
          autoRegistration: flags.autoRegistration,
        });
        if (flags.json) return printJson(registered);
        process.stdout.write(`Registered CA ${registered.certificateId} (${registered.status}, auto-registration ${registered.autoRegistrationStatus})\n`);
      }),
    );

  ca
    .command('list')
    .description('list registered CAs')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const { caCertificates } = await apiRequest<{ caCertificates: Array<{ certificateId: string; status: string; autoRegistrationStatus: string; subject: string; creationDate: string }> }>(
          target,
          'GET',
          '/api/v1/ca-certificates',
        );
        if (flags.json) return printJson(caCertificates);
        printTable(
          ['ID', 'STATUS', 'AUTO-REGISTRATION', 'SUBJECT', 'CREATED'],
          caCertificates.map((c) => [c.certificateId, c.status, c.autoRegistrationStatus, c.subject.replaceAll('\n', ', '), c.creationDate]),
        );
      }),
    );
}
