/**
 * The last invocations of each function, newest first, for the console's
 * function page and `GET /api/v1/functions/:name/invocations`. In memory
 * only (lost on restart; the log store keeps the lines on disk), bounded per
 * function, kept by name across versions and after removal, like the logs.
 */

/** One finished invocation (throttled ones included: they are failures the operator wants to see). */
export interface InvocationRecord {
  requestId: string;
  /** ISO 8601: when the invocation was asked for (time queued for a worker included). */
  startedAt: string;
  /** ms the handler ran in its worker (0 for a throttle, which never ran). */
  durationMs: number;
  status: 'ok' | 'error';
  /** `<type>: <message>` for a failure. */
  error?: string;
  /** Who asked: `api`, `notification`, `destination:<fn>`, ... (unset when the caller did not say). */
  trigger?: string;
}

/** Per function, the last 200 invocations (by start; the earliest-started goes first when full). */
export const DEFAULT_INVOCATIONS_KEPT = 200;
/** Functions remembered at once; the one invoked least recently is forgotten first. */
const MAX_FUNCTIONS = 10_000;

export class InvocationHistory {
  readonly #perFunction: number;
  /** Each function's ring, oldest first; a Map keeps insertion order for the forgetting. */
  readonly #rings = new Map<string, InvocationRecord[]>();

  constructor(perFunction = DEFAULT_INVOCATIONS_KEPT) {
    this.#perFunction = Math.max(1, perFunction);
  }

  record(functionName: string, invocation: InvocationRecord): void {
    let ring = this.#rings.get(functionName);
    if (ring) {
      this.#rings.delete(functionName);
    } else {
      ring = [];
      if (this.#rings.size >= MAX_FUNCTIONS) {
        const oldest = this.#rings.keys().next();
        if (!oldest.done) this.#rings.delete(oldest.value);
      }
    }
    this.#rings.set(functionName, ring);
    // Kept in start order: invocations finish out of order, and the console lists them by start.
    // They come nearly sorted, so the place is found a step or two from the end.
    let at = ring.length;
    while (at > 0 && (ring[at - 1] as InvocationRecord).startedAt > invocation.startedAt) at--;
    ring.splice(at, 0, invocation);
    // splice on a small array costs less than a head index, and keeps list() trivial.
    if (ring.length > this.#perFunction) ring.splice(0, ring.length - this.#perFunction);
  }

  /** The `limit` invocations of a function that started last, newest first. */
  list(functionName: string, limit = 50): InvocationRecord[] {
    if (limit <= 0) return [];
    const ring = this.#rings.get(functionName) ?? [];
    return ring.slice(-limit).reverse();
  }

  has(functionName: string): boolean {
    return this.#rings.has(functionName);
  }
}
