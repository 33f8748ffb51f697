import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '../core/index.js';
import { renderConfirmedPage, renderTokenErrorPage, renderUnsubscribedPage } from './pages.js';
import type { Subscription } from './types.js';

const HOSTILE: Subscription = {
  id: 'id-1',
  arn: 'arn:sluice:sns:local:000000000000:alerts:id-1',
  topicName: '<script>alert(1)</script>',
  protocol: 'email',
  endpoint: `o'neil+"x"@example.com`,
  status: 'confirmed',
  createdAt: '2020-08-27T13:47:52.677Z',
};

test('pages: user data is escaped', () => {
  for (const html of [renderConfirmedPage(HOSTILE), renderUnsubscribedPage(HOSTILE)]) {
    assert.ok(html.startsWith('<!doctype html>'));
    assert.ok(!html.includes('<script>'));
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(html.includes('o&#39;neil+&quot;x&quot;@example.com'));
  }
  assert.ok(renderConfirmedPage(HOSTILE).includes(HOSTILE.arn));
});

test('pages: token errors show their message; other errors show nothing internal', () => {
  const tokenPage = renderTokenErrorPage(new SluiceError('SLUICE_ERR_TOKEN_INVALID', 'this confirmation link is <expired>'));
  assert.match(tokenPage, /This link is not valid/);
  assert.ok(tokenPage.includes('this confirmation link is &lt;expired&gt;'));

  const internal = renderTokenErrorPage(new Error('ECONNREFUSED 10.0.0.5:5432 password=hunter2'));
  assert.match(internal, /Something went wrong/);
  assert.ok(!internal.includes('hunter2'));
});
