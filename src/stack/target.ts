/**
 * The port through which the stack service creates and deletes resources.
 * The composition root implements it by wiring storage, notify, functions,
 * rules/actions, the registry and the simulator. Every `put` is an upsert
 * (create or replace), so re-applying a step after a crash is safe.
 */
import type {
  BucketSpec,
  CertificateSpec,
  FunctionDeploySpec,
  PolicySpec,
  ResourceKind,
  RuleSpec,
  SeriesSpec,
  SimulatorSpec,
  SubscriptionSpec,
  ThingSpec,
  ThingTypeSpec,
  TopicSpec,
} from './types.js';

/** A certificate just issued from the built-in CA: the only time its private key exists outside the device. */
export interface IssuedCertificate {
  certificateId: string;
  certificateArn: string;
  certificatePem: string;
  privateKeyPem: string;
  /** The built-in CA's root, for the device's trust store (`root-ca.pem`). */
  rootCaPem: string;
}

export interface StackTarget {
  putBucket(name: string, spec?: BucketSpec): Promise<void>;
  /** With `empty`, deletes the bucket's objects first; without, a non-empty bucket is an error. */
  deleteBucket(name: string, options: { empty: boolean }): Promise<void>;
  isBucketEmpty(name: string): Promise<boolean>;
  /** Creates the series or replaces its retention; its readings stay. */
  putSeries(name: string, spec: SeriesSpec): Promise<void>;
  /** Deletes the series with its readings (as deleting a DynamoDB table deletes its items). A series already gone is no error. */
  deleteSeries(name: string): Promise<void>;
  putTopic(name: string, spec: TopicSpec): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  /** Idempotent: an existing subscription with the same protocol and endpoint is kept (and stays confirmed). */
  putSubscription(topicName: string, subscription: SubscriptionSpec): Promise<void>;
  deleteSubscription(topicName: string, subscription: SubscriptionSpec): Promise<void>;
  putFunction(name: string, spec: FunctionDeploySpec): Promise<void>;
  deleteFunction(name: string): Promise<void>;
  putRule(name: string, spec: RuleSpec): Promise<void>;
  deleteRule(name: string): Promise<void>;
  /** Creates the thing type or replaces its description and searchable attributes; a deprecated type stays deprecated. */
  putThingType(name: string, spec: ThingTypeSpec): Promise<void>;
  /**
   * Deprecates the thing type, then deletes it (AWS IoT deletes only a
   * deprecated type that no thing has). When the delete is refused, a
   * deprecation this call made is undone. A type already gone is no error.
   */
  deleteThingType(name: string): Promise<void>;
  putThing(name: string, spec: ThingSpec): Promise<void>;
  deleteThing(name: string): Promise<void>;
  putPolicy(name: string, spec: PolicySpec): Promise<void>;
  deletePolicy(name: string): Promise<void>;
  /**
   * With `current` (the certificate a previous deploy issued, and its spec
   * then): brings its thing and policy attachments in line with `spec`, and
   * returns its id. Without `current`, or when that certificate is gone:
   * issues a new ACTIVE certificate, attaches it, and returns it with its
   * private key. Never issues on anything but an explicit put.
   */
  putCertificate(
    name: string,
    spec: CertificateSpec,
    current: { certificateId: string; spec: CertificateSpec } | undefined,
  ): Promise<{ certificateId: string; issued?: IssuedCertificate }>;
  /** Detaches it from its things and policies, deactivates and deletes it. A certificate already gone is no error. */
  deleteCertificate(name: string, certificateId: string | undefined): Promise<void>;
  /** Starts, changes or (with undefined) stops the simulated devices of a stack. */
  setSimulator(stack: string, spec: SimulatorSpec | undefined): Promise<void>;
  /** For references to resources another stack (or the API) created. */
  resourceExists(kind: ResourceKind, name: string): Promise<boolean>;
}
