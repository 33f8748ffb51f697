import type { ComponentChildren } from 'preact';
import { ApiError } from './api';

/** An error the operator should read: `role="alert"` so screen readers (and tests) find it. */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  if (error === undefined || error === null) return null;
  const message = error instanceof Error ? error.message : String(error);
  const status = error instanceof ApiError && error.status > 0 ? ` (HTTP ${error.status})` : '';
  return (
    <div class="notice notice-error" role="alert">
      {title ? <strong>{title}: </strong> : null}
      {message}
      {status}
    </div>
  );
}

/** A success or information line (`role="status"`). */
export function StatusNotice({ children }: { children: ComponentChildren }) {
  if (children === undefined || children === null || children === false || children === '') return null;
  return (
    <div class="notice notice-ok" role="status">
      {children}
    </div>
  );
}

export function Loading({ what }: { what?: string }) {
  return <p class="muted" aria-live="polite">Loading{what ? ` ${what}` : ''}…</p>;
}

/** The page heading and an optional row of controls beside it. */
export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <header class="page-header">
      <h1>{title}</h1>
      {children ? <div class="page-actions">{children}</div> : null}
    </header>
  );
}

/** A coloured word for a status: ok/active/connected green, failed/error/revoked red, others grey. */
export function Badge({ value }: { value: string }) {
  const lower = value.toLowerCase();
  const tone = /^(ok|active|connected|enabled|confirmed|delivered|success|sent)$/.test(lower)
    ? 'good'
    : /(fail|error|revoked|dead|disconnected|disabled|bounced)/.test(lower)
      ? 'bad'
      : /(pending|retry|queued|inactive)/.test(lower)
        ? 'warn'
        : 'neutral';
  return <span class={`badge badge-${tone}`}>{value}</span>;
}

/** `2026-11-27 03:42:13` in local time; '—' for nothing. */
export function formatTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** `HH:MM:SS.mmm` for message lists. */
export function formatClock(value: number): string {
  const date = new Date(value);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** `850 ms`, `1.2 s`; '—' for nothing. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms * 10) / 10} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** Pretty-prints text that is JSON; other text comes back unchanged. */
export function prettyJson(text: string): string {
  const trimmed = text.trim();
  if (!(trimmed.startsWith('{') || trimmed.startsWith('['))) return text;
  try {
    return JSON.stringify(JSON.parse(trimmed), null, 2);
  } catch {
    return text;
  }
}
