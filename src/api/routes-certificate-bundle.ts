import type { FastifyInstance } from 'fastify';
import { strToU8, zipSync, type Zippable } from 'fflate';
import { z } from 'zod';
import { SluiceError } from '../core/index.js';
import type { Registry } from '../registry/index.js';
import { DEVICE_CERTIFICATE_FILE, DEVICE_PRIVATE_KEY_FILE, ROOT_CA_FILE } from '../sim/index.js';
import type { ApiDeps } from './deps.js';

const params = z.object({ name: z.string().min(1).max(128) });
const body = z.object({ policyName: z.string().min(1).max(128).optional() }).strict();

/**
 * Unix mode in the zip (APPNOTE 4.4.2 "version made by" 3 = Unix, the mode in
 * the external attributes' high 16 bits): a regular file, the private key
 * readable by its owner only, as `sluice certs create` writes it. The shift
 * wraps to a negative int32; fflate writes its 32 bits as they are.
 */
const UNIX = 3;
const OWNER_ONLY = 0o100600 << 16;
const READABLE = 0o100644 << 16;

/**
 * `POST /api/v1/things/NAME/certificate-bundle {policyName?}`: a new ACTIVE
 * certificate from the built-in CA, attached to the thing (and the policy),
 * answered as a zip of the files `sluice certs create --out DIR` writes (and
 * `sluice simulate --cert-dir DIR` reads) plus `endpoints.json`. The private
 * key is in this answer only; a request that fails leaves no certificate.
 */
export async function certificateBundleRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'registry' | 'status'>): Promise<void> {
  const { registry } = deps;
  app.post('/api/v1/things/:name/certificate-bundle', async (request, reply) => {
    const { name } = params.parse(request.params);
    const { policyName } = body.parse(request.body ?? {});
    if (!(await registry.getThing(name))) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no thing '${name}'`);
    if (policyName !== undefined && !(await registry.getPolicy(policyName))) {
      throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no policy '${policyName}'`, { place: { field: 'policyName' } });
    }
    const rootCaPem = registry.caCertificatePem;
    if (rootCaPem === undefined) throw new SluiceError('SLUICE_ERR_INTERNAL', 'the registry has no built-in CA to issue certificates from');
    const created = await registry.createKeysAndCertificate({ setAsActive: true });
    await attachOrDiscard(registry, created.certificateId, name, policyName);
    const { endpoints } = await deps.status();
    const files: Zippable = {
      [DEVICE_CERTIFICATE_FILE]: [strToU8(created.certificatePem), { os: UNIX, attrs: READABLE }],
      [DEVICE_PRIVATE_KEY_FILE]: [strToU8(created.keyPair.PrivateKey), { os: UNIX, attrs: OWNER_ONLY }],
      [ROOT_CA_FILE]: [strToU8(rootCaPem), { os: UNIX, attrs: READABLE }],
      'endpoints.json': [strToU8(`${JSON.stringify(endpoints, null, 2)}\n`), { os: UNIX, attrs: READABLE }],
    };
    const zip = zipSync(files, { level: 6, mtime: new Date() });
    return reply
      .header('cache-control', 'no-store')
      .header('content-type', 'application/zip')
      .header('content-disposition', `attachment; filename="${asciiFileName(name)}-certificates.zip"`)
      .header('x-sluice-certificate-id', created.certificateId)
      .send(Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength));
  });
}

/** If an attachment fails, the new certificate is deleted again: its key exists nowhere else. */
async function attachOrDiscard(registry: Registry, certificateId: string, thingName: string, policyName: string | undefined): Promise<void> {
  try {
    await registry.attachThingPrincipal(thingName, certificateId);
    if (policyName !== undefined) await registry.attachPolicy(policyName, certificateId);
  } catch (error) {
    await registry.detachThingPrincipal(thingName, certificateId).catch(() => false);
    await registry.updateCertificateStatus(certificateId, 'INACTIVE').catch(() => undefined);
    await registry.deleteCertificate(certificateId, { forceDelete: true }).catch(() => undefined);
    throw error;
  }
}

/** Thing names may hold characters a header's quoted file name cannot. */
function asciiFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}
