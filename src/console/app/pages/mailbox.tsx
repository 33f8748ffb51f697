import { useState } from 'preact/hooks';
import { seg, useApi } from '../api';
import { ErrorNotice, formatTime } from '../components';

interface MailboxEntry {
  id: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  date: string;
}

/** New mail shows within this long (ms). */
const MAILBOX_REFRESH_MS = 3000;
const LINK = /https?:\/\/[^\s"'<>]+/g;

/** The links a subscriber acts on: confirm the subscription, or unsubscribe. */
export function actionLinks(text: string): { confirm: string[]; unsubscribe: string[] } {
  const links = [...new Set(text.match(LINK) ?? [])];
  return { confirm: links.filter((l) => l.includes('/notify/confirm/')), unsubscribe: links.filter((l) => l.includes('/notify/unsubscribe/')) };
}

/**
 * The dev mailbox (the server keeps the mail it would have sent when no
 * --smtp is given): newest first; a selected mail is shown rendered, its
 * HTML in a sandboxed frame (no scripts, no same-origin access).
 */
export function MailboxView() {
  const { data, error } = useApi<{ messages: MailboxEntry[] }>('/api/v1/mailbox', { refreshMs: MAILBOX_REFRESH_MS });
  const [selected, setSelected] = useState<string | null>(null);
  // With --smtp the mail goes out for real and the API says the mailbox is off: that is information, not a failure.
  const off = error !== undefined && error.status === 404;
  const messages = [...(data?.messages ?? [])].reverse();
  return (
    <article class="panel" aria-label="Dev mailbox">
      <h2>Dev mailbox</h2>
      {off ? <p class="muted">{error.message}</p> : <ErrorNotice error={error} title="Mailbox" />}
      {data === undefined ? null : messages.length === 0 ? (
        <p class="muted">No mail yet.</p>
      ) : (
        <table class="table" aria-label="Mails">
          <thead>
            <tr>
              <th>Date</th>
              <th>To</th>
              <th>Subject</th>
            </tr>
          </thead>
          <tbody>
            {messages.map((message) => (
              <tr key={message.id} class={message.id === selected ? 'selected' : undefined}>
                <td>{formatTime(message.date)}</td>
                <td>{message.to}</td>
                <td>
                  <a
                    href="#"
                    aria-current={message.id === selected ? 'true' : undefined}
                    onClick={(event) => {
                      event.preventDefault();
                      setSelected(message.id);
                    }}
                  >
                    {message.subject || '(no subject)'}
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected ? <MailView key={selected} id={selected} /> : null}
    </article>
  );
}

function MailView({ id }: { id: string }) {
  const { data, error } = useApi<MailboxEntry>(`/api/v1/mailbox/${seg(id)}`);
  if (error) return <ErrorNotice error={error} title="Mail" />;
  if (!data) return null;
  const links = actionLinks(`${data.text}\n${data.html ?? ''}`);
  return (
    <div class="mail" aria-label={`Mail ${data.subject}`}>
      <h3>{data.subject}</h3>
      <p class="muted">
        From {data.from} to {data.to}, {formatTime(data.date)}
      </p>
      {links.confirm.length + links.unsubscribe.length > 0 ? (
        <ul class="mail-links">
          {links.confirm.map((link) => (
            <li key={link}>
              <a href={link} target="_blank" rel="noopener noreferrer">
                Confirm subscription link
              </a>{' '}
              <code>{link}</code>
            </li>
          ))}
          {links.unsubscribe.map((link) => (
            <li key={link}>
              <a href={link} target="_blank" rel="noopener noreferrer">
                Unsubscribe link
              </a>{' '}
              <code>{link}</code>
            </li>
          ))}
        </ul>
      ) : null}
      {data.html ? (
        // sandbox="": the mail's HTML runs no script and cannot reach the console's origin (and its token).
        <iframe title={`Rendered mail: ${data.subject}`} sandbox="" srcdoc={data.html} style={{ width: '100%', minHeight: '20rem', border: '1px solid rgba(127,127,127,0.4)', background: '#fff' }} />
      ) : (
        <pre class="mail-text">{data.text}</pre>
      )}
    </div>
  );
}
