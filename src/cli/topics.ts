import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { SluiceError } from '../core/index.js';
import { apiRequest, resolveServer, type ConnectionOptions } from './client.js';
import { action, printJson, printTable } from './output.js';

interface Topic {
  name: string;
  arn: string;
  displayName?: string;
  createdAt: string;
}

interface TopicDescription extends Topic {
  subscriptionsConfirmed: number;
  subscriptionsPending: number;
}

interface Subscription {
  id: string;
  arn: string;
  topicName: string;
  protocol: string;
  endpoint: string;
  status: string;
  createdAt: string;
  confirmedAt?: string;
  deliveryPolicy?: unknown;
  filterPolicy?: unknown;
  filterPolicyScope?: string;
  rawMessageDelivery?: boolean;
}

interface DeliveryState {
  messageId: string;
  status: string;
  attempts: number;
  publishedAt: string;
  deliveredAt?: string;
  lastError?: string;
}

const topicPath = (name: string) => `/api/v1/topics/${encodeURIComponent(name)}`;
const subscriptionPath = (id: string) => `/api/v1/subscriptions/${encodeURIComponent(id)}`;

function invalid(message: string): SluiceError {
  return new SluiceError('SLUICE_ERR_REQUEST_INVALID', message);
}

/**
 * A JSON object given on the command line, or `@file` for one in a file:
 * `--filter-policy '{"severity":["high"]}'` or `--filter-policy @filter.json`.
 */
export async function readJsonObjectOption(flag: string, value: string): Promise<Record<string, unknown>> {
  let text = value;
  let source = '';
  if (value.startsWith('@')) {
    const file = value.slice(1);
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw invalid(`${flag}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    source = ` (in ${file})`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid(`${flag}: not JSON${source}: ${(error as Error).message}; give a JSON object, or @FILE for one in a file`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalid(`${flag}: expected a JSON object${source}, got ${Array.isArray(parsed) ? 'an array' : JSON.stringify(parsed)}`);
  }
  return parsed as Record<string, unknown>;
}

function subscriptionLines(sub: Subscription): string[] {
  return [
    `Subscription:     ${sub.id}`,
    `ARN:              ${sub.arn}`,
    `Topic:            ${sub.topicName}`,
    `Protocol:         ${sub.protocol}`,
    `Endpoint:         ${sub.endpoint}`,
    `Status:           ${sub.status}`,
    `Created:          ${sub.createdAt}`,
    `Confirmed:        ${sub.confirmedAt ?? '-'}`,
    `Filter policy:    ${sub.filterPolicy === undefined ? '-' : JSON.stringify(sub.filterPolicy)}${sub.filterPolicyScope ? ` (scope ${sub.filterPolicyScope})` : ''}`,
    `Raw delivery:     ${sub.rawMessageDelivery === undefined ? '-' : String(sub.rawMessageDelivery)}`,
    `Delivery policy:  ${sub.deliveryPolicy === undefined ? '-' : JSON.stringify(sub.deliveryPolicy)}`,
  ];
}

/** `sluice topics`: notification topics (SNS CreateTopic, ListTopics, GetTopicAttributes, DeleteTopic). */
export function registerTopicCommands(program: Command, connection: () => ConnectionOptions): void {
  const topics = program.command('topics').description('notification topics: list, show, create, delete');

  topics
    .command('list', { isDefault: true })
    .description('list topics with their subscription counts')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const { topics: list } = await apiRequest<{ topics: Topic[] }>(target, 'GET', '/api/v1/topics');
        if (flags.json) return printJson(list);
        const { subscriptions } = await apiRequest<{ subscriptions: Subscription[] }>(target, 'GET', '/api/v1/subscriptions');
        const count = (topic: string, confirmed: boolean) =>
          String(subscriptions.filter((s) => s.topicName === topic && (s.status === 'confirmed') === confirmed).length);
        printTable(
          ['NAME', 'DISPLAY NAME', 'CONFIRMED', 'PENDING', 'ARN'],
          list.map((t) => [t.name, t.displayName ?? '-', count(t.name, true), count(t.name, false), t.arn]),
        );
      }),
    );

  topics
    .command('show')
    .description('show a topic and its subscriptions')
    .argument('<name>', 'topic name or ARN')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (name: string, flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const topic = await apiRequest<TopicDescription>(target, 'GET', topicPath(name));
        const { subscriptions } = await apiRequest<{ subscriptions: Subscription[] }>(target, 'GET', `${topicPath(topic.name)}/subscriptions`);
        if (flags.json) return printJson({ ...topic, subscriptions });
        process.stdout.write(
          [
            `Topic:          ${topic.name}`,
            `ARN:            ${topic.arn}`,
            `Display name:   ${topic.displayName ?? '-'}`,
            `Created:        ${topic.createdAt}`,
            `Subscriptions:  ${topic.subscriptionsConfirmed} confirmed, ${topic.subscriptionsPending} pending`,
            '',
          ].join('\n'),
        );
        if (subscriptions.length > 0) {
          printTable(['ID', 'PROTOCOL', 'ENDPOINT', 'STATUS'], subscriptions.map((s) => [s.id, s.protocol, s.endpoint, s.status]));
        }
      }),
    );

  topics
    .command('create')
    .description('create a topic (idempotent: an existing one is kept; --display-name replaces its display name)')
    .argument('<name>', 'topic name: 1-256 of A-Z a-z 0-9 _ -')
    .option('--display-name <text>', 'display name, also the default subject of its email notifications (at most 100 characters)')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (name: string, flags: { displayName?: string; json: boolean }) => {
        const target = await resolveServer(connection());
        let before: Topic | undefined;
        try {
          before = await apiRequest<Topic>(target, 'GET', topicPath(name));
        } catch (error) {
          if (!(error instanceof SluiceError && (error.code === 'SLUICE_ERR_TOPIC_NOT_FOUND' || error.code === 'SLUICE_ERR_NOT_FOUND'))) throw error;
        }
        const topic = await apiRequest<Topic>(target, 'POST', '/api/v1/topics', {
          name,
          ...(flags.displayName !== undefined ? { displayName: flags.displayName } : {}),
        });
        if (flags.json) return printJson(topic);
        if (!before) process.stdout.write(`Created topic ${topic.name} (${topic.arn})\n`);
        else if (before.displayName !== topic.displayName) process.stdout.write(`Updated topic ${topic.name}: display name ${JSON.stringify(topic.displayName ?? '')}\n`);
        else process.stdout.write(`Topic ${topic.name} already exists (${topic.arn}); nothing changed\n`);
      }),
    );

  topics
    .command('delete')
    .description('delete a topic and all its subscriptions')
    .argument('<name>', 'topic name or ARN')
    .action(
      action(async (name: string) => {
        const target = await resolveServer(connection());
        await apiRequest(target, 'DELETE', topicPath(name));
        process.stdout.write(`Deleted topic ${name} and its subscriptions\n`);
      }),
    );

  registerSubscriptionCommands(program, connection);
}

/** `sluice subscriptions`: SNS Subscribe, ListSubscriptions(ByTopic), ConfirmSubscription, Unsubscribe. */
function registerSubscriptionCommands(program: Command, connection: () => ConnectionOptions): void {
  const subscriptions = program
    .command('subscriptions')
    .description('subscriptions to notification topics: list, show, create, confirm, resend, delete');

  subscriptions
    .command('list', { isDefault: true })
    .description('list subscriptions, oldest first')
    .option('--topic <name>', 'only the subscriptions of this topic')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (flags: { topic?: string; json: boolean }) => {
        const target = await resolveServer(connection());
        const query = flags.topic !== undefined ? `?${new URLSearchParams({ topic: flags.topic }).toString()}` : '';
        const { subscriptions: list } = await apiRequest<{ subscriptions: Subscription[] }>(target, 'GET', `/api/v1/subscriptions${query}`);
        if (flags.json) return printJson(list);
        printTable(
          ['ID', 'TOPIC', 'PROTOCOL', 'ENDPOINT', 'STATUS', 'CREATED'],
          list.map((s) => [s.id, s.topicName, s.protocol, s.endpoint, s.status, s.createdAt]),
        );
      }),
    );

  subscriptions
    .command('show')
    .description('show a subscription and its most recent deliveries')
    .argument('<id>', 'subscription id or ARN')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (id: string, flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const sub = await apiRequest<Subscription>(target, 'GET', subscriptionPath(id));
        const { deliveries } = await apiRequest<{ deliveries: DeliveryState[] }>(target, 'GET', `${subscriptionPath(sub.id)}/deliveries?limit=10`);
        if (flags.json) return printJson({ ...sub, deliveries });
        process.stdout.write(`${subscriptionLines(sub).join('\n')}\n`);
        if (deliveries.length === 0) {
          process.stdout.write('Deliveries:       -\n');
          return;
        }
        process.stdout.write('Deliveries (newest first):\n');
        printTable(
          ['MESSAGE', 'STATUS', 'ATTEMPTS', 'PUBLISHED', 'ERROR'],
          deliveries.map((d) => [d.messageId, d.status, String(d.attempts), d.publishedAt, d.lastError ?? '']),
        );
      }),
    );

  subscriptions
    .command('create')
    .description('subscribe an endpoint to a topic; email and other confirming protocols are sent a confirmation message first')
    .argument('<topic>', 'topic name or ARN')
    .requiredOption('--protocol <protocol>', 'delivery protocol, e.g. email')
    .requiredOption('--endpoint <endpoint>', 'where to deliver: an email address, a URL, ... as the protocol wants')
    .option('--filter-policy <json|@file>', 'SNS filter policy: deliver only the messages it matches')
    .addOption(new Option('--filter-policy-scope <scope>', 'what the filter policy looks at').choices(['MessageAttributes', 'MessageBody']))
    .option('--raw', 'raw message delivery: the message as published, without the JSON envelope (http/https and the like)')
    .option('--delivery-policy <json|@file>', 'SNS delivery policy: how failed deliveries are retried, e.g. {"healthyRetryPolicy":{"numRetries":5}}')
    .option('--json', 'print as JSON', false)
    .action(
      action(
        async (
          topic: string,
          flags: { protocol: string; endpoint: string; filterPolicy?: string; filterPolicyScope?: string; raw?: boolean; deliveryPolicy?: string; json: boolean },
        ) => {
          const filterPolicy = flags.filterPolicy !== undefined ? await readJsonObjectOption('--filter-policy', flags.filterPolicy) : undefined;
          const deliveryPolicy = flags.deliveryPolicy !== undefined ? await readJsonObjectOption('--delivery-policy', flags.deliveryPolicy) : undefined;
          const target = await resolveServer(connection());
          const existing = await apiRequest<{ subscriptions: Subscription[] }>(target, 'GET', `${topicPath(topic)}/subscriptions`)
            .then((r) => new Set(r.subscriptions.map((s) => s.id)))
            .catch(() => new Set<string>());
          const sub = await apiRequest<Subscription>(target, 'POST', `${topicPath(topic)}/subscriptions`, {
            protocol: flags.protocol,
            endpoint: flags.endpoint,
            ...(filterPolicy !== undefined ? { filterPolicy } : {}),
            ...(flags.filterPolicyScope !== undefined ? { filterPolicyScope: flags.filterPolicyScope } : {}),
            ...(flags.raw ? { rawMessageDelivery: true } : {}),
            ...(deliveryPolicy !== undefined ? { deliveryPolicy } : {}),
          });
          if (flags.json) return printJson(sub);
          const what = `${sub.protocol} ${sub.endpoint} to topic ${sub.topicName}`;
          if (existing.has(sub.id)) {
            process.stdout.write(`Already subscribed: ${what} is subscription ${sub.id} (${sub.status})\n`);
            if (sub.status === 'pending') process.stdout.write(`"sluice subscriptions resend ${sub.id}" sends the confirmation again\n`);
          } else if (sub.status === 'pending') {
            process.stdout.write(`Subscribed ${what}: subscription ${sub.id} is pending confirmation\n`);
            process.stdout.write(
              `A confirmation message was sent to ${sub.endpoint}; open its link, or run "sluice subscriptions confirm LINK_OR_TOKEN"\n`,
            );
          } else {
            process.stdout.write(`Subscribed ${what}: subscription ${sub.id} is ${sub.status}\n`);
          }
        },
      ),
    );

  subscriptions
    .command('confirm')
    .description('confirm a subscription with the link (or its token) from the confirmation message (SNS ConfirmSubscription)')
    .argument('<token-or-url>', 'the confirmation link, or the token at its end')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (token: string, flags: { json: boolean }) => {
        const target = await resolveServer(connection());
        const sub = await apiRequest<Subscription>(target, 'POST', '/api/v1/subscriptions/confirm', { token });
        if (flags.json) return printJson(sub);
        process.stdout.write(`Confirmed subscription ${sub.id}: ${sub.protocol} ${sub.endpoint} to topic ${sub.topicName}\n`);
      }),
    );

  subscriptions
    .command('resend')
    .description('send a pending subscription a fresh confirmation message (earlier links keep working until they expire)')
    .argument('<id>', 'subscription id or ARN')
    .action(
      action(async (id: string) => {
        const target = await resolveServer(connection());
        const sub = await apiRequest<Subscription>(target, 'POST', `${subscriptionPath(id)}/resend-confirmation`);
        process.stdout.write(`Sent a new confirmation message to ${sub.endpoint} (subscription ${sub.id})\n`);
      }),
    );

  subscriptions
    .command('delete')
    .description('delete a subscription (SNS Unsubscribe)')
    .argument('<id>', 'subscription id or ARN')
    .action(
      action(async (id: string) => {
        const target = await resolveServer(connection());
        await apiRequest(target, 'DELETE', subscriptionPath(id));
        process.stdout.write(`Deleted subscription ${id}\n`);
      }),
    );
}

