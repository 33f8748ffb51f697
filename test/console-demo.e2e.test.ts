/**
 * Issue 10's "done when": `npm start`'s server (the reference stack, the
 * simulator, --insecure) prints a console link, and opening it shows the
 * demo's messages flowing, with no sign-in step. The token rides in the URL
 * fragment: it must leave the address bar, and stay out of localStorage.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromiumSkipReason, ConsoleBrowser, screenshot } from './support/browser.js';
import { ensureConsoleBuilt } from './support/console-build.js';
import { SluiceServer } from './support/sluice-process.js';

/** Generous bounds for a loaded CI machine; nothing here is a timing assertion. */
const UI_TIMEOUT_MS = 30_000;

describe('console: the demo link npm start prints', { skip: chromiumSkipReason() }, () => {
  let dataDir: string;
  let server: SluiceServer;
  let browser: ConsoleBrowser;

  before(async () => {
    await ensureConsoleBuilt();
    dataDir = await mkdtemp(join(tmpdir(), 'sluice-console-demo-'));
    // npm start's arguments (package.json), on free ports.
    server = await SluiceServer.start(dataDir, ['--stack', 'stacks/soil-moisture.yaml', '--simulate', '--insecure']);
    browser = await ConsoleBrowser.launch();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('opening the printed link signs in and shows the simulated sensors\' messages arriving', async () => {
    const link = /^Web console: (\S+)/m.exec(server.stdout)?.[1];
    assert.ok(link, `sluice up prints a "Web console:" link:\n${server.stdout}`);
    assert.ok(link.startsWith(`${server.endpoints.http}/#token=`), link);

    const page = await browser.newPage();
    await page.goto(link);
    const messages = page.getByRole('list', { name: 'Messages' });
    await messages.getByText(/device\/soilSensor\d\/devicePayload/).first().waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByRole('list', { name: 'Subscriptions' }).getByText('#', { exact: true }).waitFor();
    await page.getByText('Signed in as admin').waitFor();

    assert.doesNotMatch(page.url(), /token=/, 'the token left the address bar');
    const stored = (await page.evaluate('({ session: sessionStorage.length, local: localStorage.length })')) as { session: number; local: number };
    assert.deepEqual(stored, { session: 1, local: 0 }, 'kept for the session only');
    console.log(`screenshot: ${await screenshot(page, 'demo-live')}`);
    assert.deepEqual(browser.pageErrors, []);
  });
});
