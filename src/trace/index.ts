/** Message traces: the in-memory ring of what happened to each recent message. */
export { DEFAULT_TRACE_MESSAGES, PAYLOAD_PREVIEW_BYTES, TraceRing, type TraceQuery, type TraceRecord } from './ring.js';
export { topicMatchesFilter } from './topic-filter.js';
export type {
  ActionResultRefs,
  ActionStatus as TraceActionStatus,
  ActionTrace,
  JobDescriber,
  NotificationDeliveryView,
  NotificationTrace,
  PayloadPreview,
  RuleTrace,
  TraceDetail,
  TraceStatus,
  TraceSummary,
  TracedAttempt,
  TracedJob,
  TracedMessage,
  TracedNotification,
  TracedRouting,
} from './model.js';
