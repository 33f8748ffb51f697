import { useState } from 'preact/hooks';
import type { PageProps } from '../routes';
import { apiFetch, seg, useApi } from '../api';
import { Badge, ErrorNotice, Loading, PageHeader, StatusNotice, formatTime } from '../components';
import { useSession } from '../session';
import { MailboxView } from './mailbox';

interface Topic {
  name: string;
  arn: string;
  displayName?: string;
  createdAt: string;
}

interface Subscription {
  id: string;
  topicName: string;
  protocol: string;
  endpoint: string;
  status: 'pending' | 'confirmed';
  createdAt: string;
  confirmedAt?: string;
}

/** Subscriptions refresh this often (ms), so a confirmation clicked in a mail shows here without a reload. */
const SUBSCRIPTIONS_REFRESH_MS = 3000;

/** `#/notifications`: the topics, their subscriptions and status, and the dev mailbox with its rendered mails. */
export function NotificationsPage(_props: PageProps) {
  const { data, error, loading } = useApi<{ topics: Topic[] }>('/api/v1/topics');
  return (
    <section>
      <PageHeader title="Notifications" />
      <ErrorNotice error={error} title="Topics" />
      {data === undefined ? (
        loading ? <Loading what="topics" /> : null
      ) : data.topics.length === 0 ? (
        <p class="muted">No notification topic exists.</p>
      ) : (
        data.topics.map((topic) => <TopicCard key={topic.name} topic={topic} />)
      )}
      <MailboxView />
    </section>
  );
}

function TopicCard({ topic }: { topic: Topic }) {
  const { canWrite } = useSession();
  const { data, error, reload } = useApi<{ subscriptions: Subscription[] }>(`/api/v1/topics/${seg(topic.name)}/subscriptions`, {
    refreshMs: SUBSCRIPTIONS_REFRESH_MS,
  });
  const [notice, setNotice] = useState('');
  const [actionError, setActionError] = useState<unknown>(undefined);

  const resend = async (subscription: Subscription): Promise<void> => {
    setNotice('');
    setActionError(undefined);
    try {
      await apiFetch(`/api/v1/subscriptions/${seg(subscription.id)}/resend-confirmation`, { method: 'POST' });
      setNotice(`Confirmation sent again to ${subscription.endpoint}.`);
      reload();
    } catch (caught) {
      setActionError(caught);
    }
  };

  return (
    <article class="panel" aria-label={`Topic ${topic.name}`}>
      <h2>
        Topic {topic.name}
        {topic.displayName ? <span class="muted"> ({topic.displayName})</span> : null}
      </h2>
      <p class="muted">
        <code>{topic.arn}</code> · created {formatTime(topic.createdAt)}
      </p>
      <ErrorNotice error={error ?? actionError} title="Subscriptions" />
      <StatusNotice>{notice}</StatusNotice>
      {data === undefined ? null : data.subscriptions.length === 0 ? (
        <p class="muted">No subscriptions.</p>
      ) : (
        <table class="table" aria-label={`Subscriptions of ${topic.name}`}>
          <thead>
            <tr>
              <th>Protocol</th>
              <th>Endpoint</th>
              <th>Status</th>
              <th>Since</th>
              {canWrite ? <th /> : null}
            </tr>
          </thead>
          <tbody>
            {data.subscriptions.map((subscription) => (
              <tr key={subscription.id}>
                <td>{subscription.protocol}</td>
                <td>{subscription.endpoint}</td>
                <td>
                  <Badge value={subscription.status === 'pending' ? 'pending confirmation' : 'confirmed'} />
                </td>
                <td>{formatTime(subscription.confirmedAt ?? subscription.createdAt)}</td>
                {canWrite ? (
                  <td>
                    {subscription.status === 'pending' ? (
                      <button type="button" class="secondary" onClick={() => void resend(subscription)}>
                        Resend confirmation
                      </button>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </article>
  );
}
