import { isSluiceError, type ErrorCode } from '../core/index.js';
import { ActionError } from './action-error.js';
import { postHttp } from './http.js';
import type { ActionInput, ActionTarget } from './model.js';
import { toNotificationPayload } from './notifications.js';
import type { ActionPorts } from './ports.js';
import { writeReading } from './timeseries.js';

/**
 * Failures that no retry can mend: the target does not exist or refuses the
 * request as such. Anything else (I/O errors, a function that threw) may pass.
 */
const PERMANENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'SLUICE_ERR_BUCKET_NOT_FOUND',
  'SLUICE_ERR_OBJECT_KEY_INVALID',
  'SLUICE_ERR_FUNCTION_NOT_FOUND',
  'SLUICE_ERR_REQUEST_INVALID',
]);

function classify(error: unknown): unknown {
  if (isSluiceError(error) && PERMANENT.has(error.code)) {
    return new ActionError(error.message, { retryable: false, cause: error });
  }
  return error;
}

/**
 * What a successful action left behind, for message traces: the object it
 * wrote (s3, archive: the batch object), the invocation it made (its request
 * id is the job id), the topic it republished to.
 */
export interface ActionResult {
  bucket?: string;
  key?: string;
  functionName?: string;
  requestId?: string;
  topic?: string;
}

/**
 * Runs one rendered action. Throws on failure, an `ActionError` saying
 * whether a retry can help; the executor decides what the failure leads to.
 */
export async function executeAction(target: ActionTarget, input: ActionInput, jobId: string, ports: ActionPorts, attempt = 1): Promise<ActionResult | undefined> {
  try {
    return await run(target, input, jobId, ports, attempt);
  } catch (error) {
    throw classify(error);
  }
}

/** The event a function action passes: the SELECT output, or a binary payload base64-encoded, as it would reach Lambda. */
export function functionEvent(input: ActionInput): unknown {
  return input.value === undefined ? input.payload.toString('base64') : input.value;
}

async function run(target: ActionTarget, input: ActionInput, jobId: string, ports: ActionPorts, attempt: number): Promise<ActionResult | undefined> {
  switch (target.kind) {
    case 's3':
      await ports.objects.putObject(target.bucket, target.key, input.payload, {
        ...(target.contentType ? { contentType: target.contentType } : {}),
        metadata: { topic: input.topic, clientid: input.clientId, timestamp: String(input.timestamp) },
      });
      return { bucket: target.bucket, key: target.key };
    case 'function': {
      const outcome = await ports.functions.invokeAsync(target.functionName, functionEvent(input), jobId, attempt);
      // A function that failed is retried, as Lambda retries asynchronous invokes.
      if (!outcome.ok) throw new ActionError(outcome.errorMessage, { retryable: true, throttled: outcome.throttled === true });
      return { functionName: target.functionName, requestId: jobId };
    }
    case 'republish':
      await ports.broker.publish(target.topic, input.payload, target.qos);
      return { topic: target.topic };
    case 'http':
      // Straight to the network (global fetch), not through a port: tests run a real server.
      await postHttp(target, input, jobId);
      return undefined;
    case 'notification': {
      const outcome = await ports.notifications.deliver(target, toNotificationPayload(input.value), jobId, attempt);
      // The protocol decides: e.g. an SMTP 550 (no such mailbox) is final, a 4xx or a dead mail server is not.
      if (!outcome.ok) throw new ActionError(outcome.errorMessage, { retryable: outcome.retryable });
      return undefined;
    }
    case 'archive':
      if (!ports.archive) throw new ActionError('no archive writer is configured', { retryable: false });
      // Resolves once the batch holding this message is written: the job leaves the queue only then.
      return (await ports.archive.append(target, input, jobId)) ?? undefined;
    case 'timeseries':
      await writeReading(target, input, ports.readings);
      return undefined;
  }
}
