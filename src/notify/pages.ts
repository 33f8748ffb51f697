import { isSluiceError } from '../core/index.js';
import { escapeHtml } from './html.js';
import type { Subscription } from './types.js';

/**
 * The pages a subscriber sees after following a link from a mail. The HTTP
 * routes (`/notify/confirm/:token`, `/notify/unsubscribe/:token`) live in
 * `api/`; these return complete HTML documents with every piece of user data
 * escaped, and load nothing from elsewhere.
 */
export function renderConfirmedPage(sub: Subscription): string {
  return page('Subscription confirmed', [
    '<h1>Subscription confirmed!</h1>',
    `<p>You have successfully subscribed <b>${escapeHtml(sub.endpoint)}</b> to the topic <b>${escapeHtml(sub.topicName)}</b>.</p>`,
    `<p>Your subscription's id is:<br><code>${escapeHtml(sub.arn)}</code></p>`,
    '<p>Every notification carries a link to unsubscribe.</p>',
  ]);
}

export function renderUnsubscribedPage(sub: Subscription): string {
  return page('Unsubscribed', [
    '<h1>Subscription removed</h1>',
    `<p><b>${escapeHtml(sub.endpoint)}</b> will no longer receive notifications from the topic <b>${escapeHtml(sub.topicName)}</b>.</p>`,
  ]);
}

/**
 * For a failed confirm or unsubscribe. A SluiceError's message is meant for
 * users and is shown; anything else is an internal error whose text could leak
 * details, so only a generic line is shown.
 */
export function renderTokenErrorPage(err: unknown): string {
  const tokenError = isSluiceError(err) && err.code === 'SLUICE_ERR_TOKEN_INVALID';
  const detail = isSluiceError(err) ? err.message : 'Something went wrong on our side. Please try again later.';
  return page(tokenError ? 'Link not valid' : 'Error', [
    `<h1>${tokenError ? 'This link is not valid' : 'Something went wrong'}</h1>`,
    `<p>${escapeHtml(detail)}</p>`,
    tokenError ? '<p>Links in confirmation mails work for three days; a subscription that was removed cannot be removed again.</p>' : '',
  ]);
}

/**
 * The page an unsubscribe link shows for a subscription confirmed with
 * AuthenticateOnUnsubscribe: the link does not remove it (SLUICE_ERR_FORBIDDEN
 * from `unsubscribe`).
 */
export function renderUnsubscribeProtectedPage(detail: string): string {
  return page('Unsubscribing needs authentication', [
    '<h1>This link cannot unsubscribe you</h1>',
    `<p>${escapeHtml(detail)}</p>`,
    '<p>The subscription was confirmed with <code>AuthenticateOnUnsubscribe</code>: only the owner of the topic can remove it. Please ask them.</p>',
  ]);
}

function page(title: string, body: string[]): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nobody should index or embed these one-off pages.
    '<meta name="robots" content="noindex">',
    `<title>${escapeHtml(title)} - Sluice</title>`,
    '<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}code{word-break:break-all}</style>',
    '</head>',
    '<body>',
    ...body.filter((line) => line !== ''),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
