import type { LifecycleEvent } from '../broker/index.js';
import { parsePrincipal } from '../registry/index.js';

/** A thing's MQTT connection state, as `GET /api/v1/things[/NAME]` shows it. */
export interface ThingConnection {
  connected: boolean;
  /** Live clients that are the thing's: their client id is its name, or their certificate/token is attached to it. */
  clientIds: string[];
  /** ISO 8601, since this process started; null when not seen since. */
  lastConnectedAt: string | null;
  lastDisconnectedAt: string | null;
}

/** What the tracker needs of the registry: a principal's things, and word when attachments may have changed. */
export interface PrincipalDirectory {
  listPrincipalThings(principal: string): Promise<string[]>;
  onChange(listener: () => void): () => void;
}

interface LiveSession {
  clientId: string;
  principal: string | undefined;
}

interface Seen {
  connectedAt?: number;
  disconnectedAt?: number;
}

/** Client ids and principals whose last connect/disconnect times are kept; the least recently seen go first. */
const MAX_SEEN = 50_000;

/**
 * Which things are connected, from the broker's lifecycle events. In memory:
 * live sessions (by session id, so a client that takes over another's client
 * id is counted right whatever order the two events come in) and the last
 * connect and disconnect times per client id and per principal since this
 * process started. Which principal belongs to which thing is asked of the
 * registry when a query needs it (cached until the registry changes), so an
 * attachment made after a device connected counts at once.
 */
export class ConnectionTracker {
  readonly #directory: PrincipalDirectory;
  readonly #live = new Map<string, LiveSession>();
  readonly #seenClients = new Map<string, Seen>();
  readonly #seenPrincipals = new Map<string, Seen>();
  readonly #thingsOfPrincipal = new Map<string, Promise<string[]>>();
  readonly #stopWatching: () => void;

  constructor(directory: PrincipalDirectory) {
    this.#directory = directory;
    this.#stopWatching = directory.onChange(() => this.#thingsOfPrincipal.clear());
  }

  /** The broker's `onLifecycle` hook. */
  record(event: LifecycleEvent): void {
    if (event.eventType !== 'connected' && event.eventType !== 'disconnected') return;
    const field = event.eventType === 'connected' ? 'connectedAt' : 'disconnectedAt';
    if (event.eventType === 'connected') this.#live.set(event.sessionIdentifier, { clientId: event.clientId, principal: event.principalIdentifier });
    else this.#live.delete(event.sessionIdentifier);
    stamp(this.#seenClients, event.clientId, field, event.timestamp);
    if (lookupable(event.principalIdentifier)) stamp(this.#seenPrincipals, event.principalIdentifier, field, event.timestamp);
  }

  /** The connection state of each named thing (things with no client seen: disconnected, null times). */
  async of(thingNames: readonly string[]): Promise<Map<string, ThingConnection>> {
    const wanted = new Set(thingNames);
    const states = new Map<string, { clientIds: string[]; seen: Seen }>(thingNames.map((name) => [name, { clientIds: [], seen: {} }]));
    for (const [clientId, seen] of this.#seenClients) {
      const state = states.get(clientId);
      if (state) merge(state.seen, seen);
    }
    for (const [principal, seen] of this.#seenPrincipals) {
      for (const thing of await this.#things(principal)) {
        const state = wanted.has(thing) ? states.get(thing) : undefined;
        if (state) merge(state.seen, seen);
      }
    }
    for (const session of this.#live.values()) {
      const things = new Set([session.clientId, ...(lookupable(session.principal) ? await this.#things(session.principal) : [])]);
      for (const thing of things) {
        const state = wanted.has(thing) ? states.get(thing) : undefined;
        if (state && !state.clientIds.includes(session.clientId)) state.clientIds.push(session.clientId);
      }
    }
    const result = new Map<string, ThingConnection>();
    for (const [name, { clientIds, seen }] of states) {
      result.set(name, {
        connected: clientIds.length > 0,
        clientIds: clientIds.sort(),
        lastConnectedAt: iso(seen.connectedAt),
        lastDisconnectedAt: iso(seen.disconnectedAt),
      });
    }
    return result;
  }

  close(): void {
    this.#stopWatching();
  }

  #things(principal: string): Promise<string[]> {
    let things = this.#thingsOfPrincipal.get(principal);
    if (!things) {
      // A failed lookup (a principal deleted meanwhile) counts as no things, and is asked again next time.
      things = this.#directory.listPrincipalThings(principal).catch(() => {
        this.#thingsOfPrincipal.delete(principal);
        return [];
      });
      this.#thingsOfPrincipal.set(principal, things);
    }
    return things;
  }
}

/**
 * Certificates and device tokens can be attached to things; other principals
 * (`admin`, `read-only`, a username on the insecure listener) cannot.
 */
function lookupable(principal: string | undefined): principal is string {
  if (principal === undefined) return false;
  try {
    parsePrincipal(principal);
    return true;
  } catch {
    return false;
  }
}

function stamp(seen: Map<string, Seen>, key: string, field: keyof Seen, at: number): void {
  const entry = seen.get(key) ?? {};
  seen.delete(key);
  entry[field] = Math.max(entry[field] ?? 0, at);
  seen.set(key, entry);
  if (seen.size > MAX_SEEN) {
    const oldest = seen.keys().next();
    if (!oldest.done) seen.delete(oldest.value);
  }
}

function merge(into: Seen, from: Seen): void {
  if (from.connectedAt !== undefined) into.connectedAt = Math.max(into.connectedAt ?? 0, from.connectedAt);
  if (from.disconnectedAt !== undefined) into.disconnectedAt = Math.max(into.disconnectedAt ?? 0, from.disconnectedAt);
}

function iso(at: number | undefined): string | null {
  return at === undefined ? null : new Date(at).toISOString();
}
