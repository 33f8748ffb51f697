/**
 * What a console end-to-end test file needs: the console's build, a real
 * Sluice server running the reference stack in its secure mode (admin token,
 * TLS devices with the certificate the stack issued), a real SMTP server for
 * its email, and one headless Chromium.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { ConsoleBrowser } from './browser.js';
import { ensureConsoleBuilt } from './console-build.js';
import { SluiceServer } from './sluice-process.js';
import { MailCatcher } from './smtp.js';

export const ALERT_SUBSCRIBER = 'alerts@example.org';

export class ConsoleStack {
  readonly dataDir: string;
  readonly server: SluiceServer;
  readonly adminToken: string;
  readonly mail: MailCatcher;
  readonly browser: ConsoleBrowser;
  readonly #devices: MqttClient[] = [];

  private constructor(parts: { dataDir: string; server: SluiceServer; adminToken: string; mail: MailCatcher; browser: ConsoleBrowser }) {
    this.dataDir = parts.dataDir;
    this.server = parts.server;
    this.adminToken = parts.adminToken;
    this.mail = parts.mail;
    this.browser = parts.browser;
  }

  /**
   * Builds the console if needed, then starts the server (reference stack, no
   * --insecure) and Chromium. Mail goes to the SMTP catcher, or with
   * `devMailbox` stays in the server's dev mailbox (the console shows it).
   */
  static async start(options: { devMailbox?: boolean } = {}): Promise<ConsoleStack> {
    await ensureConsoleBuilt();
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-console-'));
    const mail = new MailCatcher();
    let server: SluiceServer | undefined;
    try {
      const smtpUrl = await mail.start();
      const mailFlags = options.devMailbox ? [] : ['--smtp', smtpUrl];
      server = await SluiceServer.start(dataDir, ['--stack', 'stacks/soil-moisture.yaml', '--param', `alertEmail=${ALERT_SUBSCRIBER}`, ...mailFlags]);
      const adminToken = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
      const browser = await ConsoleBrowser.launch();
      return new ConsoleStack({ dataDir, server, adminToken, mail, browser });
    } catch (error) {
      await server?.stop('SIGKILL');
      await mail.stop();
      await rm(dataDir, { recursive: true, force: true });
      throw error;
    }
  }

  get url(): string {
    return this.server.endpoints.http;
  }

  /** The API with the admin token (or another), as a script would call it. */
  async api<T>(path: string, init: { method?: string; json?: unknown; token?: string } = {}): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${init.token ?? this.adminToken}` };
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    return this.server.api<T>(path, {
      method: init.method ?? 'GET',
      headers,
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });
  }

  /**
   * A real device: the mqtt package over TLS (TCP) with the certificate the
   * reference stack issued for its simulator, as soilSensorN. The stack's
   * policy lets it publish to device/<its client id>/devicePayload.
   */
  async connectDevice(clientId: string): Promise<MqttClient> {
    const certDir = join(this.dataDir, 'certs', 'simulator');
    const [cert, key, ca] = await Promise.all(['certificate.pem.crt', 'private.pem.key', 'root-ca.pem'].map((file) => readFile(join(certDir, file))));
    const device = await mqtt.connectAsync(this.server.endpoints.mqtts, {
      clientId,
      cert,
      key,
      ca,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    this.#devices.push(device);
    return device;
  }

  /** A fresh page (own storage) at the console, signed in with the token. */
  async signedInPage(token = this.adminToken): Promise<Page> {
    const page = await this.browser.newPage();
    await page.goto(this.url);
    await signIn(page, token);
    return page;
  }

  /** Fails a test with the page's script errors as well as its own message. */
  assertNoPageErrors(): void {
    assert.deepEqual(this.browser.pageErrors.filter((line) => !line.includes('Failed to load resource')), []);
  }

  async stop(): Promise<void> {
    for (const device of this.#devices.splice(0)) await device.endAsync(true).catch(() => undefined);
    await this.browser.close().catch(() => undefined);
    await this.server.stop('SIGKILL');
    await this.mail.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

/** Signs in through the console's form, as an operator would, and waits for the shell to show. */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel(/token/i).fill(token);
  await page.getByRole('button', { name: /sign in/i }).click();
  await page.getByRole('button', { name: /sign out/i }).waitFor();
}

export function reading(name: string, humidity: number): string {
  const now = Date.now();
  return JSON.stringify({ name, humidity, timeStampEpoch: now, timeStampIso: new Date(now).toISOString() });
}
