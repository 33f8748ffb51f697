/**
 * The port through which the stack service creates and deletes resources.
 * The composition root implements it by wiring storage, notify, functions,
 * rules/actions, the registry and the simulator. Every `put` is an upsert
 * (create or replace), so re-applying a step after a crash is safe.
 */
import type {
  BucketSpec,
  FunctionDeploySpec,
  PolicySpec,
  ResourceKind,
  RuleSpec,
  SimulatorSpec,
  SubscriptionSpec,
  ThingSpec,
  TopicSpec,
} from './types.js';

export interface StackTarget {
  putBucket(name: string, spec?: BucketSpec): Promise<void>;
  /** With `empty`, deletes the bucket's objects first; without, a non-empty bucket is an error. */
  deleteBucket(name: string, options: { empty: boolean }): Promise<void>;
  isBucketEmpty(name: string): Promise<boolean>;
  putTopic(name: string, spec: TopicSpec): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  /** Idempotent: an existing subscription with the same protocol and endpoint is kept (and stays confirmed). */
  putSubscription(topicName: string, subscription: SubscriptionSpec): Promise<void>;
  deleteSubscription(topicName: string, subscription: SubscriptionSpec): Promise<void>;
  putFunction(name: string, spec: FunctionDeploySpec): Promise<void>;
  deleteFunction(name: string): Promise<void>;
  putRule(name: string, spec: RuleSpec): Promise<void>;
  deleteRule(name: string): Promise<void>;
  putThing(name: string, spec: ThingSpec): Promise<void>;
  deleteThing(name: string): Promise<void>;
  putPolicy(name: string, spec: PolicySpec): Promise<void>;
  deletePolicy(name: string): Promise<void>;
  /** Starts, changes or (with undefined) stops the simulated devices of a stack. */
  setSimulator(stack: string, spec: SimulatorSpec | undefined): Promise<void>;
  /** For references to resources another stack (or the API) created. */
  resourceExists(kind: ResourceKind, name: string): Promise<boolean>;
}
