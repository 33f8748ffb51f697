import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SluiceError } from '../core/index.js';
import { parsePrincipal, policyDocumentWarnings } from '../registry/index.js';
import type { ApiDeps } from './deps.js';

const policyParams = z.object({ name: z.string().min(1).max(256) });
/** The document is checked by the registry, which names the field at fault (`document.Statement[0].Effect`). */
const putPolicyBody = z.object({ document: z.unknown() }).strict();
/** AttachPolicy's target: a certificate id or ARN, or `token/<tokenId>`. */
const principalBody = z.object({ principal: z.string().min(1).max(512) }).strict();

/**
 * Policies (CreatePolicy / CreatePolicyVersion as one upsert, GetPolicy with
 * its versions, ListPolicies, DeletePolicy) and their attachments
 * (AttachPolicy, DetachPolicy, ListTargetsForPolicy).
 */
export async function policyRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { registry } = deps;

  app.get('/api/v1/policies', async () => ({ policies: await registry.listPolicies() }));

  app.get('/api/v1/policies/:name', async (request) => {
    const { name } = policyParams.parse(request.params);
    const policy = await registry.getPolicy(name);
    if (!policy) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no policy '${name}'`);
    const [versions, targets] = await Promise.all([registry.listPolicyVersions(name), registry.listPolicyTargets(name)]);
    return { ...policy, versions, targets };
  });

  /**
   * Creates the policy, or makes the document its new default version (at
   * five versions the oldest non-default one goes, as a stack deploy does).
   * 201 when created. `warnings` lists what the document asks for that Sluice
   * does not enforce.
   */
  app.put('/api/v1/policies/:name', async (request, reply) => {
    const { name } = policyParams.parse(request.params);
    const { document } = putPolicyBody.parse(request.body ?? {});
    const existed = (await registry.getPolicy(name)) !== undefined;
    const policy = await registry.putPolicy(name, document);
    reply.status(existed ? 200 : 201);
    return { ...policy, warnings: policyDocumentWarnings(policy.document) };
  });

  app.delete('/api/v1/policies/:name', async (request) => {
    const { name } = policyParams.parse(request.params);
    if (!(await registry.deletePolicy(name))) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no policy '${name}'`);
    return { policyName: name, deleted: true };
  });

  app.get('/api/v1/policies/:name/targets', async (request) => {
    const { name } = policyParams.parse(request.params);
    return { targets: await registry.listPolicyTargets(name) };
  });

  app.post('/api/v1/policies/:name/attach', async (request) => {
    const { name } = policyParams.parse(request.params);
    const { principal } = principalBody.parse(request.body ?? {});
    const normalized = parsePrincipal(principal, 'principal').principal;
    await registry.attachPolicy(name, normalized);
    return { policyName: name, principal: normalized };
  });

  app.post('/api/v1/policies/:name/detach', async (request) => {
    const { name } = policyParams.parse(request.params);
    const { principal } = principalBody.parse(request.body ?? {});
    const normalized = parsePrincipal(principal, 'principal').principal;
    if (!(await registry.detachPolicy(name, normalized))) {
      throw new SluiceError('SLUICE_ERR_NOT_FOUND', `policy '${name}' is not attached to ${normalized}`);
    }
    return { policyName: name, principal: normalized, detached: true };
  });
}
