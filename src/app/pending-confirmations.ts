import { CONFIRMATION_SUBJECT, type NotificationService, type ReadableMailTransport } from '../notify/index.js';

export interface PendingConfirmation {
  topic: string;
  endpoint: string;
  /** The link from the newest confirmation mail in the dev mailbox, if there is one. */
  link: string | undefined;
}

/**
 * For the demo's start-up output: pending email subscriptions and, when mail
 * goes to the dev mailbox, the link that confirms each, so a new user does not
 * have to dig through files to start receiving alerts.
 */
export async function pendingConfirmations(notify: NotificationService, mailbox: ReadableMailTransport | undefined): Promise<PendingConfirmation[]> {
  const pending = (await notify.listSubscriptions()).filter((s) => s.status === 'pending');
  if (pending.length === 0) return [];
  const messages = mailbox ? await mailbox.list() : [];
  return pending.map((sub) => {
    const mail = messages.filter((m) => m.to === sub.endpoint && m.subject === CONFIRMATION_SUBJECT).at(-1);
    const link = mail ? /\bhttps?:\/\/\S+\/notify\/confirm\/[A-Za-z0-9_-]+/.exec(mail.text)?.[0] : undefined;
    return { topic: sub.topicName, endpoint: sub.endpoint, link };
  });
}
