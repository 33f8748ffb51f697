import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SluiceError } from '../core/index.js';
import { stackDeployRequestSchema } from '../stack/index.js';
import type { ApiDeps } from './deps.js';

const flag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => v === 'true' || v === '1');
const deployQuery = z.object({ dryRun: flag }).strict();
const destroyQuery = z.object({ dryRun: flag, emptyBuckets: flag }).strict();
const nameParams = z.object({ name: z.string().min(1) });

export async function stackRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get('/api/v1/stacks', async () => ({ stacks: await deps.stacks.list() }));
  app.get('/api/v1/stacks/:name', async (request) => {
    const { name } = nameParams.parse(request.params);
    const stack = await deps.stacks.get(name);
    // Thrown, not sent: the one error handler gives every error the same shape.
    if (!stack) throw new SluiceError('SLUICE_ERR_STACK_NOT_FOUND', `stack '${name}' is not deployed`);
    return { ...stack, resources: stack.resources.map(redactBucketSecrets) };
  });
  app.post('/api/v1/stacks', { bodyLimit: 50 * 1024 * 1024 }, async (request) => {
    const { dryRun } = deployQuery.parse(request.query);
    const body = stackDeployRequestSchema.parse(request.body);
    return deps.stacks.deploy(body, { dryRun });
  });
  app.delete('/api/v1/stacks/:name', async (request) => {
    const { name } = nameParams.parse(request.params);
    const { dryRun, emptyBuckets } = destroyQuery.parse(request.query);
    return deps.stacks.destroy(name, { dryRun, emptyBuckets });
  });
}

/** A bucket's S3 secret key and session token (from stack parameters) are never shown, to any token: only that one is set. */
function redactBucketSecrets<T extends { kind: string; spec?: unknown }>(resource: T): T {
  if (resource.kind !== 'bucket' || !resource.spec || typeof resource.spec !== 'object') return resource;
  const spec = resource.spec as { credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } };
  if (!spec.credentials) return resource;
  const { sessionToken, ...credentials } = spec.credentials;
  return {
    ...resource,
    spec: { ...spec, credentials: { ...credentials, secretAccessKey: 'REDACTED', ...(sessionToken !== undefined ? { sessionToken: 'REDACTED' } : {}) } },
  };
}
