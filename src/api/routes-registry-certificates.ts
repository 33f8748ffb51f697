import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { SluiceError } from '../core/index.js';
import {
  CA_CERTIFICATE_STATUSES,
  CERTIFICATE_STATUSES,
  KEY_ALGORITHMS,
  SETTABLE_CERTIFICATE_STATUSES,
  normalizeCertificateId,
  parsePrincipal,
  type CertificateRecord,
  type Registry,
} from '../registry/index.js';
import type { ApiDeps } from './deps.js';

const idParams = z.object({ id: z.string().min(1).max(512) });
const listQuery = z
  .object({
    thingName: z.string().min(1).max(128).optional(),
    status: z.enum(CERTIFICATE_STATUSES).optional(),
    caCertificateId: z.string().min(1).max(200).optional(),
  })
  .strict();

/** Where a new certificate goes: attached to a thing and to policies, as `iot-backend.sh` of the reference does in three calls. */
const attachments = {
  thingName: z.string().min(1).max(128).optional(),
  policyNames: z.array(z.string().min(1).max(128)).max(10, 'at most 10 policies (AWS IoT allows 10 per principal)').optional(),
};
const createBody = z
  .object({
    keyAlgorithm: z.enum(KEY_ALGORITHMS).optional(),
    setAsActive: z.boolean().optional(),
    commonName: z.string().min(1).max(64).optional(),
    ...attachments,
  })
  .strict();
const csrBody = z
  .object({ csr: z.string().min(1).max(16_384), setAsActive: z.boolean().optional(), commonName: z.string().min(1).max(64).optional(), ...attachments })
  .strict();
const registerBody = z
  .object({
    certificatePem: z.string().min(1).max(65_536),
    caCertificatePem: z.string().min(1).max(65_536).optional(),
    status: z.enum(SETTABLE_CERTIFICATE_STATUSES).optional(),
    setAsActive: z.boolean().optional(),
  })
  .strict();
const statusBody = z.object({ status: z.string().min(1) }).strict();
const deleteQuery = z.object({ forceDelete: z.enum(['true', 'false']).optional() }).strict();
const registerCaBody = z
  .object({
    caCertificatePem: z.string().min(1).max(65_536),
    autoRegistration: z.boolean().optional(),
    setAsActive: z.boolean().optional(),
    status: z.enum(CA_CERTIFICATE_STATUSES).optional(),
  })
  .strict();
const caStatusBody = z
  .object({ status: z.enum(CA_CERTIFICATE_STATUSES).optional(), autoRegistration: z.boolean().optional() })
  .strict()
  .refine((body) => body.status !== undefined || body.autoRegistration !== undefined, 'give status, autoRegistration or both');

/** A certificate id, or a certificate ARN (as AWS's CLI prints it), as the id. */
function certificateIdOf(value: string, field = 'certificateId'): string {
  const principal = parsePrincipal(value, field);
  if (principal.kind !== 'certificate') return normalizeCertificateId(value, field);
  return principal.certificateId;
}

/** ListCertificates' items: no PEM, plus what is attached (the CLI's THINGS column). */
function summary(record: CertificateRecord, things: string[], policies: string[]) {
  const { certificatePem: _pem, ...rest } = record;
  return { ...rest, things, policyNames: policies };
}

async function attachedTo(registry: Registry, certificateId: string): Promise<{ things: string[]; policies: string[] }> {
  const [things, policies] = await Promise.all([registry.listPrincipalThings(certificateId), registry.listAttachedPolicies(certificateId)]);
  return { things, policies: policies.map((p) => p.policyName) };
}

/** The thing and policies must exist before a certificate is made for them: a refused request leaves nothing behind. */
async function checkTargets(registry: Registry, thingName: string | undefined, policyNames: readonly string[]): Promise<void> {
  if (thingName !== undefined && !(await registry.getThing(thingName))) {
    throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no thing '${thingName}'`, { place: { field: 'thingName' } });
  }
  for (const [i, policyName] of policyNames.entries()) {
    if (!(await registry.getPolicy(policyName))) {
      throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no policy '${policyName}'`, { place: { field: `policyNames[${i}]` } });
    }
  }
}

/** Attaches a new certificate; if that fails, the certificate is deleted again, so a failed request creates nothing. */
async function attachNew(registry: Registry, certificateId: string, thingName: string | undefined, policyNames: readonly string[]): Promise<void> {
  try {
    if (thingName !== undefined) await registry.attachThingPrincipal(thingName, certificateId);
    for (const policyName of policyNames) await registry.attachPolicy(policyName, certificateId);
  } catch (error) {
    if (thingName !== undefined) await registry.detachThingPrincipal(thingName, certificateId).catch(() => false);
    const current = await registry.describeCertificate(certificateId);
    if (current?.status === 'ACTIVE') await registry.updateCertificateStatus(certificateId, 'INACTIVE').catch(() => undefined);
    await registry.deleteCertificate(certificateId, { forceDelete: true }).catch(() => undefined);
    throw error;
  }
}

/** Answers that carry a private key are never cached. */
function noStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
}

/**
 * Certificates (CreateKeysAndCertificate, CreateCertificateFromCsr,
 * RegisterCertificate, UpdateCertificate, DescribeCertificate,
 * ListCertificates, DeleteCertificate), the built-in CA, and registered CAs
 * (RegisterCACertificate, ListCACertificates, ...). A private key appears in
 * one answer only: the 201 of `POST /certificates`; the server never keeps it.
 */
export async function certificateRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { registry } = deps;

  app.get('/api/v1/certificates', async (request) => {
    const query = listQuery.parse(request.query);
    const records = await registry.listCertificates({
      ...(query.thingName !== undefined ? { thingName: query.thingName } : {}),
      ...(query.status !== undefined ? { status: query.status } : {}),
      ...(query.caCertificateId !== undefined ? { caCertificateId: query.caCertificateId } : {}),
    });
    const sorted = [...records].sort((a, b) => (a.creationDate < b.creationDate ? -1 : a.creationDate > b.creationDate ? 1 : 0));
    const certificates = await Promise.all(
      sorted.map(async (record) => {
        const { things, policies } = await attachedTo(registry, record.certificateId);
        return summary(record, things, policies);
      }),
    );
    return { certificates };
  });

  app.get('/api/v1/certificates/:id', async (request) => {
    const id = certificateIdOf(idParams.parse(request.params).id);
    const record = await registry.describeCertificate(id);
    if (!record) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no certificate ${id}`);
    const { things, policies } = await attachedTo(registry, record.certificateId);
    return { ...record, things, policyNames: policies };
  });

  app.post('/api/v1/certificates', async (request, reply) => {
    const body = createBody.parse(request.body ?? {});
    const policyNames = body.policyNames ?? [];
    await checkTargets(registry, body.thingName, policyNames);
    const created = await registry.createKeysAndCertificate({
      ...(body.keyAlgorithm !== undefined ? { keyAlgorithm: body.keyAlgorithm } : {}),
      ...(body.setAsActive !== undefined ? { setAsActive: body.setAsActive } : {}),
      ...(body.commonName !== undefined ? { commonName: body.commonName } : {}),
    });
    await attachNew(registry, created.certificateId, body.thingName, policyNames);
    noStore(reply);
    reply.status(201);
    return {
      ...created,
      rootCaPem: registry.caCertificatePem,
      ...(body.thingName !== undefined ? { thingName: body.thingName } : {}),
      policyNames,
    };
  });

  app.post('/api/v1/certificates/csr', async (request, reply) => {
    const body = csrBody.parse(request.body ?? {});
    const policyNames = body.policyNames ?? [];
    await checkTargets(registry, body.thingName, policyNames);
    const created = await registry.createCertificateFromCsr(body.csr, {
      ...(body.setAsActive !== undefined ? { setAsActive: body.setAsActive } : {}),
      ...(body.commonName !== undefined ? { commonName: body.commonName } : {}),
    });
    await attachNew(registry, created.certificateId, body.thingName, policyNames);
    reply.status(201);
    return {
      ...created,
      rootCaPem: registry.caCertificatePem,
      ...(body.thingName !== undefined ? { thingName: body.thingName } : {}),
      policyNames,
    };
  });

  app.post('/api/v1/certificates/register', async (request, reply) => {
    const body = registerBody.parse(request.body ?? {});
    const registered = await registry.registerCertificate(body.certificatePem, {
      ...(body.caCertificatePem !== undefined ? { caCertificatePem: body.caCertificatePem } : {}),
      ...(body.status !== undefined ? { status: body.status } : {}),
      ...(body.setAsActive !== undefined ? { setAsActive: body.setAsActive } : {}),
    });
    reply.status(201);
    const record = await registry.describeCertificate(registered.certificateId);
    return { ...registered, ...(record ? { status: record.status, origin: record.origin } : {}) };
  });

  app.put('/api/v1/certificates/:id/status', async (request) => {
    const id = certificateIdOf(idParams.parse(request.params).id);
    const { status } = statusBody.parse(request.body ?? {});
    const record = await registry.updateCertificateStatus(id, status);
    const { things, policies } = await attachedTo(registry, record.certificateId);
    return summary(record, things, policies);
  });

  app.delete('/api/v1/certificates/:id', async (request) => {
    const certificateId = certificateIdOf(idParams.parse(request.params).id);
    const { forceDelete } = deleteQuery.parse(request.query);
    await registry.deleteCertificate(certificateId, { forceDelete: forceDelete === 'true' });
    return { certificateId, deleted: true };
  });

  // The built-in CA: what devices trust (root-ca.pem) and what signs `POST /certificates`.
  app.get('/api/v1/ca', async () => {
    const authority = registry.certificateAuthority;
    if (!authority) throw new SluiceError('SLUICE_ERR_NOT_FOUND', 'this server has no built-in CA');
    return { certificateId: authority.certificateId, certificatePem: authority.certificatePem };
  });

  app.get('/api/v1/ca-certificates', async () => {
    const records = await registry.listCaCertificates();
    return { caCertificates: records.map(({ certificatePem: _pem, ...rest }) => rest) };
  });

  app.get('/api/v1/ca-certificates/:id', async (request) => {
    const { id } = idParams.parse(request.params);
    const record = await registry.describeCaCertificate(id);
    if (!record) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no CA certificate ${id}`);
    return record;
  });

  app.post('/api/v1/ca-certificates', async (request, reply) => {
    const body = registerCaBody.parse(request.body ?? {});
    const registered = await registry.registerCaCertificate(body.caCertificatePem, {
      ...(body.autoRegistration !== undefined ? { autoRegistration: body.autoRegistration } : {}),
      ...(body.setAsActive !== undefined ? { setAsActive: body.setAsActive } : {}),
      ...(body.status !== undefined ? { status: body.status } : {}),
    });
    reply.status(201);
    const record = await registry.describeCaCertificate(registered.certificateId);
    return { ...registered, ...(record ? { status: record.status, autoRegistrationStatus: record.autoRegistrationStatus } : {}) };
  });

  app.put('/api/v1/ca-certificates/:id/status', async (request) => {
    const { id } = idParams.parse(request.params);
    const body = caStatusBody.parse(request.body ?? {});
    const { certificatePem: _pem, ...rest } = await registry.updateCaCertificate(id, {
      ...(body.status !== undefined ? { newStatus: body.status } : {}),
      ...(body.autoRegistration !== undefined ? { newAutoRegistrationStatus: body.autoRegistration ? 'ENABLE' : 'DISABLE' } : {}),
    });
    return rest;
  });

  app.delete('/api/v1/ca-certificates/:id', async (request) => {
    const { id } = idParams.parse(request.params);
    const certificateId = normalizeCertificateId(id, 'caCertificateId');
    await registry.deleteCaCertificate(certificateId);
    return { certificateId, deleted: true };
  });
}
