/**
 * The web console end to end, in Debian's headless Chromium driven by
 * playwright-core, against a real Sluice server (reference stack, admin token,
 * TLS devices): sign-in, the live MQTT client, devices, rules, and what a
 * read-only token may not do. Each test saves a screenshot under
 * test-output/console/ for a reviewer. The message trace is in
 * console-trace.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { strFromU8, unzipSync } from 'fflate';
import mqtt from 'mqtt';
import type { Page } from 'playwright-core';
import { chromiumSkipReason, screenshot } from './support/browser.js';
import { ConsoleStack, reading, signIn } from './support/console-stack.js';

const TOPIC = 'device/soilSensor2/devicePayload';
/** Generous bounds for a loaded CI machine; nothing here is a timing assertion. */
const UI_TIMEOUT_MS = 30_000;

/**
 * Buttons that change something. A read-only operator sees none of them;
 * an admin sees them (checked too, so the check cannot pass by looking at an empty page).
 */
const WRITE_CONTROL = /\b(create|publish|enable|disable|replay|delete|remove|revoke|save|deploy|resend|purge|attach|detach|activate|deactivate|invoke)\b|certificate bundle/i;

describe('console', { skip: chromiumSkipReason() }, () => {
  let stack: ConsoleStack;
  let page: Page;

  before(async () => {
    stack = await ConsoleStack.start();
  });

  after(async () => {
    await stack?.stop();
  });

  test('sign in with the admin token', async () => {
    page = await stack.browser.newPage();
    await page.goto(stack.url);
    await page.getByRole('heading', { name: 'Sign in to Sluice' }).waitFor({ timeout: UI_TIMEOUT_MS });

    await page.getByLabel('API token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText(/Sign-in failed/).waitFor({ timeout: UI_TIMEOUT_MS });
    console.log(`screenshot: ${await screenshot(page, 'sign-in-refused')}`);

    await signIn(page, stack.adminToken);
    await page.getByText('Signed in as').getByText('admin', { exact: true }).waitFor();
    // The token stays in this tab's session only (no "remember me").
    // Page code as a string: the tests are type-checked without the DOM's types.
    const stored = await page.evaluate('({ session: sessionStorage.length, local: localStorage.length })');
    assert.deepEqual(stored, { session: 1, local: 0 });
    console.log(`screenshot: ${await screenshot(page, 'overview')}`);
    stack.assertNoPageErrors();
  });

  test('the live client shows a message a real MQTT client published, within a second', async () => {
    await page.goto(`${stack.url}/#/live`);
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await page.getByRole('list', { name: 'Subscriptions' }).getByText('#', { exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });

    const device = await stack.connectDevice('soilSensor2');
    const payload = reading('soilSensor2', 41);
    const stamp = String((JSON.parse(payload) as { timeStampEpoch: number }).timeStampEpoch);
    const published = Date.now();
    await device.publishAsync(TOPIC, payload, { qos: 1 });
    // Checked every animation frame, so the measured time is close to when the message became visible.
    await page.waitForFunction(`document.querySelector('ol.messages')?.textContent?.includes(${JSON.stringify(stamp)}) ?? false`, undefined, {
      polling: 'raf',
      timeout: UI_TIMEOUT_MS,
    });
    const latencyMs = Date.now() - published;
    console.log(`live client: the message was visible ${latencyMs} ms after the device published it (QoS 1, over TLS)`);

    const row = page.locator('li.message', { hasText: stamp });
    assert.equal(await row.count(), 1);
    assert.match((await row.textContent()) ?? '', new RegExp(TOPIC));
    console.log(`screenshot: ${await screenshot(page, 'live')}`);
    stack.assertNoPageErrors();
  });

  test('creating a thing and downloading its certificate bundle', async () => {
    await page.goto(`${stack.url}/#/devices`);
    // The policy the new certificate gets, then the thing; creating it downloads its bundle (the box is ticked by default).
    await page.getByLabel('Policy to attach to new certificates').selectOption('serverless-iot-backend-policy');
    await page.getByLabel('Thing name').fill('console-thing');
    assert.ok(await page.getByLabel('Also download a certificate bundle').isChecked());
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: UI_TIMEOUT_MS }), page.getByRole('button', { name: 'Create thing' }).click()]);
    const things = page.getByRole('table', { name: 'Things' });
    await things.getByText('console-thing', { exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(download.suggestedFilename(), 'console-thing-certificates.zip');
    const zip = unzipSync(new Uint8Array(await readFile(await download.path())));
    assert.deepEqual(
      Object.keys(zip).filter((name) => name !== 'endpoints.json').sort(),
      ['certificate.pem.crt', 'private.pem.key', 'root-ca.pem'],
      'the files `sluice certs create --out DIR` writes',
    );
    const file = (name: string): string => {
      const bytes = zip[name];
      assert.ok(bytes, `${name} is in the bundle`);
      return strFromU8(bytes);
    };
    const certificate = new X509Certificate(file('certificate.pem.crt'));
    const rootCa = new X509Certificate(file('root-ca.pem'));
    assert.ok(certificate.verify(rootCa.publicKey), 'the certificate is signed by the root CA in the bundle');
    assert.ok(certificate.checkPrivateKey(createPrivateKey(file('private.pem.key'))), 'the private key is the certificate\'s');
    assert.ok(Date.parse(certificate.validTo) > Date.now(), `valid until ${certificate.validTo}`);

    // The bundle works: a device connects with it over TLS and publishes (the policy allows soilSensor* clients).
    const device = await mqtt.connectAsync(stack.server.endpoints.mqtts, {
      clientId: 'soilSensor3',
      cert: file('certificate.pem.crt'),
      key: file('private.pem.key'),
      ca: file('root-ca.pem'),
      reconnectPeriod: 0,
    });
    try {
      await device.publishAsync('device/soilSensor3/devicePayload', reading('soilSensor3', 40), { qos: 1 });
    } finally {
      await device.endAsync();
    }
    const principals = await stack.api<{ principals: unknown[] }>('/api/v1/things/console-thing/principals');
    assert.equal(principals.principals.length, 1, 'the new certificate is attached to the thing');
    await page.getByRole('status').getByText(/Downloaded console-thing-certificates\.zip/).waitFor();
    console.log(`screenshot: ${await screenshot(page, 'devices')}`);
    stack.assertNoPageErrors();
  });

  test('a rule with a syntax error shows the error at its position', async () => {
    await page.goto(`${stack.url}/#/rules`);
    await page.getByRole('table', { name: 'Rules' }).getByText('SoilHumidityAlertRule').waitFor({ timeout: UI_TIMEOUT_MS });
    const lines = ['SELECT *', "FROM 'device/+/devicePayload'", 'WHERE humidity < < 35'];
    // The second '<' is where an expression should start.
    const column = (lines[2] ?? '').lastIndexOf('<') + 1;
    await page.getByRole('textbox', { name: 'SQL', exact: true }).fill(lines.join('\n'));
    await page.getByRole('button', { name: 'Try it' }).click();

    const marker = page.getByRole('alert', { name: `Syntax error at line 3, column ${column}` });
    await marker.waitFor({ timeout: UI_TIMEOUT_MS });
    const text = (await marker.textContent()) ?? '';
    assert.match(text, /expected an expression/);
    const shown = text.split('\n');
    const sourceLine = shown.findIndex((line) => line.endsWith(lines[2] ?? ''));
    assert.ok(sourceLine >= 0, `the offending line is shown: ${text}`);
    const caretLine = shown[sourceLine + 1] ?? '';
    const sourceText = shown[sourceLine] ?? '';
    assert.equal(caretLine.indexOf('^'), sourceText.length - (lines[2] ?? '').length + column - 1, `the caret is under column ${column}:\n${text}`);
    console.log(`screenshot: ${await screenshot(page, 'rule-syntax-error')}`);
  });

  test('"try it" shows the output of the SQL for a sample message', async () => {
    await page.goto(`${stack.url}/#/rules`);
    await page.getByRole('textbox', { name: 'SQL', exact: true }).fill("SELECT name, humidity, topic(2) AS device FROM 'device/+/devicePayload' WHERE humidity < 35");
    await page.getByLabel('Sample topic').fill(TOPIC);
    await page.getByLabel('Sample payload').fill(reading('soilSensor2', 32));
    await page.getByRole('button', { name: 'Try it' }).click();
    const result = page.getByRole('status', { name: 'Try it result' });
    await result.getByText('Matched.').waitFor({ timeout: UI_TIMEOUT_MS });
    const output = JSON.parse((await result.locator('pre').textContent()) ?? '') as unknown;
    assert.deepEqual(output, { name: 'soilSensor2', humidity: 32, device: 'soilSensor2' });
    console.log(`screenshot: ${await screenshot(page, 'rule-try-it')}`);

    await page.getByLabel('Sample payload').fill(reading('soilSensor2', 40));
    await page.getByRole('button', { name: 'Try it' }).click();
    await result.getByText('Did not match').waitFor({ timeout: UI_TIMEOUT_MS });
    stack.assertNoPageErrors();
  });

  test('a read-only token cannot change anything: no write controls, and the API refuses', async () => {
    const created = await stack.api<{ token: string; scope: string }>('/api/v1/tokens', { method: 'POST', json: { name: 'console-reader', scope: 'read-only' } });
    assert.equal(created.scope, 'read-only');

    // The admin sees write controls on these pages; the reader sees the same pages without them.
    const pages: Array<{ hash: string; ready: string | RegExp }> = [
      { hash: '#/live', ready: 'Subscribe' },
      { hash: '#/devices', ready: 'serverless-iot-backend-thing' },
      { hash: '#/rules', ready: 'SoilHumidityAlertRule' },
      { hash: '#/rules/SoilHumidityAlertRule', ready: 'SoilHumidityAlertRule' },
      { hash: '#/notifications', ready: 'alerts@example.org' },
      { hash: '#/functions/humidity-alert', ready: 'Logs of humidity-alert' },
      { hash: '#/storage/rule-filter-bucket', ready: 'Objects in rule-filter-bucket' },
      { hash: '#/overview', ready: 'Overview' },
    ];
    const adminControls = new Map<string, string[]>();
    for (const { hash, ready } of pages) adminControls.set(hash, await writeControls(page, `${stack.url}/${hash}`, ready));
    for (const hash of ['#/live', '#/devices', '#/rules/SoilHumidityAlertRule']) {
      assert.ok((adminControls.get(hash) ?? []).length > 0, `the admin sees write controls on ${hash} (so the read-only check means something)`);
    }

    const reader = await stack.browser.newPage();
    await reader.goto(stack.url);
    await signIn(reader, created.token);
    await reader.getByText('Signed in as').getByText('read-only', { exact: true }).waitFor();
    for (const { hash, ready } of pages) {
      const controls = await writeControls(reader, `${stack.url}/${hash}`, ready);
      assert.deepEqual(controls, [], `a read-only operator sees no controls that change something on ${hash} (the admin sees ${JSON.stringify(adminControls.get(hash))})`);
      if (hash === '#/live') {
        assert.equal(await reader.getByRole('heading', { name: 'Publish' }).count(), 0, 'no publish form');
        console.log(`screenshot: ${await screenshot(reader, 'read-only-live')}`);
      }
      if (hash === '#/rules') console.log(`screenshot: ${await screenshot(reader, 'read-only-rules')}`);
    }

    // Hiding is a courtesy; the server is what refuses.
    const refused: Array<[string, string, unknown]> = [
      ['POST', '/api/v1/rules/SoilHumidityAlertRule/disable', undefined],
      ['POST', '/api/v1/things/reader-thing', {}],
      ['POST', '/api/v1/topics/humidity-alerts/publish', { message: 'from a reader' }],
      ['POST', '/api/v1/dead-letters/replay', {}],
      ['POST', '/api/v1/things/serverless-iot-backend-thing/certificate-bundle', {}],
    ];
    for (const [method, path, body] of refused) {
      const response = await fetch(`${stack.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${created.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      assert.equal(response.status, 403, `${method} ${path} with a read-only token: ${await response.text()}`);
    }
    const rules = await stack.api<{ rules: Array<{ name: string; enabled: boolean }> }>('/api/v1/rules');
    assert.ok(rules.rules.every((rule) => rule.enabled !== false), 'every rule is still enabled');
    stack.assertNoPageErrors();
  });
});

/** Opens the page, waits for its data, and lists the visible buttons whose names say they change something. */
async function writeControls(page: Page, url: string, ready: string | RegExp): Promise<string[]> {
  await page.goto(url);
  await page.getByText(ready).first().waitFor({ timeout: UI_TIMEOUT_MS });
  const names: string[] = [];
  for (const button of await page.getByRole('button').all()) {
    if (!(await button.isVisible())) continue;
    const name = ((await button.getAttribute('aria-label')) ?? (await button.textContent()) ?? '').trim();
    if (WRITE_CONTROL.test(name)) names.push(name);
  }
  return names;
}

