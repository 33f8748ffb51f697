/**
 * The console's notifications page with the dev mailbox (no --smtp): the
 * subscription waits for confirmation, the confirmation mail is shown rendered
 * (its HTML in a sandboxed frame) with its confirm link, and following that
 * link confirms the subscription, as the subscriber's click would.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromiumSkipReason, screenshot } from './support/browser.js';
import { ALERT_SUBSCRIBER, ConsoleStack } from './support/console-stack.js';

/** Generous bounds for a loaded CI machine; nothing here is a timing assertion. */
const UI_TIMEOUT_MS = 30_000;

describe('console: notifications and the dev mailbox', { skip: chromiumSkipReason() }, () => {
  let stack: ConsoleStack;

  before(async () => {
    stack = await ConsoleStack.start({ devMailbox: true });
  });

  after(async () => {
    await stack?.stop();
  });

  test('the confirmation mail is shown rendered with its confirm link; following it confirms the subscription', async () => {
    const page = await stack.signedInPage();
    await page.goto(`${stack.url}/#/notifications`);
    const subscriptions = page.getByRole('table', { name: 'Subscriptions of humidity-alerts' });
    await subscriptions.getByRole('cell', { name: ALERT_SUBSCRIBER }).waitFor({ timeout: UI_TIMEOUT_MS });
    await subscriptions.getByText('pending confirmation', { exact: true }).waitFor();

    const mails = page.getByRole('table', { name: 'Mails' });
    await mails.getByRole('link', { name: /Subscription Confirmation/ }).click();
    const frame = page.getByTitle(/^Rendered mail: .*Subscription Confirmation/);
    await frame.waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await frame.getAttribute('sandbox'), '', 'the mail HTML runs without scripts or the console origin');
    await page.frameLocator('iframe[title^="Rendered mail"]').getByText(/To confirm this subscription/).waitFor();

    const confirm = page.getByRole('link', { name: 'Confirm subscription link' });
    const link = await confirm.getAttribute('href');
    assert.ok(link?.startsWith(`${stack.url}/notify/confirm/`), `confirm link ${link} points at the server`);
    console.log(`screenshot: ${await screenshot(page, 'mailbox-confirmation')}`);

    const [confirmedPage] = await Promise.all([page.context().waitForEvent('page'), confirm.click()]);
    await confirmedPage.waitForLoadState();
    assert.match((await confirmedPage.textContent('body')) ?? '', /confirm/i);
    await confirmedPage.close();
    await subscriptions.getByText('confirmed', { exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
    const listed = await stack.api<{ subscriptions: Array<{ endpoint: string; status: string }> }>('/api/v1/topics/humidity-alerts/subscriptions');
    assert.deepEqual(
      listed.subscriptions.map((s) => [s.endpoint, s.status]),
      [[ALERT_SUBSCRIBER, 'confirmed']],
    );
    console.log(`screenshot: ${await screenshot(page, 'notifications-confirmed')}`);
    stack.assertNoPageErrors();
  });
});
