import type { Logger, Metrics } from '../core/index.js';
import type { FunctionLogStore, LogRetention } from './log-store.js';
import type { SerializedError } from './worker/messages.js';

export type { SerializedError };

/**
 * The error type of an invocation refused because its function already runs
 * `maxWorkersPerFunction` invocations and `maxQueuedPerFunction` more wait:
 * Lambda's name for a throttle (its Invoke API answers HTTP 429). The
 * function never ran; retrying later is safe.
 */
export const THROTTLED_ERROR_TYPE = 'TooManyRequestsException';

/** What `deploy` takes: a bundle (from `bundleFunction`) and its configuration. */
export interface FunctionDefinition {
  /** Lambda's rule: letters, digits, `-` and `_`, at most 64 characters. */
  name: string;
  /** One self-contained ES module, as `bundleFunction` returns it. */
  code: string;
  exportName: string;
  /** Milliseconds one invocation may run before its worker is terminated. */
  timeoutMs: number;
  /** Megabytes of V8 heap (old generation) per worker. */
  memorySizeMb: number;
  environment: Record<string, string>;
  /**
   * Lambda's reserved concurrency: at most this many invocations of the
   * function run at once (per deployed version; the worker cap of its pool),
   * further ones wait their turn; 0 throttles every invocation. Unset: the
   * runtime's `maxWorkersPerFunction`.
   */
  reservedConcurrency?: number;
  /** Retries of an asynchronous invocation after a function error, 0..2 (Lambda's MaximumRetryAttempts). Default 2. */
  retryAttempts?: number;
  /** Milliseconds an asynchronous event may wait for another attempt (Lambda's MaximumEventAgeInSeconds). Default 6 h. */
  maxEventAgeMs?: number;
  /** Where the outcome record of an asynchronous invocation goes (Lambda's DestinationConfig). */
  destinations?: Destinations;
}

/** One destination of an asynchronous invocation's record. */
export type DestinationTarget = { topic: string } | { function: string } | { bucket: string; prefix?: string } | { mqtt: string };

export interface Destinations {
  onSuccess?: DestinationTarget;
  onFailure?: DestinationTarget;
}

export type DestinationCondition = 'Success' | 'RetriesExhausted' | 'EventAgeExceeded';

/** Lambda's invocation record, as its destinations receive it. */
export interface DestinationRecord {
  version: '1.0';
  timestamp: string;
  requestContext: { requestId: string; functionArn: string; condition: DestinationCondition; approximateInvokeCount: number };
  requestPayload: unknown;
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  responsePayload: unknown;
}

export interface FunctionSummary {
  name: string;
  version: string;
  timeoutMs: number;
  memorySizeMb: number;
  codeSha256: string;
  /** ISO 8601. */
  deployedAt: string;
}

/** Lambda's GetFunctionConfiguration, as `FunctionRuntime.describe` returns it. */
export interface FunctionConfiguration extends FunctionSummary {
  functionArn: string;
  exportName: string;
  /** Names only: values may be secrets. */
  environmentVariableNames: string[];
  retryAttempts: number;
  maxEventAgeMs: number;
  reservedConcurrency?: number;
  destinations?: Destinations;
}

/** The services function code reaches through `sluice/runtime`; the composition root wires them. */
/**
 * Which invocation made a service call, and which of its calls it was. An
 * invocation retried with the same request id (a rule action's job id) makes
 * the same calls in the same order, so services can use this to do each only once.
 */
export interface ServiceCallOrigin {
  requestId: string;
  sequence: number;
}

/**
 * SNS Publish's MessageAttributes as a function passes them (`{ Name: {
 * DataType, StringValue | BinaryValue } }`); the notification service checks them.
 */
export type SnsMessageAttributes = Record<string, { DataType: string; StringValue?: string; BinaryValue?: string | Uint8Array }>;

/** What `sns.publish` in sluice/runtime asks for: SNS Publish's fields that Sluice honours. */
export interface NotificationRequest {
  topicArn: string;
  message: string;
  subject?: string;
  messageAttributes?: SnsMessageAttributes;
  messageStructure?: 'json';
}

export interface RuntimeServices {
  publishNotification(req: NotificationRequest, origin?: ServiceCallOrigin): Promise<{ messageId: string }>;
  publishMqtt(req: { topic: string; payload: Buffer; qos: 0 | 1 }): Promise<void>;
  /**
   * For `bucket` destinations and `s3.putObject`; without it such a delivery
   * fails (and is logged and counted) and `s3.putObject` rejects. `metadata`
   * (S3's user metadata, keys lower-cased) comes only from `s3.putObject`.
   * Errors: `SLUICE_ERR_BUCKET_NOT_FOUND` reaches the function as `NoSuchBucket`.
   */
  putObject?(bucket: string, key: string, body: Buffer, contentType: string, metadata?: Record<string, string>): Promise<void>;
  /**
   * For `s3.getObject`; without it that call rejects. `SLUICE_ERR_OBJECT_NOT_FOUND`
   * and `SLUICE_ERR_BUCKET_NOT_FOUND` reach the function as `NoSuchKey` and
   * `NoSuchBucket`. `contentType` and `metadata` are returned when the store keeps them.
   */
  getObject?(bucket: string, key: string): Promise<RuntimeObject>;
}

/** An object as `RuntimeServices.getObject` returns it (an object store's `StoredObject` fits). */
export interface RuntimeObject {
  body: Buffer;
  contentType?: string;
  metadata?: Record<string, string>;
  lastModified?: Date;
}

export interface FunctionRuntimeOptions {
  dataDir: string;
  logger: Logger;
  services: RuntimeServices;
  /** Warm workers per function version at most; further invocations queue. Default 10. */
  maxWorkersPerFunction?: number;
  /**
   * Invocations per function version that may wait for a worker; one more is
   * throttled at once (`TooManyRequestsException`). Default 1,000; 0 throttles
   * whatever finds every worker busy.
   */
  maxQueuedPerFunction?: number;
  /** Milliseconds an idle worker is kept warm before it is terminated. Default 5 minutes. */
  idleTimeoutMs?: number;
  /** The server's metrics: `sluice_function_*` are counted when given. */
  metrics?: Metrics;
  /** Where invocations' logs are kept; by default a store with `logRetention`, persisted under `<dataDir>/logs/functions/` (`logRetention.directory` moves it). */
  logStore?: FunctionLogStore;
  /** Retention of the default log store: 10,000 lines or 5 MiB per function, whichever is reached first. */
  logRetention?: LogRetention;
  /**
   * Milliseconds before the first retry of a failed asynchronous (`Event`)
   * invocation; the second waits twice as long. Default 60,000 (Lambda waits
   * about a minute, then two).
   */
  asyncRetryDelayMs?: number;
  /** Invocations kept per function for `invocations(name)` (in memory). Default 200. */
  invocationsKept?: number;
}

export type InvocationType = 'RequestResponse' | 'Event';

export interface InvokeOptions {
  /** `Event` returns at once (Lambda's 202) and runs the function in the background. */
  invocationType?: InvocationType;
  requestId?: string;
  /** Who asks (`api`, `notification`, `rule:<name>`, ...): kept with the invocation's record, for the console. */
  trigger?: string;
}

export type InvocationResult =
  | { ok: true; value: unknown; requestId: string; durationMs: number; logs: string[] }
  | { ok: false; error: SerializedError; requestId: string; durationMs: number; logs: string[] };
