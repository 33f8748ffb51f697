import type { ActionStatus, DeadLetters } from '../actions/index.js';
import type { Metrics } from '../core/index.js';
import type { FunctionRuntime } from '../functions/index.js';
import type { NotificationService, ReadableMailTransport } from '../notify/index.js';
import type { Registry, TokenStore } from '../registry/index.js';
import type { ReadingsStore } from '../readings/index.js';
import type { StackService } from '../stack/index.js';
import type { ObjectStore } from '../storage/index.js';
import type { TraceRing } from '../trace/index.js';

/** A rule's counts since start, for `GET /api/v1/rules`. */
export interface RuleMetricsView {
  matches: number;
  actionSuccesses: number;
  actionFailures: number;
  lastFailure: { at: string; action: string; error: string } | null;
}

/** A thing's MQTT connection, for `GET /api/v1/things[/NAME]`. */
export interface ThingConnectionView {
  connected: boolean;
  clientIds: string[];
  lastConnectedAt: string | null;
  lastDisconnectedAt: string | null;
}

/** What the HTTP API serves, handed in by the composition root. */
export interface ApiDeps {
  /** API tokens: authentication of every `/api/` request, and `/api/v1/tokens`. */
  tokens: TokenStore;
  /** `--insecure`: requests from loopback need no token. */
  insecure: boolean;
  metrics: Metrics;
  stacks: StackService;
  notify: NotificationService;
  /** Signs SNS envelopes; its certificate is served at `/notify/signing-cert.pem` (404 without one). */
  notifySigner?: { certificatePem: string };
  /** The dev mailbox, when mail is not sent through SMTP. */
  mailbox: ReadableMailTransport | undefined;
  objects: ObjectStore;
  /** Which driver keeps a bucket (`fs` or `s3`), for `GET /api/v1/buckets`; unset: `fs`. */
  bucketDriver?(bucket: string): 'fs' | 's3';
  /** Series of readings (`timeseries` actions): `/api/v1/series`. */
  readings: ReadingsStore;
  functions: FunctionRuntime;
  /** An asynchronous (`Event`) invoke: durably queued; resolves once it is on disk. Throws SLUICE_ERR_FUNCTION_NOT_FOUND. */
  invokeEvent(functionName: string, event: unknown): Promise<{ requestId: string }>;
  registry: Registry;
  rules: { list(): Array<{ name: string }> };
  /** The operator's rule switch (the console's enable/disable): stored, then applied; it outlives restarts and redeploys. */
  setRuleEnabled(ruleName: string, enabled: boolean): Promise<void>;
  /** Per rule since start: matches, action successes and failures, the last failure. */
  ruleMetrics(): Promise<Map<string, RuleMetricsView>>;
  /** `GET /api/v1/overview`: totals and the last 300 one-second samples. */
  overview(): Promise<unknown>;
  /** Connection state of things, from the broker's lifecycle events; unset: things have no `connection` field. */
  thingConnections?(thingNames: readonly string[]): Promise<Map<string, ThingConnectionView>>;
  /** Where the console's build is (`dist/console` by default); for tests. */
  consoleDir?: string;
  deadLetters: DeadLetters;
  /** Recent messages' traces (`/api/v1/traces`); unset: tracing is off (`--trace-messages 0`). */
  traces?: TraceRing;
  actionStatus(): Promise<ActionStatus>;
  /** Facts for `/` and `/healthz`. */
  status(): Promise<{ connectedClients: number; actionsPending: number; endpoints: Record<string, string> }>;
}
