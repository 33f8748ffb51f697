import { useState } from 'preact/hooks';
import type { PageProps } from '../routes';
import { seg, useApi } from '../api';
import { hashQuery, href, navigate } from '../router';
import { ErrorNotice, Loading, PageHeader, formatTime } from '../components';
import { ObjectLink } from './trace-timeline';

interface Bucket {
  name: string;
  driver: string;
}

interface ObjectPage {
  bucket: string;
  prefix: string;
  objects: Array<{ key: string; size: number; lastModified: string }>;
  isTruncated: boolean;
  nextStartAfter?: string;
}

const PAGE_SIZE = 50;

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** `#/storage`: the buckets; `#/storage/<bucket>?prefix=...`: its objects under a prefix, a page at a time, each downloadable. */
export function StoragePage({ params }: PageProps) {
  const bucket = params.bucket;
  const { data, error, loading } = useApi<{ buckets: Bucket[] }>('/api/v1/buckets');
  return (
    <section>
      <PageHeader title="Storage" />
      <ErrorNotice error={error} title="Buckets" />
      {data === undefined ? (
        loading ? <Loading what="buckets" /> : null
      ) : data.buckets.length === 0 ? (
        <p class="muted">No buckets.</p>
      ) : (
        <nav aria-label="Buckets">
          <ul class="pills">
            {data.buckets.map((b) => (
              <li key={b.name}>
                <a href={href(`/storage/${seg(b.name)}`)} aria-current={b.name === bucket ? 'page' : undefined}>
                  {b.name}
                </a>{' '}
                <span class="muted">({b.driver})</span>
              </li>
            ))}
          </ul>
        </nav>
      )}
      {bucket ? <ObjectBrowser key={bucket} bucket={bucket} initialPrefix={hashQuery().get('prefix') ?? ''} /> : null}
    </section>
  );
}

function ObjectBrowser({ bucket, initialPrefix }: { bucket: string; initialPrefix: string }) {
  const [prefix, setPrefix] = useState(initialPrefix);
  const [draft, setDraft] = useState(initialPrefix);
  // The startAfter of every page before the current one, so "Previous" can go back.
  const [pages, setPages] = useState<string[]>([]);
  const startAfter = pages.at(-1);
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (prefix !== '') query.set('prefix', prefix);
  if (startAfter !== undefined) query.set('startAfter', startAfter);
  const { data, error, loading, reload } = useApi<ObjectPage>(`/api/v1/buckets/${seg(bucket)}/objects?${query.toString()}`);

  const applyPrefix = (event: Event): void => {
    event.preventDefault();
    setPrefix(draft);
    setPages([]);
    navigate(`/storage/${seg(bucket)}${draft ? `?prefix=${encodeURIComponent(draft)}` : ''}`);
  };

  return (
    <article class="panel" aria-label={`Objects in ${bucket}`}>
      <h2>Objects in {bucket}</h2>
      <form class="row" onSubmit={applyPrefix}>
        <label>
          Prefix
          <input type="text" value={draft} placeholder="device/soilSensor2/" onInput={(event) => setDraft(event.currentTarget.value)} />
        </label>
        <button type="submit" class="secondary">
          List
        </button>
        <button type="button" class="secondary" onClick={reload}>
          Refresh
        </button>
      </form>
      <ErrorNotice error={error} title="Objects" />
      {data === undefined ? (
        loading ? <Loading what="objects" /> : null
      ) : data.objects.length === 0 ? (
        <p class="muted">No objects{prefix ? ` under ${prefix}` : ''}.</p>
      ) : (
        <table class="table" aria-label="Objects">
          <thead>
            <tr>
              <th>Key (click to download)</th>
              <th>Size</th>
              <th>Last modified</th>
            </tr>
          </thead>
          <tbody>
            {data.objects.map((object) => (
              <tr key={object.key}>
                <td>
                  <ObjectLink bucket={bucket} objectKey={object.key} />
                </td>
                <td>{formatSize(object.size)}</td>
                <td>{formatTime(object.lastModified)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="pager">
        <button type="button" class="secondary" disabled={pages.length === 0} onClick={() => setPages((p) => p.slice(0, -1))}>
          Previous page
        </button>
        <span class="muted"> Page {pages.length + 1} </span>
        <button
          type="button"
          class="secondary"
          disabled={!data?.isTruncated || data.nextStartAfter === undefined}
          onClick={() => {
            const next = data?.nextStartAfter;
            if (next !== undefined) setPages((p) => [...p, next]);
          }}
        >
          Next page
        </button>
      </div>
    </article>
  );
}
