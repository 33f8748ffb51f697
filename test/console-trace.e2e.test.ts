/**
 * The console's message trace, end to end in headless Chromium: a real device
 * (the mqtt package over TLS) sends the reference scenario's low-humidity
 * reading; the operator clicks it in the live client and sees the object the
 * store-all rule wrote, the alert function's invocation, and the email that
 * went out (a real SMTP server receives it). Then the pages around it:
 * functions, notifications, storage, readings.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { chromiumSkipReason, screenshot } from './support/browser.js';
import { ALERT_SUBSCRIBER, ConsoleStack, reading } from './support/console-stack.js';
import { findLink } from './support/smtp.js';

const ALERT_SUBJECT = 'Attention:Humidity Under Threshold';
const TOPIC = 'device/soilSensor2/devicePayload';
/** Generous bounds for a loaded CI machine; nothing here is a timing assertion. */
const UI_TIMEOUT_MS = 30_000;

describe('console: the trace of a low-humidity reading', { skip: chromiumSkipReason() }, () => {
  let stack: ConsoleStack;
  let page: Page;
  let lowReading: string;
  let requestId: string;
  let device: MqttClient;

  before(async () => {
    stack = await ConsoleStack.start();
    // Alerts reach only a confirmed subscription: confirm it through the link in the mail, as the subscriber would.
    const confirmation = await stack.mail.waitFor((m) => m.to.includes(ALERT_SUBSCRIBER) && /confirm/i.test(m.subject));
    const confirmed = await fetch(findLink(confirmation.text, '/notify/confirm/'));
    assert.equal(confirmed.status, 200);
    page = await stack.signedInPage();
  });

  after(async () => {
    await stack?.stop();
  });

  test('clicking the reading in the live client opens its trace: stored object, function invocation, email', async () => {
    await page.goto(`${stack.url}/#/live`);
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await page.getByRole('list', { name: 'Subscriptions' }).getByText('#', { exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });

    device = await stack.connectDevice('soilSensor2');
    lowReading = reading('soilSensor2', 32);
    const stamp = String((JSON.parse(lowReading) as { timeStampEpoch: number }).timeStampEpoch);
    await device.publishAsync(TOPIC, lowReading, { qos: 1 });

    const row = page.locator('li.message', { hasText: stamp });
    await row.waitFor({ timeout: UI_TIMEOUT_MS });
    await row.getByRole('button', { name: /Open trace/ }).click();
    await page.waitForURL(/#\/trace\/.+/, { timeout: UI_TIMEOUT_MS });

    // The alert goes out by email (to the real SMTP server) ...
    const alert = await stack.mail.waitFor((m) => m.subject === ALERT_SUBJECT && m.to.includes(ALERT_SUBSCRIBER), 0, UI_TIMEOUT_MS);
    assert.ok(alert.text.startsWith('Humidity 32 under threshold for device name soilSensor2'), alert.text);

    // ... and the trace shows it, once nothing is pending any more.
    await page.getByRole('heading', { name: 'Message trace' }).waitFor({ timeout: UI_TIMEOUT_MS });
    const deliveries = page.getByRole('table', { name: /^Deliveries of / });
    await deliveries.getByRole('cell', { name: ALERT_SUBSCRIBER }).waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByText('Actions are still pending').waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    await assertVisibleText(page, stamp, 'the payload of the message');

    // Both rules matched: the store-all rule and the alert rule.
    await page.getByRole('article', { name: 'Rule SoilHumidityTestRule' }).waitFor();
    await page.getByRole('article', { name: 'Rule SoilHumidityAlertRule' }).waitFor();

    // The stored object, with a link that downloads exactly what the device sent.
    const objectLink = page.getByRole('link', { name: new RegExp(`^rule-filter-bucket/${TOPIC}/\\d{13}$`) });
    await objectLink.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), objectLink.click()]);
    const downloadedPath = await download.path();
    assert.equal(await readFile(downloadedPath, 'utf8'), lowReading, 'the stored object is the reading byte for byte');

    // The function invocation, with its request id and its log lines.
    const alertRule = page.getByRole('article', { name: 'Rule SoilHumidityAlertRule' });
    const invocation = alertRule.locator('.invocation');
    await invocation.getByText('Function invocation:').waitFor();
    await invocation.getByText('humidity-alert', { exact: true }).waitFor();
    requestId = (await invocation.locator('code').first().textContent()) ?? '';
    assert.ok(requestId.length > 0, 'the invocation shows its request id');
    await alertRule.getByText('Log lines of this invocation').click();
    await alertRule.getByText(/alert .* sent for soilSensor2 \(humidity 32\)/).waitFor({ timeout: UI_TIMEOUT_MS });

    // The email: the notification the function published, delivered to the subscriber.
    const notifications = page.getByRole('article', { name: 'Notifications' });
    await notifications.getByText(ALERT_SUBJECT).waitFor();
    await deliveries.getByRole('cell', { name: 'email', exact: true }).waitFor();

    const shot = await screenshot(page, 'trace-low-humidity');
    console.log(`screenshot: ${shot}`);
    stack.assertNoPageErrors();
  });

  test('the trace list shows the recent messages, filtered by client id, each linking to its trace', async () => {
    await page.goto(`${stack.url}/#/trace`);
    await page.getByLabel('Client id').fill('soilSensor2');
    const recent = page.getByRole('table', { name: 'Recent messages' });
    const row = recent.getByRole('row').filter({ hasText: TOPIC });
    await row.first().waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match((await row.first().textContent()) ?? '', /SoilHumidityTestRule/);
    assert.equal(await recent.getByRole('cell', { name: /^soilSensor[13]$/ }).count(), 0, 'only soilSensor2 messages');
    console.log(`screenshot: ${await screenshot(page, 'trace-list')}`);
    await row.first().getByRole('link').click();
    await page.getByRole('heading', { name: 'Message trace' }).waitFor({ timeout: UI_TIMEOUT_MS });
  });

  test('the function page shows the invocation and its logs', async () => {
    assert.ok(requestId, 'needs the trace test before it');
    await page.getByRole('article', { name: 'Rule SoilHumidityAlertRule' }).getByRole('link', { name: 'logs on the Functions page' }).click();
    await page.waitForURL(/#\/functions\/humidity-alert\?requestId=/);
    await page.getByRole('table', { name: 'Invocations' }).getByText(requestId).waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByRole('article', { name: 'Logs of humidity-alert' }).getByText(/sent for soilSensor2 \(humidity 32\)/).waitFor({ timeout: UI_TIMEOUT_MS });
    const shot = await screenshot(page, 'functions');
    console.log(`screenshot: ${shot}`);
  });

  test('the notifications page shows the confirmed subscription', async () => {
    await page.goto(`${stack.url}/#/notifications`);
    const subscriptions = page.getByRole('table', { name: 'Subscriptions of humidity-alerts' });
    await subscriptions.getByRole('cell', { name: ALERT_SUBSCRIBER }).waitFor({ timeout: UI_TIMEOUT_MS });
    await subscriptions.getByText('confirmed', { exact: true }).waitFor();
    const shot = await screenshot(page, 'notifications');
    console.log(`screenshot: ${shot}`);
  });

  test('the storage page lists the stored reading under its prefix', async () => {
    await page.goto(`${stack.url}/#/storage/rule-filter-bucket?prefix=${encodeURIComponent('device/soilSensor2/')}`);
    await page.getByRole('table', { name: 'Objects' }).getByRole('link', { name: new RegExp(`${TOPIC}/\\d{13}$`) }).first().waitFor({ timeout: UI_TIMEOUT_MS });
    const shot = await screenshot(page, 'storage');
    console.log(`screenshot: ${shot}`);
  });

  test("the readings page charts soilSensor2's humidity", async () => {
    // Three earlier readings (the sensor's own timestamps, a minute apart; none low enough to alert) beside the low one.
    const now = Date.now();
    for (const [minutesAgo, humidity] of [[3, 41], [2, 39], [1, 37]] as const) {
      const time = now - minutesAgo * 60_000;
      const payload = JSON.stringify({ name: 'soilSensor2', humidity, timeStampEpoch: time, timeStampIso: new Date(time).toISOString() });
      await device.publishAsync(TOPIC, payload, { qos: 1 });
    }
    await stack.server.settle();
    await page.goto(`${stack.url}/#/readings?device=soilSensor2`);
    const chart = page.getByRole('figure', { name: /soilSensor2: soil-humidity/ });
    await chart.waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByText(/^4 points from /).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await chart.locator('canvas').count(), 1, 'uPlot drew the chart');
    const shot = await screenshot(page, 'readings');
    console.log(`screenshot: ${shot}`);
    stack.assertNoPageErrors();
  });
});

async function assertVisibleText(page: Page, text: string, what: string): Promise<void> {
  assert.ok(await page.getByText(text, { exact: false }).first().isVisible(), `${what} (${text}) is shown`);
}
