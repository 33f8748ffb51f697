import { useState } from 'preact/hooks';
import { apiFetch, seg, useApi } from '../../api';
import { useSession } from '../../session';
import { Badge, ErrorNotice, Loading, StatusNotice, formatTime } from '../../components';

interface CertificateSummary {
  certificateId: string;
  status: string;
  origin?: string;
  validity?: { notBefore: string; notAfter: string };
  creationDate: string;
  things: string[];
  policyNames: string[];
}

/** The statuses an operator may set (PUT /api/v1/certificates/:id/status). REVOKED is final. */
const SETTABLE = ['ACTIVE', 'INACTIVE', 'REVOKED'] as const;

export function CertificatesSection() {
  const { canWrite } = useSession();
  const certificates = useApi<{ certificates: CertificateSummary[] }>('/api/v1/certificates', { refreshMs: 10_000 });
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);

  const setStatus = async (certificateId: string, status: string): Promise<void> => {
    setError(undefined);
    setDone(undefined);
    try {
      await apiFetch(`/api/v1/certificates/${seg(certificateId)}/status`, { method: 'PUT', json: { status } });
      setDone(`Certificate ${certificateId.slice(0, 12)}… is now ${status}.`);
      certificates.reload();
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <div class="panel">
      <h2>Certificates</h2>
      <ErrorNotice error={certificates.error} title="Could not load certificates" />
      <ErrorNotice error={error} title="Status change failed" />
      <StatusNotice>{done}</StatusNotice>
      {certificates.data === undefined && certificates.loading ? <Loading what="certificates" /> : null}
      {certificates.data ? (
        certificates.data.certificates.length === 0 ? (
          <p class="muted">No certificates.</p>
        ) : (
          <table aria-label="Certificates">
            <thead>
              <tr>
                <th>Certificate</th>
                <th>Status</th>
                <th>Things</th>
                <th>Policies</th>
                <th>Valid until</th>
                <th>Created</th>
                {canWrite ? <th>Change status</th> : null}
              </tr>
            </thead>
            <tbody>
              {certificates.data.certificates.map((certificate) => (
                <tr key={certificate.certificateId} data-certificate-id={certificate.certificateId}>
                  <td>
                    <code title={certificate.certificateId}>{certificate.certificateId.slice(0, 12)}…</code>
                  </td>
                  <td>
                    <Badge value={certificate.status} />
                  </td>
                  <td>{certificate.things.join(', ') || '—'}</td>
                  <td>{certificate.policyNames.join(', ') || '—'}</td>
                  <td>{formatTime(certificate.validity?.notAfter)}</td>
                  <td>{formatTime(certificate.creationDate)}</td>
                  {canWrite ? (
                    <td>
                      <StatusChanger certificate={certificate} onApply={setStatus} />
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

function StatusChanger({ certificate, onApply }: { certificate: CertificateSummary; onApply: (id: string, status: string) => Promise<void> }) {
  const [status, setStatus] = useState(certificate.status);
  if (certificate.status === 'REVOKED') return <span class="muted">final</span>;
  return (
    <div class="row">
      <label>
        <span class="visually-hidden">Status of certificate {certificate.certificateId}</span>
        <select value={status} onChange={(event) => setStatus(event.currentTarget.value)}>
          {SETTABLE.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </label>
      <button
        type="button"
        class={status === 'REVOKED' ? 'danger' : 'secondary'}
        disabled={status === certificate.status}
        aria-label={`Set status of certificate ${certificate.certificateId}`}
        onClick={() => void onApply(certificate.certificateId, status)}
      >
        Set status
      </button>
    </div>
  );
}
