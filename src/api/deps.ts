import type { ActionStatus, DeadLetters } from '../actions/index.js';
import type { Metrics } from '../core/index.js';
import type { FunctionRuntime } from '../functions/index.js';
import type { NotificationService, ReadableMailTransport } from '../notify/index.js';
import type { Registry, TokenStore } from '../registry/index.js';
import type { ReadingsStore } from '../readings/index.js';
import type { StackService } from '../stack/index.js';
import type { ObjectStore } from '../storage/index.js';

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
  rules: { list(): unknown[] };
  deadLetters: DeadLetters;
  actionStatus(): Promise<ActionStatus>;
  /** Facts for `/` and `/healthz`. */
  status(): Promise<{ connectedClients: number; actionsPending: number; endpoints: Record<string, string> }>;
}
