/** The shapes of GET /api/v1/traces and /api/v1/traces/:messageId (the contract in the shared design notes). */
export interface TracePayload {
  text?: string;
  base64?: string;
  truncated: boolean;
}

export interface TraceSummary {
  messageId: string;
  topic: string;
  clientId: string;
  qos: number;
  receivedAt: string;
  payload: TracePayload;
  rulesMatched: string[];
  status: 'no-rules' | 'pending' | 'ok' | 'failed';
}

export interface TraceActionResult {
  bucket?: string;
  key?: string;
  functionName?: string;
  requestId?: string;
  notificationMessageIds?: string[];
  topic?: string;
}

export interface TraceAction {
  jobId: string;
  kind: string;
  target: string;
  status: 'queued' | 'ok' | 'retrying' | 'dead-letter' | string;
  attempts: number;
  enqueuedAt: string;
  completedAt: string | null;
  durationMs: number | null;
  error?: string;
  result?: TraceActionResult;
}

export interface TraceRule {
  rule: string;
  evaluationMs: number;
  error?: string;
  actions: TraceAction[];
}

export interface TraceDelivery {
  subscriptionId: string;
  protocol: string;
  endpoint: string;
  status: string;
  at: string;
}

export interface TraceNotification {
  messageId: string;
  topic: string;
  subject?: string;
  publishedBy: string;
  deliveries: TraceDelivery[];
}

export interface TraceDetail extends TraceSummary {
  rules: TraceRule[];
  notifications: TraceNotification[];
}

const PENDING_ACTION = new Set(['queued', 'retrying', 'running']);
const PENDING_DELIVERY = new Set(['pending', 'queued', 'retrying', 'sending']);

/**
 * Whether anything in the trace may still change: an action not finished, a
 * delivery not done, or a notification an action published that the trace
 * does not show yet (the function published it after this answer was made).
 */
export function isPendingTrace(trace: TraceDetail): boolean {
  if (trace.status === 'pending') return true;
  const shown = new Set(trace.notifications.map((n) => n.messageId));
  for (const rule of trace.rules) {
    for (const action of rule.actions) {
      if (PENDING_ACTION.has(action.status)) return true;
      if (action.result?.notificationMessageIds?.some((id) => !shown.has(id))) return true;
    }
  }
  return trace.notifications.some((n) => n.deliveries.some((d) => PENDING_DELIVERY.has(d.status)));
}
