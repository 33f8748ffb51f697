import { useState } from 'preact/hooks';
import type { PageProps } from '../routes';
import { apiFetch, filenameFromDisposition, saveBlob, seg, useApi } from '../api';
import { useSession } from '../session';
import { Badge, ErrorNotice, Loading, PageHeader, StatusNotice, formatTime } from '../components';
import { PoliciesSection, type PolicySummary } from './devices/PoliciesSection';
import { CertificatesSection } from './devices/CertificatesSection';

export interface ThingConnection {
  connected: boolean;
  clientIds: string[];
  lastConnectedAt: string | null;
  lastDisconnectedAt: string | null;
}

export interface ThingSummary {
  thingName: string;
  thingTypeName?: string;
  attributes: Record<string, string>;
  createdAt: string;
  /** Absent on servers without connection tracking. */
  connection?: ThingConnection;
}

/** Things with their connection state, certificates, and policies. */
export function DevicesPage(_props: PageProps) {
  const policies = useApi<{ policies: PolicySummary[] }>('/api/v1/policies');
  const [certificatesGeneration, setCertificatesGeneration] = useState(0);
  return (
    <section>
      <PageHeader title="Devices" />
      <ThingsSection policies={policies.data?.policies ?? []} onCertificateCreated={() => setCertificatesGeneration((n) => n + 1)} />
      <CertificatesSection key={certificatesGeneration} />
      <PoliciesSection list={policies} />
    </section>
  );
}

function ThingsSection({ policies, onCertificateCreated }: { policies: PolicySummary[]; onCertificateCreated: () => void }) {
  const { canWrite } = useSession();
  const things = useApi<{ things: ThingSummary[] }>('/api/v1/things', { refreshMs: 5000 });
  const [policyName, setPolicyName] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);

  const downloadBundle = async (thingName: string): Promise<void> => {
    setError(undefined);
    setDone(undefined);
    setBusy(thingName);
    try {
      const response = await apiFetch<Response>(`/api/v1/things/${seg(thingName)}/certificate-bundle`, {
        method: 'POST',
        json: policyName ? { policyName } : {},
        as: 'response',
      });
      const filename = filenameFromDisposition(response.headers.get('content-disposition'), `${thingName}-certificates.zip`);
      const certificateId = response.headers.get('x-sluice-certificate-id');
      saveBlob(await response.blob(), filename);
      setDone(`Downloaded ${filename}${certificateId ? ` (certificate ${certificateId.slice(0, 12)}…, ACTIVE${policyName ? `, policy ${policyName}` : ''})` : ''}.`);
      onCertificateCreated();
      things.reload();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <div class="panel">
      <h2>Things</h2>
      <ErrorNotice error={things.error} title="Could not load things" />
      {canWrite ? (
        <>
          <CreateThingForm
            onCreated={(name, withBundle) => {
              things.reload();
              if (withBundle) void downloadBundle(name);
            }}
          />
          <label>
            Policy to attach to new certificates
            <select value={policyName} onChange={(event) => setPolicyName(event.currentTarget.value)}>
              <option value="">(none)</option>
              {policies.map((policy) => (
                <option key={policy.policyName} value={policy.policyName}>
                  {policy.policyName}
                </option>
              ))}
            </select>
          </label>
        </>
      ) : null}
      <ErrorNotice error={error} title="Certificate bundle failed" />
      <StatusNotice>{done}</StatusNotice>
      {things.data === undefined && things.loading ? <Loading what="things" /> : null}
      {things.data ? (
        things.data.things.length === 0 ? (
          <p class="muted">No things yet.</p>
        ) : (
          <table aria-label="Things">
            <thead>
              <tr>
                <th>Name</th>
                <th>Type</th>
                <th>Attributes</th>
                <th>Connection</th>
                <th>Last connected</th>
                {canWrite ? <th>Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {things.data.things.map((thing) => (
                <tr key={thing.thingName}>
                  <td>
                    <strong>{thing.thingName}</strong>
                  </td>
                  <td>{thing.thingTypeName ?? '—'}</td>
                  <td>
                    {Object.keys(thing.attributes).length === 0 ? (
                      <span class="muted">none</span>
                    ) : (
                      Object.entries(thing.attributes).map(([key, value]) => (
                        <div key={key}>
                          <code>{key}</code> = {value}
                        </div>
                      ))
                    )}
                  </td>
                  <td>
                    {thing.connection ? (
                      <>
                        <Badge value={thing.connection.connected ? 'connected' : 'disconnected'} />
                        {thing.connection.clientIds.length > 0 ? <div class="muted mono">{thing.connection.clientIds.join(', ')}</div> : null}
                      </>
                    ) : (
                      <span class="muted">unknown</span>
                    )}
                  </td>
                  <td>{formatTime(thing.connection?.lastConnectedAt)}</td>
                  {canWrite ? (
                    <td>
                      <button
                        type="button"
                        class="secondary"
                        disabled={busy === thing.thingName}
                        aria-label={`Download a new certificate bundle for ${thing.thingName}`}
                        onClick={() => void downloadBundle(thing.thingName)}
                      >
                        {busy === thing.thingName ? 'Creating…' : 'Download certificates'}
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
    </div>
  );
}

function CreateThingForm({ onCreated }: { onCreated: (name: string, withBundle: boolean) => void }) {
  const [name, setName] = useState('');
  const [attributes, setAttributes] = useState('');
  const [withBundle, setWithBundle] = useState(true);
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(undefined);
    setDone(undefined);
    try {
      const thingName = name.trim();
      if (thingName === '') throw new Error('enter a thing name');
      const parsed = parseAttributes(attributes);
      await apiFetch(`/api/v1/things/${seg(thingName)}`, { method: 'PUT', json: { attributes: parsed } });
      setDone(`Thing ${thingName} saved.`);
      setName('');
      setAttributes('');
      onCreated(thingName, withBundle);
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <form class="stack" onSubmit={(event) => void submit(event)} aria-label="Create a thing">
      <h3>Create a thing</h3>
      <div class="row">
        <label>
          Thing name
          <input value={name} onInput={(event) => setName(event.currentTarget.value)} size={28} />
        </label>
        <label>
          Attributes (one key=value per line)
          <textarea class="code" rows={2} cols={30} value={attributes} onInput={(event) => setAttributes(event.currentTarget.value)} />
        </label>
        <label class="inline">
          <input type="checkbox" checked={withBundle} onChange={(event) => setWithBundle(event.currentTarget.checked)} />
          Also download a certificate bundle
        </label>
        <button type="submit">Create thing</button>
      </div>
      <ErrorNotice error={error} title="Could not create the thing" />
      <StatusNotice>{done}</StatusNotice>
    </form>
  );
}

/** `key=value` lines → attributes; a line without `=` is an error naming the line. */
function parseAttributes(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const at = line.indexOf('=');
    if (at <= 0) throw new Error(`attributes line ${index + 1}: write key=value (got '${line}')`);
    attributes[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  });
  return attributes;
}
