import type { RuleSet, ActionConfig } from '../actions/index.js';
import { SluiceError } from '../core/index.js';
import type { FunctionRuntime } from '../functions/index.js';
import type { NotificationService, SubscribeInput } from '../notify/index.js';
import type { Registry } from '../registry/index.js';
import type {
  ActionSpec,
  CertificateSpec,
  IssuedCertificate,
  FunctionDeploySpec,
  PolicySpec,
  ResourceKind,
  RuleSpec,
  SimulatorSpec,
  StackTarget,
  SubscriptionSpec,
  ThingSpec,
  ThingTypeSpec,
  TopicSpec,
} from '../stack/index.js';
import type { ReadingsStore } from '../readings/index.js';
import type { BucketConfig, ObjectStore } from '../storage/index.js';

export interface StackTargetDeps {
  objects: ObjectStore;
  /** Routes each bucket to its driver with its lifecycle rules (storage's `BucketRouter`); without it, every bucket is on `objects`. */
  bucketConfig?: { configure(bucket: string, config: BucketConfig | undefined): BucketConfig | undefined };
  notify: NotificationService;
  functions: FunctionRuntime;
  rules: RuleSet;
  registry: Registry;
  /** The readings store (series of `timeseries` actions); optional so tests of other resources need not open one. */
  readings?: ReadingsStore;
  /** Simulator settings per stack, read by `up --simulate`. */
  simulators: Map<string, SimulatorSpec>;
}

/** Where a stack's resources become running things: the one place that knows every capability. */
export function createStackTarget(deps: StackTargetDeps): StackTarget {
  return {
    async putBucket(name, spec = {}) {
      // The bucket's driver first, so that it is made where the stack says; put back as it was if that fails.
      const previous = deps.bucketConfig?.configure(name, spec);
      try {
        await deps.objects.createBucket(name);
      } catch (error) {
        deps.bucketConfig?.configure(name, previous);
        throw error;
      }
    },
    async deleteBucket(name, options) {
      if (await deps.objects.bucketExists(name)) await deps.objects.deleteBucket(name, { empty: options.empty });
      deps.bucketConfig?.configure(name, undefined);
    },
    async putSeries(name, spec) {
      if (!deps.readings) throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `series ${name}: this server has no readings store`);
      await deps.readings.putSeries(name, spec);
    },
    async deleteSeries(name) {
      await deps.readings?.deleteSeries(name);
    },
    async isBucketEmpty(name) {
      return (await deps.objects.bucketExists(name)) ? deps.objects.isBucketEmpty(name) : true;
    },
    async putTopic(name, spec: TopicSpec) {
      // The stack says whether the topic has a dedupe window: left out clears the one it had.
      await deps.notify.createTopic(name, { ...(spec.displayName ? { displayName: spec.displayName } : {}), dedupe: spec.dedupe ?? null });
    },
    async deleteTopic(name) {
      await deps.notify.deleteTopic(name);
    },
    async putSubscription(topicName, spec: SubscriptionSpec) {
      // The stack says what the attributes are: those it leaves out are cleared on an existing subscription.
      const input: SubscribeInput = {
        protocol: spec.protocol,
        endpoint: spec.endpoint,
        ...(spec.filterPolicy !== undefined ? { filterPolicy: spec.filterPolicy } : {}),
        ...(spec.filterPolicyScope !== undefined ? { filterPolicyScope: spec.filterPolicyScope } : {}),
        ...(spec.rawMessageDelivery !== undefined ? { rawMessageDelivery: spec.rawMessageDelivery } : {}),
        ...(spec.deliveryPolicy !== undefined ? { deliveryPolicy: spec.deliveryPolicy as SubscribeInput['deliveryPolicy'] } : {}),
        ...(spec.dedupe !== undefined ? { dedupe: spec.dedupe } : {}),
      };
      await deps.notify.subscribe(topicName, input, { replaceAttributes: true });
    },
    async deleteSubscription(topicName, spec: SubscriptionSpec) {
      const subscriptions = await deps.notify.listSubscriptions(topicName).catch(() => []);
      // Stored endpoints are normalized (an email's domain lower-cased, a function ARN reduced to its name).
      let endpoint = spec.endpoint;
      try {
        endpoint = deps.notify.normalizeEndpoint(spec.protocol, spec.endpoint);
      } catch {
        // Not a valid endpoint (any more): nothing was subscribed with it but the text as written.
      }
      for (const sub of subscriptions) {
        if (sub.protocol === spec.protocol && (sub.endpoint === endpoint || sub.endpoint === spec.endpoint)) await deps.notify.unsubscribeById(sub.id);
      }
    },
    async putFunction(name, spec: FunctionDeploySpec) {
      await deps.functions.deploy({
        name,
        code: spec.code,
        exportName: spec.exportName,
        timeoutMs: spec.timeoutMs,
        memorySizeMb: spec.memorySizeMb,
        environment: spec.environment,
        ...(spec.reservedConcurrency !== undefined ? { reservedConcurrency: spec.reservedConcurrency } : {}),
        ...(spec.retryAttempts !== undefined ? { retryAttempts: spec.retryAttempts } : {}),
        ...(spec.maxEventAgeMs !== undefined ? { maxEventAgeMs: spec.maxEventAgeMs } : {}),
        ...(spec.destinations !== undefined ? { destinations: spec.destinations } : {}),
      });
    },
    async deleteFunction(name) {
      await deps.functions.remove(name);
    },
    async putRule(name, spec: RuleSpec) {
      deps.rules.put({
        name,
        sql: spec.sql,
        sqlVersion: spec.sqlVersion,
        enabled: spec.enabled,
        actions: spec.actions.map(toActionConfig),
        ...(spec.errorAction ? { errorAction: toActionConfig(spec.errorAction) } : {}),
        ...(spec.retry ? { retry: spec.retry } : {}),
      });
    },
    async deleteRule(name) {
      deps.rules.delete(name);
    },
    async putThingType(name, spec: ThingTypeSpec) {
      await deps.registry.putThingType(name, {
        ...(spec.description !== undefined ? { thingTypeDescription: spec.description } : {}),
        searchableAttributes: [...spec.searchableAttributes],
      });
    },
    async deleteThingType(name) {
      const existing = await deps.registry.describeThingType(name);
      if (!existing) return;
      // AWS IoT's rule: deprecate, then delete (refused while a thing still has the type).
      const deprecatedBefore = existing.thingTypeMetadata.deprecated;
      if (!deprecatedBefore) await deps.registry.deprecateThingType(name);
      try {
        await deps.registry.deleteThingType(name);
      } catch (error) {
        // Left as it was: a deprecated type would refuse new things of a stack that keeps it after all.
        if (!deprecatedBefore) await deps.registry.deprecateThingType(name, { undoDeprecate: true }).catch(() => undefined);
        throw error;
      }
    },
    async putThing(name, spec: ThingSpec) {
      await deps.registry.putThing(name, spec.attributes, spec.thingTypeName !== undefined ? { thingTypeName: spec.thingTypeName } : {});
    },
    async deleteThing(name) {
      // The stack deletes what it created: principals attached to the thing since (a `sluice certs create --thing`) are detached, not refused.
      for (const principal of await deps.registry.listThingPrincipals(name).catch(() => [])) await deps.registry.detachThingPrincipal(name, principal);
      await deps.registry.deleteThing(name);
    },
    async putPolicy(name, spec: PolicySpec) {
      await deps.registry.putPolicy(name, spec.document);
    },
    async deletePolicy(name) {
      for (const target of await deps.registry.listPolicyTargets(name).catch(() => [])) await deps.registry.detachPolicy(name, target);
      await deps.registry.deletePolicy(name);
    },
    async putCertificate(name, spec, current) {
      if (current && (await deps.registry.describeCertificate(current.certificateId))) {
        await reconcileCertificate(deps.registry, current.certificateId, spec, current.spec);
        return { certificateId: current.certificateId };
      }
      // First deploy (or the certificate was deleted since): issue one; its private key goes back to the deployer, once.
      const issued = await issueCertificate(deps.registry, name, spec);
      return { certificateId: issued.certificateId, issued };
    },
    async deleteCertificate(_name, certificateId) {
      if (certificateId !== undefined) await discardCertificate(deps.registry, certificateId);
    },
    async setSimulator(stack, spec) {
      if (spec) deps.simulators.set(stack, spec);
      else deps.simulators.delete(stack);
    },
    async resourceExists(kind: ResourceKind, name: string) {
      switch (kind) {
        case 'bucket':
          return deps.objects.bucketExists(name);
        case 'series':
          return (await deps.readings?.getSeries(name)) !== undefined;
        case 'function':
          return deps.functions.has(name);
        case 'rule':
          return deps.rules.get(name) !== undefined;
        case 'thing':
          return (await deps.registry.listThings()).some((t) => t.thingName === name);
        case 'policy':
          return (await deps.registry.listPolicies()).some((p) => p.policyName === name);
        case 'thingType':
          return (await deps.registry.describeThingType(name)) !== undefined;
        case 'topic':
          return (await deps.notify.listTopics()).some((t) => t.name === name);
        case 'subscription':
        case 'certificate':
          return false;
      }
    },
  };
}

/** CreateKeysAndCertificate (ACTIVE), then AttachThingPrincipal and AttachPolicy; a failed attach deletes the certificate again. */
async function issueCertificate(registry: Registry, name: string, spec: CertificateSpec): Promise<IssuedCertificate> {
  const rootCaPem = registry.caCertificatePem;
  if (rootCaPem === undefined) throw new SluiceError('SLUICE_ERR_INTERNAL', `certificate '${name}': this server has no built-in CA to issue it`);
  if (spec.thing !== undefined && !(await registry.getThing(spec.thing))) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `certificate '${name}': no thing '${spec.thing}'`);
  for (const policy of spec.policies) {
    if (!(await registry.getPolicy(policy))) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `certificate '${name}': no policy '${policy}'`);
  }
  const created = await registry.createKeysAndCertificate({ keyAlgorithm: spec.keyAlgorithm, setAsActive: true });
  try {
    await reconcileCertificate(registry, created.certificateId, spec, undefined);
  } catch (error) {
    await discardCertificate(registry, created.certificateId).catch(() => undefined);
    throw error;
  }
  return {
    certificateId: created.certificateId,
    certificateArn: created.certificateArn,
    certificatePem: created.certificatePem,
    privateKeyPem: created.keyPair.PrivateKey,
    rootCaPem,
  };
}

/**
 * Attaches the certificate to `spec`'s thing and policies, and detaches what
 * the previous spec attached and this one does not (attachments made by hand
 * are left alone).
 */
async function reconcileCertificate(registry: Registry, certificateId: string, spec: CertificateSpec, previous: CertificateSpec | undefined): Promise<void> {
  if (previous?.thing !== undefined && previous.thing !== spec.thing) await registry.detachThingPrincipal(previous.thing, certificateId).catch(() => false);
  for (const policy of previous?.policies ?? []) {
    if (!spec.policies.includes(policy)) await registry.detachPolicy(policy, certificateId).catch(() => false);
  }
  if (spec.thing !== undefined) await registry.attachThingPrincipal(spec.thing, certificateId);
  for (const policy of spec.policies) await registry.attachPolicy(policy, certificateId);
}

/** Detach from every thing and policy, deactivate, delete: what destroy does to a certificate the stack issued. */
async function discardCertificate(registry: Registry, certificateId: string): Promise<void> {
  const record = await registry.describeCertificate(certificateId);
  if (!record) return;
  for (const thing of await registry.listPrincipalThings(certificateId)) await registry.detachThingPrincipal(thing, certificateId);
  if (record.status === 'ACTIVE') await registry.updateCertificateStatus(certificateId, 'INACTIVE');
  await registry.deleteCertificate(certificateId, { forceDelete: true });
}

function toActionConfig(action: ActionSpec): ActionConfig {
  switch (action.kind) {
    case 's3':
      return { kind: 's3', bucket: action.bucket, key: action.key, ...(action.contentType ? { contentType: action.contentType } : {}) };
    case 'function':
      return { kind: 'function', functionName: action.name };
    case 'republish':
      return { kind: 'republish', topic: action.topic, qos: action.qos };
    case 'http':
      return { kind: 'http', url: action.url, headers: action.headers.map(({ key, value }) => ({ key, value })), timeoutMs: action.timeoutMs };
    case 'archive':
      return { ...action };
    case 'timeseries':
      return { ...action };
  }
}
