/**
 * AWS IoT lifecycle events: what the broker publishes on `$aws/events/...`
 * when a client connects, disconnects, subscribes or unsubscribes, with
 * AWS's topics and payload fields, so rules written for them work here.
 */

/** AWS's disconnect reasons that can happen in Sluice. */
export type DisconnectReason =
  | 'CLIENT_INITIATED_DISCONNECT'
  | 'CONNECTION_LOST'
  | 'DUPLICATE_CLIENTID'
  | 'AUTHORIZATION_FAILURE'
  | 'SERVER_INITIATED_DISCONNECT'
  | 'SERVER_SHUTDOWN';

interface Common {
  clientId: string;
  /** ms since the epoch */
  timestamp: number;
  sessionIdentifier: string;
  principalIdentifier: string | undefined;
}

export type LifecycleEvent =
  | (Common & { eventType: 'connected'; ipAddress: string | undefined; versionNumber: number })
  | (Common & { eventType: 'disconnected'; clientInitiatedDisconnect: boolean; disconnectReason: DisconnectReason; versionNumber: number })
  | (Common & { eventType: 'subscribed' | 'unsubscribed'; topics: string[] });

export function lifecycleTopic(event: LifecycleEvent): string {
  switch (event.eventType) {
    case 'connected':
    case 'disconnected':
      return `$aws/events/presence/${event.eventType}/${event.clientId}`;
    case 'subscribed':
    case 'unsubscribed':
      return `$aws/events/subscriptions/${event.eventType}/${event.clientId}`;
  }
}

/** The JSON AWS publishes: undefined fields (an anonymous principal) are left out. */
export function lifecyclePayload(event: LifecycleEvent): Buffer {
  return Buffer.from(JSON.stringify(event));
}

/**
 * AWS: "a monotonically increasing long integer value for each client ID
 * connection". One counter seeded with the clock is monotonic per client id
 * across restarts too, and needs no per-client memory.
 */
export function versionCounter(now: () => number = Date.now): () => number {
  let last = 0;
  return () => {
    last = Math.max(last + 1, now());
    return last;
  };
}
