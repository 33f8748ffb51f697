import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { SluiceError } from '../core/index.js';
import {
  SIGNING_CERT_PATH, renderConfirmedPage, renderTokenErrorPage, renderUnsubscribeProtectedPage, renderUnsubscribedPage,
  type PublishMessageAttributes,
} from '../notify/index.js';
import type { ApiDeps } from './deps.js';

const tokenParams = z.object({ token: z.string().min(1).max(200) });
// SNS's ConfirmSubscription parameter; other query parameters (a mail scanner's, a tracker's) are ignored.
const confirmQuery = z.object({
  authenticateOnUnsubscribe: z.enum(['true', 'false'], { error: 'authenticateOnUnsubscribe must be true or false' }).optional(),
});
// messageAttributes are SNS Publish's `{ Name: { DataType, StringValue | BinaryValue } }`, checked by the service (SNS's rules, named fields).
const publishBody = z.object({
  message: z.string(),
  subject: z.string().max(100).optional(),
  messageAttributes: z.record(z.string(), z.unknown()).optional(),
  messageStructure: z.literal('json', { error: 'messageStructure must be "json" (or left out)' }).optional(),
}).strict();

/**
 * The links in notifications (no token: the link itself is the secret), the
 * signing certificate of SNS envelopes, and the topics API.
 */
export async function notifyRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const page = async (reply: FastifyReply, run: () => Promise<string>) => {
    reply.type('text/html; charset=utf-8');
    try {
      return await run();
    } catch (error) {
      if (error instanceof SluiceError && error.code === 'SLUICE_ERR_TOKEN_INVALID') {
        reply.status(404);
        return renderTokenErrorPage(error);
      }
      if (error instanceof SluiceError && error.code === 'SLUICE_ERR_FORBIDDEN' && error.details?.reason === 'authenticate-on-unsubscribe') {
        reply.status(403);
        return renderUnsubscribeProtectedPage(error.message);
      }
      throw error;
    }
  };
  app.get('/notify/confirm/:token', async (request, reply) => {
    const { token } = tokenParams.parse(request.params);
    const query = confirmQuery.safeParse(request.query);
    const authenticateOnUnsubscribe = query.success && query.data.authenticateOnUnsubscribe === 'true';
    return page(reply, async () => renderConfirmedPage(await deps.notify.confirm(token, authenticateOnUnsubscribe ? { authenticateOnUnsubscribe } : {})));
  });
  // SNS's SigningCertURL: receivers fetch it to check the envelopes' signatures. Public, as SNS's is.
  app.get(SIGNING_CERT_PATH, async (_request, reply) => {
    const pem = deps.notifySigner?.certificatePem;
    if (pem === undefined) throw new SluiceError('SLUICE_ERR_NOT_FOUND', 'this server signs no notifications (no notification signer)');
    reply.type('application/x-pem-file').header('cache-control', 'public, max-age=86400');
    return pem;
  });
  app.get('/notify/unsubscribe/:token', async (request, reply) => {
    const { token } = tokenParams.parse(request.params);
    return page(reply, async () => renderUnsubscribedPage(await deps.notify.unsubscribe(token)));
  });

  app.get('/api/v1/topics', async () => ({ topics: await deps.notify.listTopics() }));
  app.get('/api/v1/topics/:name/subscriptions', async (request) => {
    const { name } = z.object({ name: z.string() }).parse(request.params);
    return { subscriptions: await deps.notify.listSubscriptions(name) };
  });
  app.post('/api/v1/topics/:name/publish', async (request) => {
    const { name } = z.object({ name: z.string() }).parse(request.params);
    const body = publishBody.parse(request.body);
    return deps.notify.publish({
      topic: name,
      message: body.message,
      ...(body.subject ? { subject: body.subject } : {}),
      ...(body.messageAttributes !== undefined ? { messageAttributes: body.messageAttributes as PublishMessageAttributes } : {}),
      ...(body.messageStructure !== undefined ? { messageStructure: body.messageStructure } : {}),
    });
  });

  // Delivery status: derived from the delivery records and the outbox (the action queue).
  app.get('/api/v1/notifications/messages/:messageId', async (request) => {
    const { messageId } = z.object({ messageId: z.string().min(1).max(200) }).parse(request.params);
    return deps.notify.messageStatus(messageId);
  });
  app.get('/api/v1/subscriptions/:id/deliveries', async (request) => {
    const { id } = z.object({ id: z.string().min(1).max(400) }).parse(request.params);
    const { limit } = z.object({ limit: z.coerce.number().int().min(1).max(1_000).default(20) }).strict().parse(request.query);
    return { deliveries: await deps.notify.subscriptionDeliveries(id, limit) };
  });

  app.get('/api/v1/mailbox', async () => {
    if (!deps.mailbox) throw new SluiceError('SLUICE_ERR_NOT_FOUND', 'the dev mailbox is off because mail goes out through --smtp');
    return { messages: await deps.mailbox.list() };
  });
  app.get('/api/v1/mailbox/:id', async (request) => {
    const { id } = z.object({ id: z.string() }).parse(request.params);
    const message = await deps.mailbox?.get(id);
    if (!message) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no message '${id}' in the dev mailbox`);
    return message;
  });
}
