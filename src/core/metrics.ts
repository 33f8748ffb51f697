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
  readonly actions = new Counter({
    name: 'sluice_actions_total',
    help: 'Rule action attempts, by rule, action kind and outcome (success, retry, failure, dead_letter)',
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
    help: 'Rule actions queued or running',
    registers: [this.registry],
  });
  readonly notificationsSent = new Counter({
    name: 'sluice_notifications_sent_total',
    help: 'Notification deliveries, by protocol and outcome',
    labelNames: ['protocol', 'outcome'] as const,
    registers: [this.registry],
  });
  #countClients: () => number = () => 0;
  readonly connectedClients: Gauge = new Gauge({
    name: 'sluice_connected_clients',
    help: 'MQTT clients connected now',
    registers: [this.registry],
    // Read at scrape time rather than tracked on every connect and disconnect.
    collect: (): void => this.connectedClients.set(this.#countClients()),
  });

  /** The broker exists after the metrics do; it reports its client count through this. */
  observeConnectedClients(count: () => number): void {
    this.#countClients = count;
  }

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'sluice_' });
  }
}
