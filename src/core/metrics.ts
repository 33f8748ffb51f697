import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The server's Prometheus metrics, one registry per server instance so tests
 * that start several servers in one process do not collide.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly messagesReceived = new Counter({
    name: 'sluice_messages_received_total',
    help: 'MQTT messages published to the broker, by QoS',
    labelNames: ['qos'] as const,
    registers: [this.registry],
  });
  readonly ruleMatches = new Counter({
    name: 'sluice_rule_matches_total',
    help: 'Messages that matched a rule (FROM filter and WHERE)',
    labelNames: ['rule'] as const,
    registers: [this.registry],
  });
  readonly ruleErrors = new Counter({
    name: 'sluice_rule_errors_total',
    help: 'Messages a rule could not evaluate, by reason (e.g. payload_not_json)',
    labelNames: ['rule', 'reason'] as const,
    registers: [this.registry],
  });
  readonly rulePayloadNotJson = new Counter({
    name: 'sluice_rule_payload_not_json_total',
    help: 'Messages whose payload was not JSON although the rule reads its fields (they read as Undefined, so the rule usually does not match)',
    labelNames: ['rule'] as const,
    registers: [this.registry],
  });
  readonly actions = new Counter({
    name: 'sluice_actions_total',
    help: 'Rule action attempts, by rule, action kind and outcome (success, retry, throttled: a function refused the invocation, retried without counting an attempt, failure, destination: taken by the function onFailure destination, dead_letter)',
    labelNames: ['rule', 'kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly messagesDropped = new Counter({
    name: 'sluice_messages_dropped_total',
    help: 'Messages whose actions were not enqueued, by reason (QoS 0 only: QoS 1 waits instead)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly actionSeconds = new Histogram({
    name: 'sluice_action_duration_seconds',
    help: 'Time to run one rule action',
    labelNames: ['kind'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  readonly actionsInFlight = new Gauge({
    name: 'sluice_actions_in_flight',
    help: 'Rule actions running now',
    registers: [this.registry],
  });
  readonly notificationsSent = new Counter({
    name: 'sluice_notifications_sent_total',
    help: 'Notification deliveries, by protocol and outcome',
    labelNames: ['protocol', 'outcome'] as const,
    registers: [this.registry],
  });
  #countClients: () => number = () => 0;
  #queueStats: () => Promise<{ depthByRule: Record<string, number>; oldestAgeMs: number; deadLetters: number }> = async () => ({
    depthByRule: {},
    oldestAgeMs: 0,
    deadLetters: 0,
  });
  readonly limitViolations = new Counter({
    name: 'sluice_limit_violations_total',
    help: 'Connections closed for breaking an input limit (payload, topic_bytes, topic_levels, client_id)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly queueDepth: Gauge<'rule'> = new Gauge({
    name: 'sluice_action_queue_depth',
    help: 'Rule actions queued or running, by rule',
    labelNames: ['rule'] as const,
    registers: [this.registry],
    collect: async (): Promise<void> => {
      const stats = await this.#queueStats();
      this.queueDepth.reset();
      for (const [rule, depth] of Object.entries(stats.depthByRule)) this.queueDepth.set({ rule }, depth);
      this.oldestJobAge.set(stats.oldestAgeMs / 1000);
      this.deadLetters.set(stats.deadLetters);
    },
  });
  readonly oldestJobAge = new Gauge({
    name: 'sluice_action_queue_oldest_job_age_seconds',
    help: 'Age of the oldest rule action not yet done',
    registers: [this.registry],
  });
  readonly deadLetters = new Gauge({
    name: 'sluice_dead_letters',
    help: 'Rule actions in the dead-letter store',
    registers: [this.registry],
  });
  readonly connectedClients: Gauge = new Gauge({
    name: 'sluice_connected_clients',
    help: 'MQTT clients connected now',
    registers: [this.registry],
    // Read at scrape time rather than tracked on every connect and disconnect.
    collect: (): void => this.connectedClients.set(this.#countClients()),
  });

  readonly functionInvocations = new Counter({
    name: 'sluice_function_invocations_total',
    help: 'Function invocations, by function and outcome (success, error, timeout, throttled)',
    labelNames: ['function', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly functionErrors = new Counter({
    name: 'sluice_function_errors_total',
    help: 'Failed function invocations (timeouts included, throttles not), by function and Lambda error type',
    labelNames: ['function', 'type'] as const,
    registers: [this.registry],
  });
  readonly functionDuration = new Histogram({
    name: 'sluice_function_duration_seconds',
    help: 'Time a function invocation ran in its worker (not the time queued for one)',
    labelNames: ['function'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
    registers: [this.registry],
  });
  readonly functionDestinations = new Counter({
    name: 'sluice_function_destination_deliveries_total',
    help: 'Destination records of asynchronous invocations, by function, condition (Success, RetriesExhausted, EventAgeExceeded) and outcome (delivered, failed)',
    labelNames: ['function', 'condition', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly functionAsyncRetries = new Counter({
    name: 'sluice_function_async_retries_total',
    help: 'Retries of asynchronous (Event) invocations made by the function runtime after a function error or a throttle',
    labelNames: ['function'] as const,
    registers: [this.registry],
  });
  readonly functionThrottles = new Counter({
    name: 'sluice_function_throttles_total',
    help: 'Function invocations refused because every worker was busy and the wait queue full',
    labelNames: ['function'] as const,
    registers: [this.registry],
  });
  #functionStats: () => Array<{ function: string; running: number; queued: number }> = () => [];
  readonly functionConcurrent: Gauge<'function'> = new Gauge({
    name: 'sluice_function_concurrent_executions',
    help: 'Function invocations running in a worker now',
    labelNames: ['function'] as const,
    registers: [this.registry],
    collect: (): void => {
      const stats = this.#functionStats();
      this.functionConcurrent.reset();
      this.functionQueued.reset();
      for (const s of stats) {
        this.functionConcurrent.set({ function: s.function }, s.running);
        this.functionQueued.set({ function: s.function }, s.queued);
      }
    },
  });
  readonly functionQueued: Gauge<'function'> = new Gauge({
    name: 'sluice_function_queued_invocations',
    help: 'Function invocations waiting for a worker (all of the function\'s workers are busy)',
    labelNames: ['function'] as const,
    registers: [this.registry],
  });

  /** The function runtime reports running and queued invocations per function through this, at scrape time. */
  observeFunctions(stats: () => Array<{ function: string; running: number; queued: number }>): void {
    this.#functionStats = stats;
  }

  /** The action queue reports its depth, oldest job and dead letters through this, at scrape time. */
  observeQueue(stats: () => Promise<{ depthByRule: Record<string, number>; oldestAgeMs: number; deadLetters: number }>): void {
    this.#queueStats = stats;
  }

  /** The broker exists after the metrics do; it reports its client count through this. */
  observeConnectedClients(count: () => number): void {
    this.#countClients = count;
  }

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'sluice_' });
  }
}
