import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { SluiceError } from '../core/index.js';
import { apiRequest, resolveServer, type ConnectionOptions } from './client.js';
import { action, printJson, printTable } from './output.js';

interface Dedupe {
  key: string;
  window: string;
  digest?: boolean;
}

interface Topic {
  name: string;
  arn: string;
  displayName?: string;
  dedupe?: Dedupe;
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
  hmacSecretSet?: boolean;
  authenticateOnUnsubscribe?: boolean;
  dedupe?: Dedupe;
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

const dedupeText = (dedupe: Dedupe | undefined): string =>
  dedupe === undefined ? '-' : `key ${dedupe.key}, window ${dedupe.window}${dedupe.digest ? ', with digest' : ''}`;

interface DedupeFlags {
  dedupeKey?: string;
  dedupeWindow?: string;
  digest?: boolean;
  /** commander's `--no-dedupe`: false when given. */
  dedupe?: boolean;
}

/** The options that set a de-duplication window, shared by `topics create`, `subscriptions create` and `subscriptions update`. */
function addDedupeOptions(command: Command, what: string): Command {
  return command
    .option('--dedupe-key <template>', `alert hygiene: hold back ${what} whose key repeats within the window, e.g. '\${regex:device name (\\S+)}'`)
    .option('--dedupe-window <duration>', 'the de-duplication window: 30s, 15m, 1h ... (1s to 7d); needs --dedupe-key')
    .option('--digest', 'send one summary of the held-back messages when a window ends; needs --dedupe-key')
    .option('--no-dedupe', 'remove the de-duplication window');
}

/** The `dedupe` field for the API from the flags: an object, `null` to clear it, or undefined to leave it. */
function dedupeFromFlags(flags: DedupeFlags): Dedupe | null | undefined {
  const setting = flags.dedupeKey !== undefined || flags.dedupeWindow !== undefined || flags.digest === true;
  if (flags.dedupe === false) {
    if (setting) throw invalid('--no-dedupe cannot be combined with --dedupe-key, --dedupe-window or --digest');
    return null;
  }
  if (!setting) return undefined;
  if (flags.dedupeKey === undefined || flags.dedupeWindow === undefined) {
    throw invalid(`${flags.dedupeKey === undefined ? '--dedupe-key' : '--dedupe-window'} is missing: a de-duplication window needs both --dedupe-key and --dedupe-window`);
  }
  return { key: flags.dedupeKey, window: flags.dedupeWindow, ...(flags.digest === true ? { digest: true } : {}) };
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
    `HMAC signature:   ${sub.hmacSecretSet === true ? 'yes (X-Sluice-Signature)' : '-'}`,
    `Unsubscribe auth: ${sub.authenticateOnUnsubscribe === true ? 'required (AuthenticateOnUnsubscribe): the links in notifications do not unsubscribe' : '-'}`,
    `Dedupe:           ${dedupeText(sub.dedupe)}`,
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
            `Dedupe:         ${dedupeText(topic.dedupe)}`,
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

  const create = topics
    .command('create')
    .description('create a topic (idempotent: an existing one is kept; --display-name and the dedupe options change it)')
    .argument('<name>', 'topic name: 1-256 of A-Z a-z 0-9 _ -')
    .option('--display-name <text>', 'display name, also the default subject of its email notifications (at most 100 characters)');
  addDedupeOptions(create, 'messages')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (name: string, flags: DedupeFlags & { displayName?: string; json: boolean }) => {
        const dedupe = dedupeFromFlags(flags);
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
          ...(dedupe !== undefined ? { dedupe } : {}),
        });
        if (flags.json) return printJson(topic);
        if (!before) {
          process.stdout.write(`Created topic ${topic.name} (${topic.arn})${topic.dedupe ? `; dedupe: ${dedupeText(topic.dedupe)}` : ''}\n`);
          return;
        }
        const changes = [
          ...(before.displayName !== topic.displayName ? [`display name ${JSON.stringify(topic.displayName ?? '')}`] : []),
          ...(JSON.stringify(before.dedupe) !== JSON.stringify(topic.dedupe) ? [`dedupe ${dedupeText(topic.dedupe)}`] : []),
        ];
        if (changes.length > 0) process.stdout.write(`Updated topic ${topic.name}: ${changes.join('; ')}\n`);
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

  const subscribe = subscriptions
    .command('create')
    .description('subscribe an endpoint to a topic; email and other confirming protocols are sent a confirmation message first')
    .argument('<topic>', 'topic name or ARN')
    .requiredOption('--protocol <protocol>', 'delivery protocol, e.g. email')
    .requiredOption('--endpoint <endpoint>', 'where to deliver: an email address, a URL, ... as the protocol wants')
    .option('--filter-policy <json|@file>', 'SNS filter policy: deliver only the messages it matches')
    .addOption(new Option('--filter-policy-scope <scope>', 'what the filter policy looks at').choices(['MessageAttributes', 'MessageBody']))
    .option('--raw', 'raw message delivery: the message as published, without the JSON envelope (http/https and the like)')
    .option('--delivery-policy <json|@file>', 'SNS delivery policy: how failed deliveries are retried, e.g. {"healthyRetryPolicy":{"numRetries":5}}')
    .option('--hmac-secret <secret>', 'http/https: sign every POST with HMAC-SHA256 of this secret (16 to 1024 characters) in X-Sluice-Signature');
  addDedupeOptions(subscribe, 'deliveries')
    .option('--json', 'print as JSON', false)
    .action(
      action(
        async (
          topic: string,
          flags: DedupeFlags & {
            protocol: string; endpoint: string; filterPolicy?: string; filterPolicyScope?: string; raw?: boolean; deliveryPolicy?: string; hmacSecret?: string; json: boolean;
          },
        ) => {
          const filterPolicy = flags.filterPolicy !== undefined ? await readJsonObjectOption('--filter-policy', flags.filterPolicy) : undefined;
          const deliveryPolicy = flags.deliveryPolicy !== undefined ? await readJsonObjectOption('--delivery-policy', flags.deliveryPolicy) : undefined;
          const dedupe = dedupeFromFlags(flags);
          if (dedupe === null) throw invalid('--no-dedupe: a new subscription has no window to remove; use it with "sluice subscriptions update"');
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
            ...(flags.hmacSecret !== undefined ? { hmacSecret: flags.hmacSecret } : {}),
            ...(dedupe ? { dedupe } : {}),
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
    .option('--authenticate-on-unsubscribe', 'SNS AuthenticateOnUnsubscribe: afterwards only an authenticated call (not the link in each notification) can unsubscribe it')
    .option('--json', 'print as JSON', false)
    .action(
      action(async (token: string, flags: { authenticateOnUnsubscribe?: boolean; json: boolean }) => {
        const target = await resolveServer(connection());
        const sub = await apiRequest<Subscription>(target, 'POST', '/api/v1/subscriptions/confirm', {
          token,
          ...(flags.authenticateOnUnsubscribe === true ? { authenticateOnUnsubscribe: true } : {}),
        });
        if (flags.json) return printJson(sub);
        process.stdout.write(`Confirmed subscription ${sub.id}: ${sub.protocol} ${sub.endpoint} to topic ${sub.topicName}\n`);
        if (sub.authenticateOnUnsubscribe === true) process.stdout.write('Only an authenticated call can unsubscribe it: "sluice subscriptions delete ID"\n');
      }),
    );

  const update = subscriptions
    .command('update')
    .description('change a subscription\'s attributes (SNS SetSubscriptionAttributes); what is not given stays')
    .argument('<id>', 'subscription id or ARN')
    .option('--filter-policy <json|@file>', 'a new filter policy')
    .option('--no-filter-policy', 'remove the filter policy: deliver every message')
    .addOption(new Option('--filter-policy-scope <scope>', 'what the filter policy looks at').choices(['MessageAttributes', 'MessageBody']))
    .addOption(new Option('--raw <on>', 'raw message delivery on or off').choices(['true', 'false']))
    .option('--delivery-policy <json|@file>', 'a new delivery policy')
    .option('--no-delivery-policy', 'remove the delivery policy: the protocol\'s default retries')
    .option('--hmac-secret <secret>', 'a new HMAC secret for X-Sluice-Signature (16 to 1024 characters)')
    .option('--no-hmac-secret', 'stop signing with an HMAC');
  addDedupeOptions(update, 'deliveries')
    .option('--json', 'print as JSON', false)
    .action(
      action(
        async (
          id: string,
          flags: DedupeFlags & {
            filterPolicy?: string | false; filterPolicyScope?: string; raw?: string; deliveryPolicy?: string | false; hmacSecret?: string | false; json: boolean;
          },
        ) => {
          const change: Record<string, unknown> = {};
          if (flags.filterPolicy === false) change['filterPolicy'] = null;
          else if (typeof flags.filterPolicy === 'string') change['filterPolicy'] = await readJsonObjectOption('--filter-policy', flags.filterPolicy);
          if (flags.filterPolicyScope !== undefined) change['filterPolicyScope'] = flags.filterPolicyScope;
          if (flags.raw !== undefined) change['rawMessageDelivery'] = flags.raw === 'true';
          if (flags.deliveryPolicy === false) change['deliveryPolicy'] = null;
          else if (typeof flags.deliveryPolicy === 'string') change['deliveryPolicy'] = await readJsonObjectOption('--delivery-policy', flags.deliveryPolicy);
          if (flags.hmacSecret === false) change['hmacSecret'] = null;
          else if (typeof flags.hmacSecret === 'string') change['hmacSecret'] = flags.hmacSecret;
          const dedupe = dedupeFromFlags(flags);
          if (dedupe !== undefined) change['dedupe'] = dedupe;
          if (Object.keys(change).length === 0) throw invalid('nothing to change: give at least one option (see "sluice subscriptions update --help")');
          const target = await resolveServer(connection());
          const sub = await apiRequest<Subscription>(target, 'PATCH', subscriptionPath(id), change);
          if (flags.json) return printJson(sub);
          process.stdout.write(`Updated subscription ${sub.id}\n${subscriptionLines(sub).join('\n')}\n`);
        },
      ),
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

