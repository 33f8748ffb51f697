/**
 * Every message between the main thread and a function worker, as one tagged
 * union per direction (the piscina habit): a new message type is a compile
 * error in every switch that forgets it. Errors travel as data
 * (`SerializedError`), never as thrown objects, because structured clone keeps
 * only some of an Error's fields.
 *
 * This file holds types and constants only: it is bundled into the worker host
 * and into every function (through `sluice/runtime`), so it must stay tiny.
 */

/** An error as Lambda reports it: `errorType`, `errorMessage`, `stackTrace`. */
export interface SerializedError {
  type: string;
  message: string;
  stack?: string;
}

/** What the worker host receives as `workerData`. */
export interface HostData {
  /** Marks a Sluice function worker, so `sluice/runtime` knows it may talk to the main thread. */
  sluiceFunctionHost: true;
  codeFile: string;
  exportName: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: number;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The largest object body `s3.putObject` sends and `s3.getObject` returns: 32 MiB.
 * A body crosses threads whole (there is no streaming), so this bounds what
 * one call holds in memory on each side.
 */
export const MAX_OBJECT_BYTES = 32 * 1024 * 1024;

/** S3's limit on user metadata: keys and values, in UTF-8 bytes. */
export const MAX_METADATA_BYTES = 2 * 1024;

/**
 * A call from function code to a Sluice service (the AWS SDK calls, in Lambda).
 * Object bodies travel as bytes in an `ArrayBuffer` of their own, which the
 * sender transfers (not copies) to the other thread.
 */
export type ServiceRequest =
  | {
      service: 'sns.publish';
      topicArn: string;
      message: string;
      subject?: string;
      /** SNS's MessageAttributes as the function gave them (BinaryValue bytes survive the structured clone). */
      messageAttributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string | Uint8Array }>;
      messageStructure?: 'json';
    }
  | { service: 'mqtt.publish'; topic: string; payload: string | Uint8Array; qos: 0 | 1 }
  | { service: 's3.putObject'; bucket: string; key: string; body: Uint8Array<ArrayBuffer>; contentType: string; metadata?: Record<string, string> }
  | { service: 's3.getObject'; bucket: string; key: string };

/** An object as `s3.getObject` receives it. */
export interface ObjectReply {
  /** The whole body, in an `ArrayBuffer` of its own (transferred). */
  body: Uint8Array<ArrayBuffer>;
  contentType?: string;
  metadata?: Record<string, string>;
  /** Epoch milliseconds. */
  lastModified?: number;
}

/** What a successful service call answers; each service fills its own field. */
export interface ServiceReplyValue {
  /** `sns.publish` */
  messageId?: string;
  /** `s3.getObject` */
  object?: ObjectReply;
}

// ---- main thread → worker ----

export interface InvokeMessage {
  type: 'invoke';
  requestId: string;
  event: unknown;
  /** Epoch milliseconds after which the main thread terminates the worker. */
  deadline: number;
}

export type ServiceReplyMessage =
  | { type: 'service-reply'; id: number; ok: true; value: ServiceReplyValue }
  | { type: 'service-reply'; id: number; ok: false; error: SerializedError };

export type MainToWorker = InvokeMessage | ServiceReplyMessage;

// ---- worker → main thread ----

/** The module loaded and exports the handler; the worker can take invocations. */
export interface ReadyMessage {
  type: 'ready';
  /** The worker's memory once the module is loaded (see `memoryBytes` in host.ts). */
  memoryBytes: number;
}

/** The module failed to load or lacks the handler; the worker is useless. */
export interface InitErrorMessage {
  type: 'init-error';
  error: SerializedError;
}

export interface LogMessage {
  type: 'log';
  /** Undefined when code logs outside an invocation (at import time, or from a stray timer). */
  requestId: string | undefined;
  level: LogLevel;
  line: string;
  /** Epoch milliseconds when the function logged it. */
  time: number;
}

/** `memoryBytes`: the worker's memory at the end of the invocation (see `memoryBytes` in host.ts). */
export type ResultMessage =
  | { type: 'result'; requestId: string; ok: true; value: unknown; memoryBytes: number }
  | { type: 'result'; requestId: string; ok: false; error: SerializedError; memoryBytes: number };

export interface ServiceRequestMessage {
  type: 'service-request';
  id: number;
  request: ServiceRequest;
}

export type WorkerToMain = ReadyMessage | InitErrorMessage | LogMessage | ResultMessage | ServiceRequestMessage;
