/**
 * Debian's headless Chromium driven by playwright-core, for the console's
 * end-to-end tests. playwright-core ships no browser of its own: the tests use
 * the system's `/usr/bin/chromium` (Debian package `chromium`), so nothing is
 * downloaded.
 */
import { accessSync, constants } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from './sluice-process.js';

/** Debian's path; SLUICE_CHROMIUM points elsewhere on a machine that keeps it somewhere else. */
export const CHROMIUM_PATH = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-output', 'console');

function chromiumInstalled(): boolean {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Undefined when Chromium is installed; otherwise the reason to skip the suite
 * (`describe(name, { skip: chromiumSkipReason() }, ...)`), naming the Debian
 * package. With SLUICE_REQUIRE_SYSTEM_TESTS=1 (set by .ci/run after installing
 * the packages) a missing browser fails loudly instead of skipping.
 */
export function chromiumSkipReason(): string | undefined {
  if (chromiumInstalled()) return undefined;
  const message = `needs ${CHROMIUM_PATH} (Debian package chromium: apt-get install -y chromium)`;
  if (process.env.SLUICE_REQUIRE_SYSTEM_TESTS === '1') throw new Error(`${message}; SLUICE_REQUIRE_SYSTEM_TESTS=1 forbids skipping`);
  return message;
}

/** One headless Chromium for a test file; every page it opens reports its script errors to the test's output. */
export class ConsoleBrowser {
  readonly browser: Browser;
  readonly #contexts: BrowserContext[] = [];
  /** Uncaught errors and console.error lines from every page, for the failure message of the test that sees them. */
  readonly pageErrors: string[] = [];

  private constructor(browser: Browser) {
    this.browser = browser;
  }

  static async launch(): Promise<ConsoleBrowser> {
    // --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'], headless: true });
    return new ConsoleBrowser(browser);
  }

  /** A fresh page in its own context (own sessionStorage/localStorage), downloads allowed. */
  async newPage(): Promise<Page> {
    const context = await this.browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    this.#contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => this.pageErrors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') this.pageErrors.push(`console.error: ${message.text()}`);
    });
    return page;
  }

  async close(): Promise<void> {
    for (const context of this.#contexts.splice(0)) await context.close().catch(() => undefined);
    await this.browser.close();
  }
}

/** Saves a full-page screenshot as test-output/console/<name>.png for a reviewer; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
