import { useEffect, useState } from 'preact/hooks';
import { apiFetch, seg, type ApiState } from '../../api';
import { useSession } from '../../session';
import { checkJson } from '../../json-check';
import { ErrorNotice, Loading, StatusNotice, formatTime } from '../../components';

export interface PolicySummary {
  policyName: string;
  document: unknown;
  version: number;
  updatedAt: string;
}

const NEW_POLICY = JSON.stringify(
  {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['iot:Connect'], Resource: ['arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName}'] },
      { Effect: 'Allow', Action: ['iot:Publish'], Resource: ['arn:aws:iot:*:*:topic/device/${iot:Connection.Thing.ThingName}/*'] },
    ],
  },
  null,
  2,
);

/** Policies and a JSON editor that checks the document as you type and shows the server's verdict on save. */
export function PoliciesSection({ list }: { list: ApiState<{ policies: PolicySummary[] }> }) {
  const { canWrite } = useSession();
  const [editing, setEditing] = useState<{ name: string; text: string; isNew: boolean } | undefined>(undefined);

  return (
    <div class="panel">
      <div class="page-header">
        <h2>Policies</h2>
        {canWrite ? (
          <button type="button" class="secondary" onClick={() => setEditing({ name: '', text: NEW_POLICY, isNew: true })}>
            New policy
          </button>
        ) : null}
      </div>
      <ErrorNotice error={list.error} title="Could not load policies" />
      {list.data === undefined && list.loading ? <Loading what="policies" /> : null}
      {list.data ? (
        list.data.policies.length === 0 ? (
          <p class="muted">No policies.</p>
        ) : (
          <table aria-label="Policies">
            <thead>
              <tr>
                <th>Name</th>
                <th class="num">Version</th>
                <th>Updated</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.data.policies.map((policy) => (
                <tr key={policy.policyName} class={editing?.name === policy.policyName ? 'selected' : undefined}>
                  <td>
                    <strong>{policy.policyName}</strong>
                  </td>
                  <td class="num">{policy.version}</td>
                  <td>{formatTime(policy.updatedAt)}</td>
                  <td>
                    <button
                      type="button"
                      class="secondary"
                      aria-label={`${canWrite ? 'Edit' : 'View'} policy ${policy.policyName}`}
                      onClick={() => setEditing({ name: policy.policyName, text: JSON.stringify(policy.document, null, 2), isNew: false })}
                    >
                      {canWrite ? 'Edit' : 'View'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
      {editing ? (
        <PolicyEditor
          key={`${editing.name}:${editing.isNew}`}
          initialName={editing.name}
          initialText={editing.text}
          isNew={editing.isNew}
          readOnly={!canWrite}
          onSaved={() => list.reload()}
          onClose={() => setEditing(undefined)}
        />
      ) : null}
    </div>
  );
}

interface PolicyEditorProps {
  initialName: string;
  initialText: string;
  isNew: boolean;
  readOnly: boolean;
  onSaved: () => void;
  onClose: () => void;
}

function PolicyEditor({ initialName, initialText, isNew, readOnly, onSaved, onClose }: PolicyEditorProps) {
  const [name, setName] = useState(initialName);
  const [text, setText] = useState(initialText);
  const [serverError, setServerError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const check = checkJson(text);

  useEffect(() => setServerError(undefined), [text, name]);

  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    setServerError(undefined);
    setDone(undefined);
    if (!check.ok) return;
    try {
      const policyName = name.trim();
      if (policyName === '') throw new Error('enter a policy name');
      const saved = await apiFetch<{ version: number; warnings?: string[] }>(`/api/v1/policies/${seg(policyName)}`, {
        method: 'PUT',
        json: { document: check.value },
      });
      const warnings = saved.warnings?.length ? ` Warnings: ${saved.warnings.join('; ')}` : '';
      setDone(`Saved policy ${policyName} (version ${saved.version}).${warnings}`);
      onSaved();
    } catch (caught) {
      setServerError(caught);
    }
  };

  return (
    <form class="stack panel" onSubmit={(event) => void save(event)} aria-label="Policy editor">
      <h3>{isNew ? 'New policy' : `Policy ${initialName}`}</h3>
      {isNew ? (
        <label>
          Policy name
          <input value={name} onInput={(event) => setName(event.currentTarget.value)} size={30} />
        </label>
      ) : null}
      <label>
        Policy document (JSON)
        <textarea
          class="code"
          rows={Math.min(24, Math.max(8, text.split('\n').length + 1))}
          value={text}
          readOnly={readOnly}
          spellcheck={false}
          aria-invalid={!check.ok}
          onInput={(event) => setText(event.currentTarget.value)}
        />
      </label>
      {check.ok ? (
        <p class="muted">Valid JSON.</p>
      ) : (
        <div class="notice notice-error" role="alert">
          Invalid JSON: {check.message}
        </div>
      )}
      <ErrorNotice error={serverError} title="The server refused the policy" />
      <StatusNotice>{done}</StatusNotice>
      <div class="row">
        {readOnly ? null : (
          <button type="submit" disabled={!check.ok}>
            Save policy
          </button>
        )}
        <button type="button" class="secondary" onClick={onClose}>
          Close editor
        </button>
      </div>
    </form>
  );
}
