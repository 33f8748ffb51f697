import type { RuleSet, ActionConfig } from '../actions/index.js';
import type { FunctionRuntime } from '../functions/index.js';
import type { NotificationService } from '../notify/index.js';
import type { Registry } from '../registry/index.js';
import type {
  ActionSpec,
  FunctionDeploySpec,
  PolicySpec,
  ResourceKind,
  RuleSpec,
  SimulatorSpec,
  StackTarget,
  SubscriptionSpec,
  ThingSpec,
  TopicSpec,
} from '../stack/index.js';
import type { ObjectStore } from '../storage/index.js';

export interface StackTargetDeps {
  objects: ObjectStore;
  notify: NotificationService;
  functions: FunctionRuntime;
  rules: RuleSet;
  registry: Registry;
  /** Simulator settings per stack, read by `up --simulate`. */
  simulators: Map<string, SimulatorSpec>;
}

/** Where a stack's resources become running things: the one place that knows every capability. */
export function createStackTarget(deps: StackTargetDeps): StackTarget {
  return {
    async putBucket(name) {
      await deps.objects.createBucket(name);
    },
    async deleteBucket(name, options) {
      if (await deps.objects.bucketExists(name)) await deps.objects.deleteBucket(name, { empty: options.empty });
    },
    async isBucketEmpty(name) {
      return (await deps.objects.bucketExists(name)) ? deps.objects.isBucketEmpty(name) : true;
    },
    async putTopic(name, spec: TopicSpec) {
      await deps.notify.createTopic(name, spec.displayName ? { displayName: spec.displayName } : {});
    },
    async deleteTopic(name) {
      await deps.notify.deleteTopic(name);
    },
    async putSubscription(topicName, spec: SubscriptionSpec) {
      await deps.notify.subscribe(topicName, { protocol: spec.protocol, endpoint: spec.endpoint });
    },
    async deleteSubscription(topicName, spec: SubscriptionSpec) {
      const subscriptions = await deps.notify.listSubscriptions(topicName).catch(() => []);
      for (const sub of subscriptions) {
        if (sub.protocol === spec.protocol && sub.endpoint === spec.endpoint) await deps.notify.unsubscribeById(sub.id);
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
    async putThing(name, spec: ThingSpec) {
      await deps.registry.putThing(name, spec.attributes);
    },
    async deleteThing(name) {
      await deps.registry.deleteThing(name);
    },
    async putPolicy(name, spec: PolicySpec) {
      await deps.registry.putPolicy(name, spec.document);
    },
    async deletePolicy(name) {
      await deps.registry.deletePolicy(name);
    },
    async setSimulator(stack, spec) {
      if (spec) deps.simulators.set(stack, spec);
      else deps.simulators.delete(stack);
    },
    async resourceExists(kind: ResourceKind, name: string) {
      switch (kind) {
        case 'bucket':
          return deps.objects.bucketExists(name);
        case 'function':
          return deps.functions.has(name);
        case 'rule':
          return deps.rules.get(name) !== undefined;
        case 'thing':
          return (await deps.registry.listThings()).some((t) => t.thingName === name);
        case 'policy':
          return (await deps.registry.listPolicies()).some((p) => p.policyName === name);
        case 'topic':
          return (await deps.notify.listTopics()).some((t) => t.name === name);
        case 'subscription':
          return false;
      }
    },
  };
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
  }
}
