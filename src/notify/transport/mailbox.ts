import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { SluiceError, errorMessage, newId, systemClock, writeFileAtomically, type Clock } from '../../core/index.js';
import { closedError, monotonicClock, toEntry } from './entry.js';
import type { MailboxEntry, MailMessage, ReadableMailTransport } from './port.js';

/** Ids we hand out are UUIDs; anything else is refused before it gets near a path. */
const ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;

/**
 * The dev mailbox: instead of sending, each mail is written under `dir` as
 * `<time>-<id>.json` (what `list`/`get` and the console read) and a `.eml`
 * beside it (open it in a mail client to see what SMTP would have carried).
 * `<time>` is ISO 8601 with `:` replaced by `-` so the names are valid on every
 * file system and sort chronologically.
 */
export function createMailboxTransport(dir: string, options: { clock?: Clock } = {}): ReadableMailTransport {
  const clock = options.clock ?? systemClock;
  const tick = monotonicClock(() => clock.now());
  let closed = false;

  async function send(mail: MailMessage): Promise<{ messageId: string }> {
    if (closed) throw closedError(mail.to);
    const id = newId();
    const date = new Date(tick());
    const entry = toEntry(id, mail, date.toISOString());
    const base = join(dir, `${entry.date.replaceAll(':', '-')}-${id}`);
    try {
      await mkdir(dir, { recursive: true });
      // The .eml first: the .json is the index, so once it exists the mail is complete.
      await writeFileAtomically(`${base}.eml`, await composeEml(id, entry, date));
      await writeFileAtomically(`${base}.json`, `${JSON.stringify(entry, null, 2)}\n`);
    } catch (error) {
      throw new SluiceError('SLUICE_ERR_MAIL_SEND', `mail to ${mail.to} could not be written to the mailbox ${dir}: ${errorMessage(error)}`, { cause: error });
    }
    return { messageId: id };
  }

  async function list(): Promise<MailboxEntry[]> {
    const entries: MailboxEntry[] = [];
    for (const name of await jsonFiles(dir)) {
      const entry = await readEntry(join(dir, name));
      if (entry) entries.push(entry);
    }
    return entries;
  }

  async function get(id: string): Promise<MailboxEntry | undefined> {
    if (!ID_PATTERN.test(id)) return undefined;
    const name = (await jsonFiles(dir)).find((n) => n.endsWith(`-${id}.json`));
    return name === undefined ? undefined : readEntry(join(dir, name));
  }

  return {
    send,
    list,
    get,
    async close() {
      closed = true;
    },
  };
}


async function composeEml(id: string, entry: MailboxEntry, date: Date): Promise<Buffer> {
  const composer = new MailComposer({
    from: entry.from,
    to: entry.to,
    subject: entry.subject,
    text: entry.text,
    ...(entry.html !== undefined ? { html: entry.html } : {}),
    headers: entry.headers,
    messageId: `<${id}@sluice.mailbox>`,
    date,
  });
  return composer.compile().build();
}

/** Sorted names of the mailbox's `.json` files; a missing directory is an empty mailbox. */
async function jsonFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
}

/** Foreign or damaged files are skipped rather than breaking the whole listing. */
async function readEntry(path: string): Promise<MailboxEntry | undefined> {
  try {
    const doc: unknown = JSON.parse(await readFile(path, 'utf8'));
    return isEntry(doc) ? doc : undefined;
  } catch {
    return undefined;
  }
}

function isEntry(doc: unknown): doc is MailboxEntry {
  if (typeof doc !== 'object' || doc === null) return false;
  const d = doc as Record<string, unknown>;
  return ['id', 'from', 'to', 'subject', 'text', 'date'].every((k) => typeof d[k] === 'string') && typeof d.headers === 'object' && d.headers !== null;
}
