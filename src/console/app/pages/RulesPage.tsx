import { useState } from 'preact/hooks';
import type { PageProps } from '../routes';
import { apiFetch, seg, useApi } from '../api';
import { useSession } from '../session';
import { href } from '../router';
import { Badge, ErrorNotice, Loading, PageHeader, StatusNotice, formatTime } from '../components';
import { RuleTester } from './rules/RuleTester';
import { DeadLettersSection } from './rules/DeadLettersSection';

export interface RuleMetrics {
  matches: number;
  actionSuccesses: number;
  actionFailures: number;
  lastFailure: { at: string; action: string; error: string } | null;
}

export interface RuleSummary {
  name: string;
  sql: string;
  sqlVersion?: string;
  enabled: boolean;
  topicFilter?: string;
  actions: Array<{ kind?: string } & Record<string, unknown>>;
  /** Absent on servers without per-rule metrics. */
  metrics?: RuleMetrics;
}

/** The rules with their metrics; one rule's SQL, "try it", enable/disable, failures and dead letters. */
export function RulesPage({ params }: PageProps) {
  const rules = useApi<{ rules: RuleSummary[] }>('/api/v1/rules', { refreshMs: 5000 });
  const selectedName = params.ruleName;
  const selected = rules.data?.rules.find((rule) => rule.name === selectedName);

  return (
    <section>
      <PageHeader title="Rules" />
      <ErrorNotice error={rules.error} title="Could not load rules" />
      {rules.data === undefined && rules.loading ? <Loading what="rules" /> : null}
      {rules.data ? <RulesTable rules={rules.data.rules} selectedName={selectedName} /> : null}
      {selectedName !== undefined && rules.data && !selected ? <ErrorNotice error={`no rule named '${selectedName}'`} /> : null}
      {selected ? <RuleDetail key={selected.name} rule={selected} onChanged={rules.reload} /> : null}
      <RuleTester
        key={selected?.name ?? ''}
        initialSql={selected?.sql ?? "SELECT * FROM 'device/+/devicePayload' WHERE humidity < 35"}
        sqlVersion={selected?.sqlVersion}
        heading={selected ? `SQL of ${selected.name}` : 'SQL editor'}
      />
    </section>
  );
}

function RulesTable({ rules, selectedName }: { rules: RuleSummary[]; selectedName: string | undefined }) {
  if (rules.length === 0) return <p class="muted">No rules deployed.</p>;
  return (
    <table aria-label="Rules">
      <thead>
        <tr>
          <th>Rule</th>
          <th>State</th>
          <th>Topic filter</th>
          <th class="num">Matches</th>
          <th class="num">Action successes</th>
          <th class="num">Action failures</th>
          <th>Last failure</th>
        </tr>
      </thead>
      <tbody>
        {rules.map((rule) => (
          <tr key={rule.name} class={rule.name === selectedName ? 'selected' : undefined}>
            <td>
              <a href={href(`/rules/${seg(rule.name)}`)}>{rule.name}</a>
            </td>
            <td>
              <Badge value={rule.enabled ? 'enabled' : 'disabled'} />
            </td>
            <td>
              <code>{rule.topicFilter ?? '—'}</code>
            </td>
            <td class="num">{rule.metrics?.matches ?? '—'}</td>
            <td class="num">{rule.metrics?.actionSuccesses ?? '—'}</td>
            <td class="num">{rule.metrics?.actionFailures ?? '—'}</td>
            <td>{rule.metrics?.lastFailure ? `${formatTime(rule.metrics.lastFailure.at)} ${rule.metrics.lastFailure.action}` : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RuleDetail({ rule, onChanged }: { rule: RuleSummary; onChanged: () => void }) {
  const { canWrite } = useSession();
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const toggle = async (enable: boolean): Promise<void> => {
    setError(undefined);
    setDone(undefined);
    setBusy(true);
    try {
      await apiFetch(`/api/v1/rules/${seg(rule.name)}/${enable ? 'enable' : 'disable'}`, { method: 'POST', json: {} });
      setDone(`Rule ${rule.name} ${enable ? 'enabled' : 'disabled'}.`);
      onChanged();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="panel">
      <div class="page-header">
        <h2>
          Rule {rule.name} <Badge value={rule.enabled ? 'enabled' : 'disabled'} />
        </h2>
        {canWrite ? (
          <div class="page-actions">
            {rule.enabled ? (
              <button type="button" class="danger" disabled={busy} onClick={() => void toggle(false)}>
                Disable rule
              </button>
            ) : (
              <button type="button" disabled={busy} onClick={() => void toggle(true)}>
                Enable rule
              </button>
            )}
          </div>
        ) : null}
      </div>
      <ErrorNotice error={error} title="Could not change the rule" />
      <StatusNotice>{done}</StatusNotice>
      <p>
        Actions:{' '}
        {rule.actions.length === 0
          ? 'none'
          : rule.actions.map((action, index) => (
              <code key={index} class="action-chip">
                {describeAction(action)}
              </code>
            ))}
      </p>
      <h3>Recent failures</h3>
      {rule.metrics?.lastFailure ? (
        <div class="notice notice-error">
          <strong>{formatTime(rule.metrics.lastFailure.at)}</strong> {rule.metrics.lastFailure.action}: {rule.metrics.lastFailure.error}
        </div>
      ) : (
        <p class="muted">{rule.metrics ? 'No failures.' : 'This server reports no per-rule metrics.'}</p>
      )}
      <DeadLettersSection ruleName={rule.name} onReplayed={onChanged} />
    </div>
  );
}

function describeAction(action: Record<string, unknown>): string {
  const kind = typeof action.kind === 'string' ? action.kind : Object.keys(action)[0] ?? 'action';
  const target = ['bucket', 'functionName', 'function', 'topic', 'url', 'series'].map((key) => action[key]).find((value) => typeof value === 'string');
  return target ? `${kind} → ${String(target)}` : kind;
}
