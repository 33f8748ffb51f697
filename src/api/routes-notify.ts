import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { SluiceError } from '../core/index.js';
import { renderConfirmedPage, renderTokenErrorPage, renderUnsubscribedPage } from '../notify/index.js';
import type { ApiDeps } from './deps.js';

const tokenParams = z.object({ token: z.string().min(1).max(200) });
const publishBody = z.object({ message: z.string(), subject: z.string().max(100).optional() }).strict();

/** The links in emails (no token: the link itself is the secret) and the topics API. */
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
      throw error;
    }
  };
  app.get('/notify/confirm/:token', async (request, reply) => {
    const { token } = tokenParams.parse(request.params);
    return page(reply, async () => renderConfirmedPage(await deps.notify.confirm(token)));
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
    return deps.notify.publish({ topic: name, message: body.message, ...(body.subject ? { subject: body.subject } : {}) });
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
