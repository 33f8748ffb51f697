import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SluiceError } from '../core/index.js';
import { renderTokenErrorPage, renderUnsubscribeProtectedPage, renderUnsubscribedPage, type Subscription } from '../notify/index.js';
import type { ApiDeps } from './deps.js';

const tokenParams = z.object({ token: z.string().min(1).max(200) });

/**
 * RFC 8058 one-click unsubscribe: a notification mail carries
 * `List-Unsubscribe: <.../notify/unsubscribe/TOKEN>` and
 * `List-Unsubscribe-Post: List-Unsubscribe=One-Click`, and the mail client's
 * "unsubscribe" button POSTs `List-Unsubscribe=One-Click` to that URL (as
 * `multipart/form-data` or `application/x-www-form-urlencoded`). The POST
 * unsubscribes at once, with no page to click through. Like the GET link it
 * needs no API token (only `/api/` does; see `auth.ts`): the unguessable
 * token in the path is the authority.
 *
 * Answers 200 with a short confirmation (HTML to a browser, else plain text),
 * and 404 for an unknown or already used token, so a client does not retry.
 */
export async function unsubscribeRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  // This plugin's own context: the body is read (at most 4 KiB) whatever its type, and not used.
  // The token decides, and a client that sends another body or none still gets what it asked for.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, _body, done) => done(null, undefined));

  app.post('/notify/unsubscribe/:token', { bodyLimit: 4096 }, async (request, reply) => {
    const { token } = tokenParams.parse(request.params);
    reply.header('cache-control', 'no-store');
    const html = wantsHtml(request);
    try {
      const subscription = await deps.notify.unsubscribe(token);
      return answer(reply, html, renderUnsubscribedPage(subscription), unsubscribedText(subscription));
    } catch (error) {
      if (error instanceof SluiceError && error.code === 'SLUICE_ERR_TOKEN_INVALID') {
        reply.status(404);
        return answer(reply, html, renderTokenErrorPage(error), `This unsubscribe link is not valid: ${error.message}\n`);
      }
      // Confirmed with AuthenticateOnUnsubscribe: the link alone does not unsubscribe (as the GET link).
      if (error instanceof SluiceError && error.code === 'SLUICE_ERR_FORBIDDEN' && error.details?.reason === 'authenticate-on-unsubscribe') {
        reply.status(403);
        return answer(reply, html, renderUnsubscribeProtectedPage(error.message), `${error.message}\n`);
      }
      throw error;
    }
  });
}

function unsubscribedText(sub: Subscription): string {
  return `Unsubscribed: ${sub.endpoint} will no longer receive notifications from the topic ${sub.topicName}.\n`;
}

function answer(reply: FastifyReply, html: boolean, page: string, text: string): string {
  reply.type(html ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8');
  return html ? page : text;
}

/** A browser (a form posted by a person) gets a page; a mail client's one-click request gets text. */
function wantsHtml(request: FastifyRequest): boolean {
  return /\btext\/html\b/i.test(request.headers.accept ?? '');
}
