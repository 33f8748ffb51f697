/**
 * The resolved, validated shape of a stack: what `parseStack` returns and what
 * the composition root's `StackTarget` receives. Everything here is plain JSON
 * (hashable, storable); compiled SQL stays inside `rules/`.
 */
import type { ErrorPlace } from '../core/index.js';
import type { KeyAlgorithm, PolicyDocument } from '../registry/index.js';
import type { SqlVersion } from '../rules/index.js';

export type { PolicyDocument } from '../registry/index.js';

/**
 * Resource kinds, in the order they are created (deletes run in reverse).
 * Thing types come before the things that have them (and so are deleted after
 * them). Certificates come last: they refer to things and policies, and once
 * one is issued nothing else in the deploy can fail and lose its private key.
 */
export const RESOURCE_KINDS = ['bucket', 'series', 'topic', 'subscription', 'function', 'policy', 'thingType', 'thing', 'rule', 'certificate'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/**
 * A bucket's driver and lifecycle rules (storage's `BucketConfig`); `{}` is
 * the server's default driver. `credentials` holds a secret: the stacks API
 * shows it redacted.
 */
export interface BucketSpec {
  driver?: 'fs' | 's3';
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  /** The bucket's name at the provider. */
  bucket?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** S3 lifecycle: objects under `prefix` are deleted `expireAfterDays` after their last write. */
  lifecycle?: Array<{ prefix?: string; expireAfterDays: number }>;
}

/** A series of readings (the `timeseries` action's table). */
export interface SeriesSpec {
  /** ms; readings older than this are deleted (the series' lifecycle rule). Unset: kept forever. */
  retentionMs?: number;
}

/** Alert hygiene (notify's `AlertHygieneConfig`): `{ key: '${regex:device name (\S+)}', window: 15m, digest: true }`. */
export interface DedupeSpec {
  key: string;
  window: string;
  digest?: boolean;
}

export interface TopicSpec {
  displayName?: string;
  /** Alert hygiene: one de-duplication window over every message published to the topic. */
  dedupe?: DedupeSpec;
}

/** notify's protocols (`PROTOCOLS`). */
export type SubscriptionProtocol = 'email' | 'email-json' | 'http' | 'https' | 'function' | 'mqtt';

export interface SubscriptionSpec {
  protocol: SubscriptionProtocol;
  /** As written in the file (the subscription's name in the plan); notify normalizes it. */
  endpoint: string;
  /** SNS's FilterPolicy: a map, or its JSON text. */
  filterPolicy?: Record<string, unknown> | string;
  filterPolicyScope?: 'MessageAttributes' | 'MessageBody';
  /** http/https only. */
  rawMessageDelivery?: boolean;
  /** SNS's DeliveryPolicy (`{ healthyRetryPolicy: {...} }`): a map, or its JSON text. */
  deliveryPolicy?: Record<string, unknown> | string;
  /** Alert hygiene: this subscription's own de-duplication window (after its filter policy). */
  dedupe?: DedupeSpec;
}

/** A subscription as a stack resource: it belongs to one topic. */
export interface TopicSubscriptionSpec extends SubscriptionSpec {
  topic: string;
}

export interface FunctionSpec {
  /** Module path as written in the stack file, relative to the stack file. */
  handler: string;
  /** Named export that is the handler (`#export` in the file; default `handler`). */
  exportName: string;
  /** Milliseconds. */
  timeoutMs: number;
  /** Megabytes. */
  memorySizeMb: number;
  environment: Record<string, string>;
  /** Concurrent executions at most; 0 throttles every invocation. */
  reservedConcurrency?: number;
  /** Retries of an asynchronous invocation after a function error (0..2; runtime default 2). */
  retryAttempts?: number;
  /** Milliseconds (60 s..6 h; runtime default 6 h). */
  maxEventAgeMs?: number;
  destinations?: FunctionDestinationsSpec;
}

/** Where an asynchronous invocation's record goes, as Lambda's DestinationConfig. */
export type FunctionDestinationSpec = { topic: string } | { function: string } | { bucket: string; prefix?: string } | { mqtt: string };

export interface FunctionDestinationsSpec {
  onSuccess?: FunctionDestinationSpec;
  onFailure?: FunctionDestinationSpec;
}

/** What `putFunction` receives: the spec plus the bundled code the CLI sent. */
export interface FunctionDeploySpec extends FunctionSpec {
  code: string;
}

/** One HTTP header of an `http` action (AWS HttpActionHeader): the value may be a template, the key may not. */
export interface HttpHeaderSpec {
  key: string;
  value: string;
}

/**
 * Rule actions, one tagged variant per kind (AWS TopicRulePayload names).
 * New kinds (sns, ...) are added here and in `ACTION_SCHEMAS` (schema.ts).
 */
export type ActionSpec =
  | { kind: 's3'; bucket: string; key: string; contentType?: string }
  | { kind: 'function'; name: string }
  | { kind: 'republish'; topic: string; qos: 0 | 1 }
  /** `url` is a template; `timeoutMs` is milliseconds (per attempt). */
  | { kind: 'http'; url: string; headers: HttpHeaderSpec[]; timeoutMs: number }
  /** Batches under Hive partitions; `maxBatchDelayMs` in ms, `maxBatchBytes` in bytes. */
  | { kind: 'archive'; bucket: string; prefix: string; format: 'ndjson' | 'parquet'; maxBatchDelayMs: number; maxBatchBytes: number }
  /** `device` and `time` are templates; `fields` are top-level fields of the SELECT output. */
  | { kind: 'timeseries'; series: string; device: string; time?: string; fields: string[] };

export type ActionKind = ActionSpec['kind'];

export interface RuleSpec {
  sql: string;
  /** AWS IoT SQL version (`awsIotSqlVersion`); default `2016-03-23`. Part of the rule's hash, so changing it updates the rule. */
  sqlVersion: SqlVersion;
  enabled: boolean;
  description?: string;
  actions: ActionSpec[];
  errorAction?: ActionSpec;
  /** Retry bounds for this rule's actions (attempts including the first; age in ms). */
  retry?: { maxAttempts?: number; maxAgeMs?: number };
}

/**
 * One `tests:` case of a rule, normalised: the payload as bytes (base64, so
 * the spec stays plain, freezable JSON) and exactly one expectation. Tests
 * are run by `sluice test` and never deployed: they are not part of RuleSpec.
 */
export interface RuleTestSpec {
  name?: string;
  topic: string;
  /** The message payload: JSON.stringify of a JSON `payload`, the UTF-8 of a string `payload`, or `payloadBase64`. */
  payloadBase64: string;
  clientId?: string;
  /** ms since the epoch, for timestamp(); `sluice test` uses a fixed default so outputs are reproducible. */
  timestamp?: number;
  principal?: string;
  expect: RuleTestExpectation;
}

/** What a test case expects: the output value (JSON deep equality), the output bytes, or that the rule does not match. */
export type RuleTestExpectation = { kind: 'output'; value: unknown } | { kind: 'outputBytes'; base64: string } | { kind: 'noMatch' };

export interface ThingSpec {
  attributes: Record<string, string>;
  /** A thing type of this stack's `thingTypes`, or one that exists already (another stack's, or made through the API). */
  thingTypeName?: string;
}

/**
 * An AWS IoT thing type (CreateThingType's thingTypeProperties). Deprecation
 * is not part of it: the stack deprecates a type only to delete it.
 */
export interface ThingTypeSpec {
  /** thingTypeDescription; at most 2028 characters. */
  description?: string;
  /** At most 3 attribute names, none repeated; empty when the file gives none. */
  searchableAttributes: string[];
}

/** An AWS IoT policy document, validated by the registry's policy engine (`registry/policy`). */
export interface PolicySpec {
  document: PolicyDocument;
}

/**
 * A device certificate the stack issues from the built-in CA (AWS's
 * CreateKeysAndCertificate, attached to a thing and policies as the
 * reference's `iot-backend.sh` does). Issued once, on the first deploy that
 * declares it; later deploys keep it and change only its attachments.
 */
export interface CertificateSpec {
  /** The thing it is attached to (AttachThingPrincipal). */
  thing?: string;
  /** The policies attached to it (AttachPolicy). */
  policies: string[];
  /**
   * Directory, relative to the stack file, where the deploying side writes
   * `certificate.pem.crt`, `private.pem.key` (mode 0600) and `root-ca.pem`.
   */
  out: string;
  keyAlgorithm: KeyAlgorithm;
}

export interface SimulatorSpec {
  devices: number;
  /** Milliseconds between two readings of one device. */
  intervalMs: number;
  qos: 0 | 1;
  namePrefix: string;
  /** Topic with the simulator's own `${name}` placeholder left in. */
  topic: string;
  /** Thing the simulated devices connect as, if any. */
  thing?: string;
}

export interface ParameterSpec {
  description?: string;
  default?: string;
}

/** A reference the stack makes to something it does not define itself. */
export interface ExternalReference {
  kind: 'bucket' | 'series' | 'function' | 'thing' | 'thingType' | 'policy';
  name: string;
  /** Where the stack file refers to it (field path like `rules.R.actions[0].s3.bucket`). */
  place: ErrorPlace;
}

export interface StackDefinition {
  name: string;
  description?: string;
  fileName: string;
  parameters: Record<string, ParameterSpec>;
  /** Parameter values after defaults and `--param` overrides. */
  params: Record<string, string>;
  buckets: Record<string, BucketSpec>;
  series: Record<string, SeriesSpec>;
  topics: Record<string, TopicSpec & { subscriptions: SubscriptionSpec[] }>;
  functions: Record<string, FunctionSpec>;
  rules: Record<string, RuleSpec>;
  thingTypes: Record<string, ThingTypeSpec>;
  things: Record<string, ThingSpec>;
  policies: Record<string, PolicySpec>;
  certificates: Record<string, CertificateSpec>;
  simulator?: SimulatorSpec;
  /** References resolved outside this stack (deployed elsewhere); the server checks them. */
  externalReferences: ExternalReference[];
}
