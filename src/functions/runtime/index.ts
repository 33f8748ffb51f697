/**
 * `sluice/runtime`: what function code imports to reach Sluice's services, the
 * counterpart of the AWS SDK inside a Lambda function. It is bundled into every
 * function, so it imports nothing but Node built-ins and the message types.
 *
 * Inside a Sluice worker each call becomes a `service-request` message to the
 * main thread, which runs it and answers with a `service-reply`. Outside a
 * worker (a unit test of a handler, a script) calls fail with a clear message
 * rather than hanging.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { MainToWorker, ServiceRequest, ServiceRequestMessage } from '../worker/messages.js';

export interface SnsPublishInput {
  TopicArn: string;
  Message: string;
  Subject?: string;
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

interface Pending {
  resolve(value: { messageId?: string }): void;
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

function call(request: ServiceRequest, what: string): Promise<{ messageId?: string }> {
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
    port.postMessage(message);
  });
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new TypeError(`sluice/runtime: ${field} must be a string`);
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
