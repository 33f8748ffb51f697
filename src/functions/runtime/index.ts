/**
 * `sluice/runtime`: what function code imports to reach Sluice's services, the
 * counterpart of the AWS SDK inside a Lambda function. It is bundled into every
 * function, so it imports nothing but Node built-ins and the message types.
 *
 * Inside a Sluice worker each call becomes a `service-request` message to the
 * main thread, which runs it and answers with a `service-reply`. Outside a
 * worker (a unit test of a handler, a script) calls fail with a clear message
 * rather than hanging.
 *
 * `sns.publish`, `mqtt.publish`, `s3.putObject` and `s3.getObject`: the AWS
 * SDK v3 calls' input and output shapes, as plain async functions (no clients,
 * no command classes). Object bodies cross threads whole, at most
 * `MAX_OBJECT_BYTES` (32 MiB), in buffers made for the call and transferred.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import {
  MAX_METADATA_BYTES,
  MAX_OBJECT_BYTES,
  type MainToWorker,
  type ServiceReplyValue,
  type ServiceRequest,
  type ServiceRequestMessage,
} from '../worker/messages.js';

export { MAX_OBJECT_BYTES };

export interface SnsPublishInput {
  TopicArn: string;
  Message: string;
  Subject?: string;
  /**
   * As SNS Publish: `{ Name: { DataType: 'String' | 'String.Array' | 'Number' | 'Binary', StringValue | BinaryValue } }`,
   * at most 10. Subscriptions' filter policies look at them; http, https,
   * email-json and function subscribers receive them in the envelope.
   */
  MessageAttributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string | Uint8Array }>;
  /** `'json'`: Message is a JSON object of per-protocol messages, `default` required (e.g. `{"default":"…","email":"…"}`). */
  MessageStructure?: 'json';
}

export interface SnsPublishOutput {
  MessageId: string;
}

export interface MqttPublishInput {
  topic: string;
  /** A string or bytes go out as they are; any other object is sent as JSON. */
  payload: string | Uint8Array | object;
  qos?: 0 | 1;
}

export interface PutObjectInput {
  /** The bucket's name (as in the stack file's `buckets`). */
  Bucket: string;
  Key: string;
  /**
   * A string (stored as UTF-8), bytes (`Uint8Array`, `Buffer`, `ArrayBuffer`
   * or another typed array) as they are, or any other object as JSON. At most
   * `MAX_OBJECT_BYTES` (32 MiB) once encoded.
   */
  Body: string | Uint8Array | ArrayBuffer | ArrayBufferView | object;
  /**
   * Default: `application/json` for an object body, `text/plain; charset=utf-8`
   * for a string, `application/octet-stream` for bytes.
   */
  ContentType?: string;
  /** S3's user metadata (`x-amz-meta-*`): string values, keys lower-cased as S3 does, at most 2 KB in all. */
  Metadata?: Record<string, string>;
}

export interface PutObjectOutput {
  /** S3's ETag of a single-part upload: the body's MD5 in hex, in double quotes. */
  ETag?: string;
}

export interface GetObjectInput {
  Bucket: string;
  Key: string;
}

/**
 * The object's bytes, all of them (there is no streaming). It is a
 * `Uint8Array`, and also has the AWS SDK v3 body's `transformToString` and
 * `transformToByteArray`, so `await Body.transformToString()` works as on AWS.
 */
export interface ObjectBody extends Uint8Array {
  /** The bytes decoded as `encoding` (any Buffer encoding; default `utf-8`). */
  transformToString(encoding?: string): Promise<string>;
  transformToByteArray(): Promise<Uint8Array>;
}

export interface GetObjectOutput {
  Body: ObjectBody;
  /** The body's length in bytes. */
  ContentLength: number;
  /** Present when the object store keeps content types (the default fs store does not yet). */
  ContentType?: string;
  /** Present when the object store keeps user metadata (the default fs store does not yet). */
  Metadata?: Record<string, string>;
  LastModified?: Date;
}

interface Pending {
  resolve(value: ServiceReplyValue): void;
  reject(error: Error): void;
}

const pending = new Map<number, Pending>();
let nextId = 1;
let listening = false;

function insideSluiceWorker(): boolean {
  const data: unknown = workerData;
  return (
    !isMainThread &&
    parentPort !== null &&
    typeof data === 'object' &&
    data !== null &&
    (data as { sluiceFunctionHost?: unknown }).sluiceFunctionHost === true
  );
}

function onMessage(message: MainToWorker): void {
  if (message.type !== 'service-reply') return;
  const waiter = pending.get(message.id);
  if (!waiter) return;
  pending.delete(message.id);
  if (message.ok) {
    waiter.resolve(message.value);
  } else {
    const error = new Error(message.error.message);
    error.name = message.error.type;
    waiter.reject(error);
  }
}

/** `transfer`: buffers that move to the main thread with the request (the caller made them for this call). */
function call(request: ServiceRequest, what: string, transfer: ArrayBuffer[] = []): Promise<ServiceReplyValue> {
  const port = parentPort;
  if (!insideSluiceWorker() || port === null) {
    return Promise.reject(
      new Error(
        `sluice/runtime: ${what} works only inside a function run by Sluice (a Sluice worker thread); ` +
          'to test a handler on its own, mock the sluice/runtime module',
      ),
    );
  }
  if (!listening) {
    port.on('message', onMessage);
    listening = true;
  }
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    const message: ServiceRequestMessage = { type: 'service-request', id, request };
    port.postMessage(message, transfer);
  });
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new TypeError(`sluice/runtime: ${field} must be a string`);
  return value;
}

/** The shape only: the notification service checks names, types and values, and says which is wrong. */
function requireAttributes(value: unknown): NonNullable<SnsPublishInput['MessageAttributes']> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('sluice/runtime: MessageAttributes must be an object of { DataType, StringValue | BinaryValue }');
  for (const [name, attribute] of Object.entries(value)) {
    if (attribute === null || typeof attribute !== 'object') throw new TypeError(`sluice/runtime: MessageAttributes.${name} must be an object of { DataType, StringValue | BinaryValue }`);
  }
  return value as NonNullable<SnsPublishInput['MessageAttributes']>;
}

function requireStructure(value: unknown): 'json' {
  if (value !== 'json') throw new TypeError(`sluice/runtime: MessageStructure must be 'json' when given, got ${JSON.stringify(value)}`);
  return value;
}

/** Publishes to a notification topic, like SNS `Publish`. */
export const sns = {
  async publish(input: SnsPublishInput): Promise<SnsPublishOutput> {
    const request: ServiceRequest = {
      service: 'sns.publish',
      topicArn: requireString(input.TopicArn, 'TopicArn'),
      message: requireString(input.Message, 'Message'),
      ...(input.Subject === undefined ? {} : { subject: requireString(input.Subject, 'Subject') }),
      ...(input.MessageAttributes === undefined ? {} : { messageAttributes: requireAttributes(input.MessageAttributes) }),
      ...(input.MessageStructure === undefined ? {} : { messageStructure: requireStructure(input.MessageStructure) }),
    };
    const reply = await call(request, 'sns.publish');
    return { MessageId: reply.messageId ?? '' };
  },
};

/** Publishes an MQTT message through Sluice's broker, like IoT Data `Publish`. */
export const mqtt = {
  async publish(input: MqttPublishInput): Promise<void> {
    const { payload } = input;
    const body = typeof payload === 'string' || payload instanceof Uint8Array ? payload : JSON.stringify(payload);
    const qos = input.qos ?? 0;
    if (qos !== 0 && qos !== 1) throw new TypeError('sluice/runtime: qos must be 0 or 1');
    await call({ service: 'mqtt.publish', topic: requireString(input.topic, 'topic'), payload: body, qos }, 'mqtt.publish');
  },
};

/** An Error with an S3 error name, as the AWS SDK rejects with. */
function s3Error(name: string, message: string): Error {
  const error = new Error(`sluice/runtime: ${message}`);
  error.name = name;
  return error;
}

/**
 * The body's bytes in an ArrayBuffer of their own, which can be transferred
 * without detaching the caller's buffer (or Node's shared pool that small
 * Buffers are cut from). One copy, sized and checked before it is made.
 */
function encodeBody(body: unknown): { bytes: Uint8Array<ArrayBuffer>; defaultType: string } {
  let source: Uint8Array | string;
  let defaultType: string;
  if (typeof body === 'string') {
    source = body;
    defaultType = 'text/plain; charset=utf-8';
  } else if (body instanceof ArrayBuffer) {
    source = new Uint8Array(body);
    defaultType = 'application/octet-stream';
  } else if (ArrayBuffer.isView(body)) {
    source = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    defaultType = 'application/octet-stream';
  } else if (typeof body === 'object' && body !== null) {
    const json = JSON.stringify(body);
    if (json === undefined) throw new TypeError('sluice/runtime: s3.putObject Body cannot be turned into JSON');
    source = json;
    defaultType = 'application/json';
  } else {
    throw new TypeError('sluice/runtime: s3.putObject Body must be a string, bytes (Uint8Array, Buffer, ArrayBuffer) or an object (sent as JSON)');
  }
  const size = typeof source === 'string' ? Buffer.byteLength(source) : source.byteLength;
  if (size > MAX_OBJECT_BYTES) {
    throw s3Error('EntityTooLarge', `s3.putObject: Body is ${size} bytes, more than the limit of ${MAX_OBJECT_BYTES} bytes (32 MiB)`);
  }
  const bytes = new Uint8Array(size);
  if (typeof source === 'string') Buffer.from(bytes.buffer, 0, size).write(source, 'utf8');
  else bytes.set(source);
  return { bytes, defaultType };
}

/** Checks S3's rules for user metadata and lower-cases the keys, as S3 does. */
function normalizeMetadata(metadata: unknown): Record<string, string> | undefined {
  if (metadata === undefined) return undefined;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new TypeError('sluice/runtime: s3.putObject Metadata must be an object of strings');
  }
  const out: Record<string, string> = {};
  let size = 0;
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new TypeError(`sluice/runtime: s3.putObject Metadata.${key} must be a string`);
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) {
      throw new TypeError(`sluice/runtime: s3.putObject Metadata key '${key}' is not a valid HTTP header name`);
    }
    out[key.toLowerCase()] = value;
    size += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (size > MAX_METADATA_BYTES) {
    throw s3Error('MetadataTooLarge', `s3.putObject: Metadata is ${size} bytes, more than S3's limit of ${MAX_METADATA_BYTES} bytes`);
  }
  return out;
}

/** S3's ETag of a single-part upload; none where MD5 is unavailable (a FIPS-only OpenSSL). */
async function md5ETag(bytes: Uint8Array): Promise<string | undefined> {
  try {
    // Loaded on first use: functions that never put an object do not pay for node:crypto.
    const { createHash } = await import('node:crypto');
    return `"${createHash('md5').update(bytes).digest('hex')}"`;
  } catch {
    return undefined;
  }
}

function objectBody(bytes: Uint8Array): ObjectBody {
  // Not enumerable: a handler that returns the output as JSON gets the bytes only, as with a plain Uint8Array.
  return Object.defineProperties(bytes, {
    transformToString: {
      value: async (encoding = 'utf-8'): Promise<string> => {
        if (!Buffer.isEncoding(encoding)) throw new TypeError(`sluice/runtime: unknown encoding '${encoding}'`);
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(encoding);
      },
    },
    transformToByteArray: { value: async (): Promise<Uint8Array> => new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
  }) as ObjectBody;
}

/**
 * Puts and gets objects in Sluice's buckets (the ones the `s3` rule action
 * writes to), like the AWS SDK v3 S3 client's `PutObject` and `GetObject`, as
 * plain async functions. Errors carry S3's names: `NoSuchKey`, `NoSuchBucket`,
 * `EntityTooLarge`, `MetadataTooLarge`.
 */
export const s3 = {
  async putObject(input: PutObjectInput): Promise<PutObjectOutput> {
    const bucket = requireString(input.Bucket, 'Bucket');
    const key = requireString(input.Key, 'Key');
    const metadata = normalizeMetadata(input.Metadata);
    const contentType = input.ContentType === undefined ? undefined : requireString(input.ContentType, 'ContentType');
    const { bytes, defaultType } = encodeBody(input.Body);
    // Hashed before the buffer moves to the main thread (a transferred buffer reads as empty here).
    const etag = await md5ETag(bytes);
    const request: ServiceRequest = {
      service: 's3.putObject',
      bucket,
      key,
      body: bytes,
      contentType: contentType ?? defaultType,
      ...(metadata === undefined ? {} : { metadata }),
    };
    await call(request, 's3.putObject', [bytes.buffer]);
    return etag === undefined ? {} : { ETag: etag };
  },

  async getObject(input: GetObjectInput): Promise<GetObjectOutput> {
    const bucket = requireString(input.Bucket, 'Bucket');
    const key = requireString(input.Key, 'Key');
    const reply = await call({ service: 's3.getObject', bucket, key }, 's3.getObject');
    const found = reply.object;
    if (!found) throw new Error('sluice/runtime: s3.getObject: the main thread answered without an object');
    return {
      Body: objectBody(found.body),
      ContentLength: found.body.byteLength,
      ...(found.contentType === undefined ? {} : { ContentType: found.contentType }),
      ...(found.metadata === undefined ? {} : { Metadata: found.metadata }),
      ...(found.lastModified === undefined ? {} : { LastModified: new Date(found.lastModified) }),
    };
  },
};
