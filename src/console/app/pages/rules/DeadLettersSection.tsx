import { useState } from 'preact/hooks';
import { apiFetch, useApi } from '../../api';
import { useSession } from '../../session';
import { ErrorNotice, Loading, StatusNotice, formatTime } from '../../components';

interface DeadLetter {
  id: string;
  ruleName: string;
  topic: string;
  target: { kind: string } & Record<string, unknown>;
  attempts: number;
  deadAt: string;
  failures: Array<{ failedAction: string; failedResource: string; errorMessage: string }>;
}

/** The rule's dead letters (GET /api/v1/dead-letters?rule=) with replay (POST /api/v1/dead-letters/replay). */
export function DeadLettersSection({ ruleName, onReplayed }: { ruleName: string; onReplayed: () => void }) {
  const { canWrite } = useSession();
  const letters = useApi<{ deadLetters: DeadLetter[] }>(`/api/v1/dead-letters?rule=${encodeURIComponent(ruleName)}&limit=50`, { refreshMs: 10_000 });
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);

  const replay = async (selection: { id: string } | { rule: string }): Promise<void> => {
    setError(undefined);
    setDone(undefined);
    try {
      const answer = await apiFetch<{ replayed: string[] | number }>('/api/v1/dead-letters/replay', { method: 'POST', json: selection });
      const count = Array.isArray(answer.replayed) ? answer.replayed.length : answer.replayed;
      setDone(`Replayed ${count} dead letter${count === 1 ? '' : 's'}; they are back on the queue.`);
      letters.reload();
      onReplayed();
    } catch (caught) {
      setError(caught);
    }
  };

  const list = letters.data?.deadLetters ?? [];
  return (
    <div>
      <div class="page-header">
        <h3>Dead letters</h3>
        {canWrite && list.length > 0 ? (
          <button type="button" class="secondary" onClick={() => void replay({ rule: ruleName })}>
            Replay all dead letters of {ruleName}
          </button>
        ) : null}
      </div>
      <ErrorNotice error={letters.error} title="Could not load dead letters" />
      <ErrorNotice error={error} title="Replay failed" />
      <StatusNotice>{done}</StatusNotice>
      {letters.data === undefined && letters.loading ? <Loading what="dead letters" /> : null}
      {letters.data && list.length === 0 ? <p class="muted">No dead letters.</p> : null}
      {list.length > 0 ? (
        <table aria-label="Dead letters">
          <thead>
            <tr>
              <th>Dead since</th>
              <th>Topic</th>
              <th>Action</th>
              <th class="num">Attempts</th>
              <th>Last error</th>
              {canWrite ? <th /> : null}
            </tr>
          </thead>
          <tbody>
            {list.map((letter) => {
              const last = letter.failures[letter.failures.length - 1];
              return (
                <tr key={letter.id}>
                  <td>{formatTime(letter.deadAt)}</td>
                  <td>
                    <code>{letter.topic}</code>
                  </td>
                  <td>{last ? `${last.failedAction} ${last.failedResource}` : letter.target.kind}</td>
                  <td class="num">{letter.attempts}</td>
                  <td>{last?.errorMessage ?? '—'}</td>
                  {canWrite ? (
                    <td>
                      <button type="button" class="secondary" aria-label={`Replay dead letter ${letter.id}`} onClick={() => void replay({ id: letter.id })}>
                        Replay
                      </button>
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
