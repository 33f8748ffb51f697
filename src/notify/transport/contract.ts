import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSluiceError } from '../../core/index.js';
import type { MailMessage, ReadableMailTransport } from './port.js';

export interface TransportFixture {
  transport: ReadableMailTransport;
  /** Removes whatever the fixture made (temp dirs); the suite closes the transport itself. */
  cleanup(): Promise<void>;
}

const MAIL: MailMessage = {
  from: 'Sluice <no-reply@sluice.local>',
  to: 'ops@example.com',
  subject: 'Attention:Humidity Under Threshold',
  text: 'Humidity 29 under threshold for device name soilSensor3\n\n--\nfooter',
  headers: { 'List-Unsubscribe': '<http://127.0.0.1:8080/notify/unsubscribe/abc>' },
};

/**
 * The contract every readable mail transport passes (mqemitter's
 * `abstractTest({ builder })` pattern): each driver's test file calls this
 * with a builder that makes a fresh, empty transport.
 */
export function readableMailTransportContract(driver: string, builder: () => Promise<TransportFixture>): void {
  async function withTransport(fn: (t: ReadableMailTransport) => Promise<void>): Promise<void> {
    const fixture = await builder();
    try {
      await fn(fixture.transport);
    } finally {
      await fixture.transport.close();
      await fixture.cleanup();
    }
  }

  test(`${driver}: a new transport holds no mail`, () =>
    withTransport(async (t) => {
      assert.deepEqual(await t.list(), []);
      assert.equal(await t.get('00000000-0000-0000-0000-000000000000'), undefined);
    }));

  test(`${driver}: send keeps the mail exactly, readable by its message id`, () =>
    withTransport(async (t) => {
      const { messageId } = await t.send(MAIL);
      assert.ok(messageId.length > 0);
      const entry = await t.get(messageId);
      assert.ok(entry);
      assert.equal(entry.id, messageId);
      assert.equal(entry.from, MAIL.from);
      assert.equal(entry.to, MAIL.to);
      assert.equal(entry.subject, MAIL.subject);
      assert.equal(entry.text, MAIL.text);
      assert.equal(entry.html, undefined);
      assert.deepEqual(entry.headers, MAIL.headers);
      assert.ok(!Number.isNaN(Date.parse(entry.date)));
    }));

  test(`${driver}: html is kept when given; headers default to none`, () =>
    withTransport(async (t) => {
      const { messageId } = await t.send({ from: MAIL.from, to: MAIL.to, subject: 's', text: 't', html: '<p>t</p>' });
      const entry = await t.get(messageId);
      assert.equal(entry?.html, '<p>t</p>');
      assert.deepEqual(entry?.headers, {});
    }));

  test(`${driver}: list is oldest first, even within one millisecond`, () =>
    withTransport(async (t) => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await t.send({ ...MAIL, subject: `mail ${i}` })).messageId);
      const listed = await t.list();
      assert.deepEqual(listed.map((e) => e.id), ids);
      assert.deepEqual(listed.map((e) => e.subject), ['mail 0', 'mail 1', 'mail 2', 'mail 3', 'mail 4']);
    }));

  test(`${driver}: get of an unknown or hostile id is undefined`, () =>
    withTransport(async (t) => {
      await t.send(MAIL);
      assert.equal(await t.get('nope'), undefined);
      assert.equal(await t.get('../../etc/passwd'), undefined);
    }));

  test(`${driver}: send after close rejects with SLUICE_ERR_MAIL_SEND; close is idempotent`, () =>
    withTransport(async (t) => {
      await t.close();
      await t.close();
      await assert.rejects(t.send(MAIL), (error) => isSluiceError(error) && error.code === 'SLUICE_ERR_MAIL_SEND');
    }));
}
