import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SluiceError } from '../core/index.js';
import type { CreateTopicOptions, SubscribeInput, SubscriptionAttributesInput, Topic } from '../notify/index.js';
import type { ApiDeps } from './deps.js';

const topicParams = z.object({ name: z.string().min(1).max(512) });
const subscriptionParams = z.object({ id: z.string().min(1).max(512) });

/** SNS CreateTopic: `name`, and the `DisplayName` attribute as `displayName`. The service validates both. */
const createTopicBody = z
  .object({
    name: z.string({ message: 'required: the topic name' }),
    displayName: z.string().optional(),
    // Alert hygiene: `{ key, window, digest? }`, or null to clear it. The service checks it (naming `dedupe.<field>`).
    dedupe: z.unknown().optional(),
  })
  .strict();

/** A policy is a JSON object, or its JSON text (as SNS's attribute values are strings). */
const policy = z.union([z.record(z.string(), z.unknown()), z.string()], { message: 'expected a JSON object or its JSON text' });

/**
 * SNS Subscribe: the protocol and endpoint, and the subscription attributes
 * Sluice applies. The protocol is not checked here: the service knows which
 * it supports and answers SLUICE_ERR_SUBSCRIPTION_INVALID naming the field.
 */
const subscribeBody = z
  .object({
    protocol: z.string({ message: 'required: a delivery protocol such as email' }).min(1, 'required: a delivery protocol such as email'),
    endpoint: z.string({ message: 'required: where to deliver, e.g. an email address' }).min(1, 'required: where to deliver, e.g. an email address'),
    deliveryPolicy: policy.optional(),
    filterPolicy: policy.optional(),
    filterPolicyScope: z.enum(['MessageAttributes', 'MessageBody']).optional(),
    // SNS attribute values are strings: "true" and "false" are taken too.
    rawMessageDelivery: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).optional(),
    // http/https: the HMAC-SHA256 key for X-Sluice-Signature (16 to 1024 characters, checked by the service). Never shown again.
    hmacSecret: z.string().optional(),
    // Alert hygiene: `{ key, window, digest? }`; checked by the service (SLUICE_ERR_SUBSCRIPTION_INVALID naming `dedupe.<field>`).
    dedupe: z.unknown().optional(),
  })
  .strict();

/** SNS SetSubscriptionAttributes, several at once: a value replaces, `null` clears, a field left out stays. */
const subscriptionAttributesBody = z
  .object({
    deliveryPolicy: policy.nullable().optional(),
    filterPolicy: policy.nullable().optional(),
    filterPolicyScope: z.enum(['MessageAttributes', 'MessageBody']).nullable().optional(),
    rawMessageDelivery: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).nullable().optional(),
    hmacSecret: z.string().nullable().optional(),
    dedupe: z.unknown().optional(),
  })
  .strict()
  .refine((body) => Object.values(body).some((v) => v !== undefined), {
    message: 'nothing to change: give at least one of deliveryPolicy, filterPolicy, filterPolicyScope, rawMessageDelivery, hmacSecret, dedupe',
  });

const listSubscriptionsQuery = z.object({ topic: z.string().min(1).max(512).optional() }).strict();

/** SNS ConfirmSubscription: the token from the confirmation message, or the whole confirmation link. */
const confirmBody = z
  .object({
    token: z.string({ message: 'required: the token or link from the confirmation message' }).trim().min(1, 'required: the token or link from the confirmation message').max(4096),
    // SNS's AuthenticateOnUnsubscribe ("true" as SNS's string form too): from then on only an authenticated call unsubscribes.
    authenticateOnUnsubscribe: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).optional(),
  })
  .strict();

/**
 * The token in what a subscriber was sent: a bare token, a Sluice link
 * (`<publicUrl>/notify/confirm/<token>`: its last path segment), or an
 * SNS-style SubscribeURL (`...?Action=ConfirmSubscription&Token=<token>`).
 */
export function confirmationToken(tokenOrUrl: string): string {
  const text = tokenOrUrl.trim();
  if (!text.includes('/')) return text;
  let url: URL;
  try {
    url = new URL(text, 'http://sluice.invalid');
  } catch {
    throw invalidToken(text);
  }
  const fromQuery = url.searchParams.get('Token') ?? url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  const last = url.pathname.split('/').filter((segment) => segment !== '').at(-1);
  if (!last) throw invalidToken(text);
  try {
    return decodeURIComponent(last);
  } catch {
    throw invalidToken(text);
  }
}

function invalidToken(text: string): SluiceError {
  return new SluiceError('SLUICE_ERR_REQUEST_INVALID', `token: ${JSON.stringify(text)} is neither a confirmation token nor a link that ends in one`, {
    place: { field: 'token' },
  });
}

/** A topic with SNS GetTopicAttributes' subscription counts. */
interface TopicView extends Topic {
  subscriptionsConfirmed: number;
  subscriptionsPending: number;
}

/**
 * Managing topics and subscriptions (SNS CreateTopic, DeleteTopic,
 * GetTopicAttributes, Subscribe, ListSubscriptions(ByTopic),
 * GetSubscriptionAttributes, Unsubscribe, ConfirmSubscription). Listing topics,
 * a topic's subscriptions and publishing are in `routes-notify.ts`. Mutations
 * need an admin token (`auth.ts`: a read-only token may only GET).
 */
export async function topicRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { notify } = deps;

  const topicView = async (topic: Topic): Promise<TopicView> => {
    const subscriptions = await notify.listSubscriptions(topic.name);
    const confirmed = subscriptions.filter((s) => s.status === 'confirmed').length;
    return { ...topic, subscriptionsConfirmed: confirmed, subscriptionsPending: subscriptions.length - confirmed };
  };

  // CreateTopic is idempotent: 201 when made, 200 when it existed (its display name replaced if one is given).
  app.post('/api/v1/topics', async (request, reply) => {
    const body = createTopicBody.parse(request.body ?? {});
    const existed = await topicExists(deps, body.name);
    const topic = await notify.createTopic(body.name, {
      ...(body.displayName !== undefined ? { displayName: body.displayName } : {}),
      ...(body.dedupe !== undefined ? { dedupe: body.dedupe as CreateTopicOptions['dedupe'] } : {}),
    });
    reply.status(existed ? 200 : 201);
    return topic;
  });

  app.get('/api/v1/topics/:name', async (request) => {
    const { name } = topicParams.parse(request.params);
    return topicView(await notify.getTopic(name));
  });

  // Deletes its subscriptions too. SNS's DeleteTopic is silent about an unknown topic; this API says 404.
  app.delete('/api/v1/topics/:name', async (request, reply) => {
    const { name } = topicParams.parse(request.params);
    if (!(await notify.deleteTopic(name))) {
      throw new SluiceError('SLUICE_ERR_TOPIC_NOT_FOUND', `no notification topic named ${JSON.stringify(name)}`, { details: { topic: name } });
    }
    return reply.status(204).send();
  });

  // Subscribe is idempotent on (topic, protocol, endpoint): 201 when made, 200 for the one that exists.
  app.post('/api/v1/topics/:name/subscriptions', async (request, reply) => {
    const { name } = topicParams.parse(request.params);
    const body = subscribeBody.parse(request.body ?? {});
    const before = new Set((await notify.listSubscriptions(name).catch(() => [])).map((s) => s.id));
    const input = {
      protocol: body.protocol as SubscribeInput['protocol'],
      endpoint: body.endpoint,
      ...(body.deliveryPolicy !== undefined ? { deliveryPolicy: body.deliveryPolicy as SubscribeInput['deliveryPolicy'] } : {}),
      ...(body.filterPolicy !== undefined ? { filterPolicy: body.filterPolicy } : {}),
      ...(body.filterPolicyScope !== undefined ? { filterPolicyScope: body.filterPolicyScope } : {}),
      ...(body.rawMessageDelivery !== undefined ? { rawMessageDelivery: body.rawMessageDelivery } : {}),
      ...(body.hmacSecret !== undefined ? { hmacSecret: body.hmacSecret } : {}),
      ...(body.dedupe !== undefined ? { dedupe: body.dedupe as SubscribeInput['dedupe'] } : {}),
    } satisfies SubscribeInput;
    const subscription = await notify.subscribe(name, input);
    reply.status(before.has(subscription.id) ? 200 : 201);
    return subscription;
  });

  app.get('/api/v1/subscriptions', async (request) => {
    const { topic } = listSubscriptionsQuery.parse(request.query ?? {});
    return { subscriptions: await notify.listSubscriptions(topic) };
  });

  // Before `/:id`'s routes, though fastify prefers the static segment anyway.
  app.post('/api/v1/subscriptions/confirm', async (request) => {
    const { token, authenticateOnUnsubscribe } = confirmBody.parse(request.body ?? {});
    return notify.confirm(confirmationToken(token), authenticateOnUnsubscribe === true ? { authenticateOnUnsubscribe: true } : {});
  });

  app.get('/api/v1/subscriptions/:id', async (request) => {
    const { id } = subscriptionParams.parse(request.params);
    return notify.getSubscription(id);
  });

  app.patch('/api/v1/subscriptions/:id', async (request) => {
    const { id } = subscriptionParams.parse(request.params);
    const body = subscriptionAttributesBody.parse(request.body ?? {});
    const change: SubscriptionAttributesInput = {};
    if (body.deliveryPolicy !== undefined) change.deliveryPolicy = body.deliveryPolicy as SubscriptionAttributesInput['deliveryPolicy'];
    if (body.filterPolicy !== undefined) change.filterPolicy = body.filterPolicy;
    if (body.filterPolicyScope !== undefined) change.filterPolicyScope = body.filterPolicyScope;
    if (body.rawMessageDelivery !== undefined) change.rawMessageDelivery = body.rawMessageDelivery;
    if (body.hmacSecret !== undefined) change.hmacSecret = body.hmacSecret;
    if (body.dedupe !== undefined) change.dedupe = body.dedupe as SubscriptionAttributesInput['dedupe'];
    return notify.setSubscriptionAttributes(id, change);
  });

  app.delete('/api/v1/subscriptions/:id', async (request, reply) => {
    const { id } = subscriptionParams.parse(request.params);
    if (!(await notify.unsubscribeById(id))) {
      throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no subscription with id ${JSON.stringify(id)}`, { details: { subscriptionId: id } });
    }
    return reply.status(204).send();
  });

  app.post('/api/v1/subscriptions/:id/resend-confirmation', async (request) => {
    const { id } = subscriptionParams.parse(request.params);
    return notify.resendConfirmation(id);
  });
}

async function topicExists(deps: ApiDeps, name: string): Promise<boolean> {
  try {
    await deps.notify.getTopic(name);
    return true;
  } catch (error) {
    if (error instanceof SluiceError && error.code === 'SLUICE_ERR_TOPIC_NOT_FOUND') return false;
    throw error;
  }
}
