/**
 * The stack service: deploy (parse → check references, code and ownership →
 * plan → apply → record) and destroy. Deployed stacks are recorded in the
 * state collection `stack.stacks`, keyed by stack name.
 */
import path from 'node:path';
import { SluiceError, errorMessage, systemClock, type Clock, type DocumentCollection, type Logger, type StateStore } from '../core/index.js';
import { writeDeviceCredentials } from '../sim/index.js';
import { deleteResource, putResource, toDeployed, type DeployedResource } from './apply.js';
import { localStackDir } from './local-request.js';
import { parseStackLocated } from './parse.js';
import {
  canonicalJson,
  diffResources,
  resourceKey,
  sortForApply,
  sortForDelete,
  stackResources,
  type IssuedStackCertificate,
  type PlanStep,
  type StackDeployResult,
  type StackResource,
} from './plan.js';
import type { StackDeployRequest } from './request.js';
import type { IssuedCertificate, StackTarget } from './target.js';
import type { CertificateSpec, ResourceKind, SimulatorSpec, StackDefinition } from './types.js';
import { referenceKindLabel } from './validate.js';
import type { StackLocator } from './yaml-source.js';

export const STACKS_COLLECTION = 'stack.stacks';

export interface DeployedStack {
  name: string;
  fileName: string;
  params: Record<string, string>;
  /** ISO 8601. */
  deployedAt: string;
  resources: DeployedResource[];
  simulator?: SimulatorSpec;
}

export interface DeployedStackSummary {
  name: string;
  fileName: string;
  deployedAt: string;
  resourceCount: number;
  simulator: boolean;
}

export interface StackServiceOptions {
  state: StateStore;
  target: StackTarget;
  logger: Logger;
  clock?: Clock;
}

/** Where each kind of resource is declared in the stack file, for errors about it. */
const SECTION: Record<ResourceKind, string> = {
  bucket: 'buckets',
  series: 'series',
  topic: 'topics',
  subscription: 'topics',
  function: 'functions',
  policy: 'policies',
  thingType: 'thingTypes',
  thing: 'things',
  rule: 'rules',
  certificate: 'certificates',
};

export class StackService {
  #stacks: DocumentCollection<DeployedStack>;
  #target: StackTarget;
  #logger: Logger;
  #clock: Clock;
  /** Deploys and destroys run one at a time in this process, so two plans never race on one record. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: StackServiceOptions) {
    this.#stacks = options.state.collection<DeployedStack>(STACKS_COLLECTION);
    this.#target = options.target;
    this.#logger = options.logger;
    this.#clock = options.clock ?? systemClock;
  }

  deploy(request: StackDeployRequest, options: { dryRun?: boolean; emptyBuckets?: boolean } = {}): Promise<StackDeployResult> {
    return this.#serially(() => this.#deploy(request, options));
  }

  destroy(name: string, options: { emptyBuckets?: boolean; dryRun?: boolean } = {}): Promise<StackDeployResult> {
    return this.#serially(() => this.#destroy(name, options));
  }

  async list(): Promise<DeployedStackSummary[]> {
    const all = await this.#stacks.list();
    return all.map(({ doc }) => ({
      name: doc.name,
      fileName: doc.fileName,
      deployedAt: doc.deployedAt,
      resourceCount: doc.resources.length,
      simulator: doc.simulator !== undefined,
    }));
  }

  get(name: string): Promise<DeployedStack | undefined> {
    return this.#stacks.get(name);
  }

  /**
   * Brings the running capabilities back in line with the deployed records
   * when the server starts: every put is idempotent, so this re-creates what
   * lives only in memory (rules, function pools) and leaves the rest as it is.
   */
  async restore(): Promise<void> {
    for (const { doc } of await this.#stacks.list()) {
      // Certificates and their attachments live in the registry's store; nothing to bring back, and never one to issue.
      for (const resource of sortForApply(doc.resources)) if (resource.kind !== 'certificate') await putResource(this.#target, resource);
      if (doc.simulator) await this.#target.setSimulator(doc.name, doc.simulator);
    }
  }

  /** The simulators of all deployed stacks, for the composition root to restart after a restart of the server. */
  async simulators(): Promise<Array<{ stack: string; spec: SimulatorSpec }>> {
    const all = await this.#stacks.list();
    return all.flatMap(({ id, doc }) => (doc.simulator ? [{ stack: id, spec: doc.simulator }] : []));
  }

  async #deploy(request: StackDeployRequest, options: { dryRun?: boolean; emptyBuckets?: boolean }): Promise<StackDeployResult> {
    // Validation at the boundary: the server parses again and trusts nothing the CLI checked.
    const { definition, locator } = parseStackLocated(request, request.params, { externalResources: 'defer' });
    const record = await this.#stacks.get(definition.name);
    await this.#checkExternalReferences(definition, record);
    const code = checkFunctionCode(definition, request, locator);
    const wanted = stackResources(definition, code);
    await this.#checkOwnership(definition.name, wanted, locator);

    const deployed = record?.resources ?? [];
    const plan = diffResources(deployed, wanted);
    const deletes = deployed.filter((r) => plan.some((s) => s.action === 'delete' && resourceKey(s) === resourceKey(r)));
    if (!options.emptyBuckets) await this.#refuseNonEmptyBuckets(deletes);
    const simulatorChanged = canonicalJson(record?.simulator ?? null) !== canonicalJson(definition.simulator ?? null);
    const changed = plan.some((s) => s.action !== 'unchanged') || simulatorChanged;
    const result = { stack: definition.name, plan, applied: false };
    if (options.dryRun) return result;
    if (record && !changed && record.fileName === definition.fileName && canonicalJson(record.params) === canonicalJson(definition.params)) {
      return result;
    }

    const current = new Map(deployed.map((r) => [resourceKey(r), r]));
    const save = () => this.#save(definition, [...current.values()], simulatorChanged ? record?.simulator : definition.simulator);
    const deliver = certificateDelivery(request, this.#logger);
    const issued: Array<{ name: string; certificateId: string }> = [];
    const delivered: IssuedStackCertificate[] = [];
    try {
      const byKey = new Map(wanted.map((r) => [resourceKey(r), r]));
      const deletedByKey = new Map(deletes.map((r) => [resourceKey(r), r]));
      // In plan order: most deletes first, then creates and updates, then the deletes that wait for them (thing types).
      for (const step of plan) {
        if (step.action === 'delete') {
          const resource = deletedByKey.get(resourceKey(step)) as DeployedResource;
          await deleteResource(this.#target, resource, { emptyBuckets: options.emptyBuckets ?? false });
          current.delete(resourceKey(resource));
          continue;
        }
        if (step.action !== 'create' && step.action !== 'update') continue;
        const resource = byKey.get(resourceKey(step)) as StackResource;
        const outcome = await putResource(this.#target, resource, current.get(resourceKey(resource)));
        current.set(resourceKey(resource), outcome.deployed);
        if (outcome.issued && resource.kind === 'certificate') {
          // Noted before delivery: if delivery (or anything after it) fails, the rollback below deletes it.
          issued.push({ name: resource.name, certificateId: outcome.issued.certificateId });
          delivered.push(await deliver(resource.name, resource.spec, outcome.issued));
        }
      }
      if (simulatorChanged) await this.#target.setSimulator(definition.name, definition.simulator);
    } catch (error) {
      // A certificate whose private key never reached anyone is useless: take back what this deploy issued.
      for (const certificate of issued) {
        await this.#target.deleteCertificate(certificate.name, certificate.certificateId).catch((cause: unknown) =>
          this.#logger.error({ stack: definition.name, certificate: certificate.certificateId, err: errorMessage(cause) }, 'could not delete a certificate issued by a failed deploy'),
        );
        current.delete(resourceKey({ kind: 'certificate', name: certificate.name }));
      }
      // Record what did get applied, so the next deploy plans from the truth.
      await save();
      throw error;
    }
    await this.#save(definition, wanted.map((r) => withIssuedId(r, current.get(resourceKey(r)))), definition.simulator);
    this.#logger.info({ stack: definition.name, steps: summarize(plan) }, 'stack deployed');
    return { ...result, applied: changed, ...(delivered.length > 0 ? { certificates: delivered } : {}) };
  }

  async #destroy(name: string, options: { emptyBuckets?: boolean; dryRun?: boolean }): Promise<StackDeployResult> {
    const record = await this.#stacks.get(name);
    if (!record) throw new SluiceError('SLUICE_ERR_STACK_NOT_FOUND', `no stack named '${name}' is deployed`, { details: { stack: name } });
    const resources = sortForDelete(record.resources);
    const plan: PlanStep[] = resources.map((r) => ({ action: 'delete', kind: r.kind, name: r.name }));
    // Refuse before deleting anything: half a stack is worse than none or all of it.
    if (!options.emptyBuckets) await this.#refuseNonEmptyBuckets(resources);
    if (options.dryRun) return { stack: name, plan, applied: false };
    const remaining = new Map(record.resources.map((r) => [resourceKey(r), r]));
    try {
      for (const resource of resources) {
        await deleteResource(this.#target, resource, { emptyBuckets: options.emptyBuckets ?? false });
        remaining.delete(resourceKey(resource));
      }
      if (record.simulator) await this.#target.setSimulator(name, undefined);
    } catch (error) {
      await this.#stacks.put(name, { ...record, resources: [...remaining.values()] });
      throw error;
    }
    await this.#stacks.delete(name);
    this.#logger.info({ stack: name, deleted: plan.length }, 'stack destroyed');
    return { stack: name, plan, applied: true };
  }

  async #refuseNonEmptyBuckets(resources: readonly DeployedResource[]): Promise<void> {
    for (const resource of resources) {
      if (resource.kind !== 'bucket') continue;
      if (await this.#target.isBucketEmpty(resource.name)) continue;
      throw new SluiceError(
        'SLUICE_ERR_BUCKET_NOT_EMPTY',
        `bucket '${resource.name}' is not empty; nothing was deleted. Pass --empty-buckets to delete its objects too`,
        { details: { bucket: resource.name } },
      );
    }
  }

  /**
   * References to resources the stack does not declare must exist in the
   * target, and must not be ones this very deploy deletes (declared by the
   * stack before, and no longer).
   */
  async #checkExternalReferences(definition: StackDefinition, record: DeployedStack | undefined): Promise<void> {
    for (const ref of definition.externalReferences) {
      const label = referenceKindLabel(ref.kind);
      if (record?.resources.some((r) => r.kind === ref.kind && r.name === ref.name)) {
        throw new SluiceError(
          'SLUICE_ERR_STACK_REFERENCE',
          `${label} '${ref.name}' is no longer declared under '${SECTION[ref.kind]}', so this deploy would delete it; declare it again or stop referring to it`,
          { place: ref.place },
        );
      }
      if (await this.#target.resourceExists(ref.kind, ref.name)) continue;
      throw new SluiceError('SLUICE_ERR_STACK_REFERENCE', `unknown ${label} '${ref.name}': not defined in this stack nor deployed`, {
        place: ref.place,
      });
    }
  }

  /** A resource name belongs to one stack; deploying another stack's resource would silently take it over. */
  async #checkOwnership(stack: string, wanted: readonly StackResource[], locator: StackLocator): Promise<void> {
    const owners = new Map<string, string>();
    for (const { id, doc } of await this.#stacks.list()) {
      if (id === stack) continue;
      for (const resource of doc.resources) owners.set(resourceKey(resource), id);
    }
    for (const resource of wanted) {
      // A certificate's name is the stack's own handle on it; the registry names certificates by their hash.
      if (resource.kind === 'certificate') continue;
      const owner = owners.get(resourceKey(resource));
      if (owner === undefined) continue;
      const path = resource.kind === 'subscription' ? ['topics', resource.spec.topic] : [SECTION[resource.kind], resource.name];
      throw new SluiceError('SLUICE_ERR_STACK_INVALID', `${referenceKindLabel(resource.kind)} '${resource.name}' belongs to stack '${owner}'; choose another name or destroy that stack`, {
        place: locator.place(path, { atKey: true }),
      });
    }
  }

  async #save(definition: StackDefinition, resources: DeployedResource[], simulator: SimulatorSpec | undefined): Promise<void> {
    const record: DeployedStack = {
      name: definition.name,
      fileName: definition.fileName,
      params: { ...definition.params },
      deployedAt: new Date(this.#clock.now()).toISOString(),
      resources,
      ...(simulator ? { simulator } : {}),
    };
    await this.#stacks.put(definition.name, record);
  }

  #serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/** Every function needs bundled code in the request, and code for an unknown function is a mistake too. */
function checkFunctionCode(definition: StackDefinition, request: StackDeployRequest, locator: StackLocator): Record<string, string> {
  const code: Record<string, string> = {};
  for (const name of Object.keys(definition.functions)) {
    const bundle = request.functions[name];
    if (!bundle) {
      throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `the request carries no code for function '${name}' (deploy with the sluice CLI, which bundles it)`, {
        place: locator.place(['functions', name, 'handler']),
      });
    }
    code[name] = bundle.code;
  }
  for (const name of Object.keys(request.functions)) {
    if (!Object.hasOwn(definition.functions, name)) {
      throw new SluiceError('SLUICE_ERR_REQUEST_INVALID', `the request carries code for function '${name}', which the stack does not define`, {
        place: { file: request.fileName, field: `functions.${name}` },
      });
    }
  }
  return code;
}

/** The wanted resource as recorded: a certificate keeps the id it was issued with. */
function withIssuedId(resource: StackResource, deployed: DeployedResource | undefined): DeployedResource {
  if (resource.kind !== 'certificate' || deployed?.kind !== 'certificate' || deployed.certificateId === undefined) return toDeployed(resource);
  return { ...resource, certificateId: deployed.certificateId };
}

/**
 * Where a new certificate's files go: a file deployed in this process from
 * this machine's disk (`up --stack`) gets them written beside it, into `out`;
 * any other request (HTTP) gets the PEMs and the key in its answer, for the
 * client to write.
 */
function certificateDelivery(
  request: StackDeployRequest,
  logger: Logger,
): (name: string, spec: CertificateSpec, material: IssuedCertificate) => Promise<IssuedStackCertificate> {
  const stackDir = localStackDir(request);
  return async (name, spec, material) => {
    const entry: IssuedStackCertificate = {
      name,
      certificateId: material.certificateId,
      certificateArn: material.certificateArn,
      ...(spec.thing !== undefined ? { thing: spec.thing } : {}),
      policies: [...spec.policies],
      out: spec.out,
    };
    const pems = { certificatePem: material.certificatePem, privateKeyPem: material.privateKeyPem, rootCaPem: material.rootCaPem };
    if (stackDir === undefined) return { ...entry, ...pems };
    const files = await writeDeviceCredentials(path.resolve(stackDir, spec.out), pems);
    logger.info({ certificate: name, certificateId: material.certificateId, files }, 'certificate issued; its files are written');
    return { ...entry, files };
  };
}

function summarize(plan: readonly PlanStep[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const step of plan) counts[step.action] = (counts[step.action] ?? 0) + 1;
  return counts;
}
