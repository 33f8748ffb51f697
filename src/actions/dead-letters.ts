import type { Clock } from '../core/index.js';
import type { ActionExecutor } from './executor.js';
import type { ActionTarget } from './model.js';
import type { ActionQueue, DeadLetter, DeadLetterFilter } from './queue/port.js';

/** A dead letter as people and scripts see it: the original payload base64-encoded, times as ISO 8601. */
export interface DeadLetterView {
  id: string;
  ruleName: string;
  topic: string;
  clientId: string;
  target: ActionTarget;
  attempts: number;
  enqueuedAt: string;
  deadAt: string;
  failures: DeadLetter['failures'];
  /** The SELECT output the action was given, base64. */
  payloadBase64: string;
  /** The message as the device sent it, base64. */
  originalPayloadBase64: string;
}

export type DeadLetterSelection = DeadLetterFilter & { jobId?: string };

/** What the API and CLI do with dead letters; replay puts the original job back on the queue with its original data. */
export class DeadLetters {
  readonly #queue: ActionQueue;
  readonly #executor: ActionExecutor;
  readonly #clock: Clock;

  constructor(queue: ActionQueue, executor: ActionExecutor, clock: Clock) {
    this.#queue = queue;
    this.#executor = executor;
    this.#clock = clock;
  }

  async list(filter: DeadLetterFilter): Promise<DeadLetterView[]> {
    return (await this.#queue.listDeadLetters(filter, this.#clock.now())).map(toView);
  }

  async get(jobId: string): Promise<DeadLetterView | undefined> {
    const letter = await this.#queue.getDeadLetter(jobId);
    return letter ? toView(letter) : undefined;
  }

  async replay(selection: DeadLetterSelection): Promise<string[]> {
    const ids = await this.#queue.replayDeadLetters(selection, this.#clock.now());
    this.#executor.refresh();
    return ids;
  }

  async purge(selection: DeadLetterSelection): Promise<number> {
    return this.#queue.purgeDeadLetters(selection, this.#clock.now());
  }
}

function toView(letter: DeadLetter): DeadLetterView {
  const { job } = letter;
  return {
    id: job.id,
    ruleName: job.ruleName,
    topic: job.input.topic,
    clientId: job.input.clientId,
    target: job.target,
    attempts: letter.attempts,
    enqueuedAt: new Date(letter.enqueuedAt).toISOString(),
    deadAt: new Date(letter.deadAt).toISOString(),
    failures: letter.failures,
    payloadBase64: job.input.payload.toString('base64'),
    originalPayloadBase64: job.originalPayload.toString('base64'),
  };
}
