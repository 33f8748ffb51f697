import { escapeHtml } from './html.js';

/**
 * The page the unsubscribe link shows for a subscription confirmed with
 * AuthenticateOnUnsubscribe: the link does not remove it (SLUICE_ERR_FORBIDDEN
 * from `unsubscribe`). Same look as `pages.ts`; self-contained, every piece of
 * data escaped.
 */
export function renderUnsubscribeProtectedPage(detail: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex">',
    '<title>Unsubscribing needs authentication - Sluice</title>',
    '<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}code{word-break:break-all}</style>',
    '</head>',
    '<body>',
    '<h1>This link cannot unsubscribe you</h1>',
    `<p>${escapeHtml(detail)}</p>`,
    '<p>The subscription was confirmed with <code>AuthenticateOnUnsubscribe</code>: only the owner of the topic can remove it. Please ask them.</p>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
