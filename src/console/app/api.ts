import { useCallback, useEffect, useState } from 'preact/hooks';
import { clearStoredToken, currentToken } from './token';

/** Where in the user's input a server error points (same shape as the server's ErrorPlace). */
export interface ErrorPlace {
  file?: string;
  line?: number;
  column?: number;
  field?: string;
}

/** A non-2xx answer from the API, carrying the server's own message, code and place. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly place: ErrorPlace | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, message: string, extra: { code?: string; place?: ErrorPlace; details?: Record<string, unknown> } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = extra.code;
    this.place = extra.place;
    this.details = extra.details;
  }
}

export interface ApiFetchInit extends Omit<RequestInit, 'body'> {
  /** A JSON-serialisable body (sent with content-type application/json), or a raw BodyInit. */
  json?: unknown;
  body?: BodyInit | null;
  /** Use this token instead of the signed-in one (the sign-in form checks a candidate token). */
  token?: string;
  /** How to read a 2xx answer: 'json' (default), 'text', 'blob' or 'response' (the raw Response). */
  as?: 'json' | 'text' | 'blob' | 'response';
}

/**
 * Calls the Sluice API with the bearer token. 2xx → the parsed body (204 → undefined);
 * anything else → ApiError with the server's message. A 401 for the signed-in token
 * signs the operator out (the token was revoked or expired).
 */
export async function apiFetch<T>(path: string, init: ApiFetchInit = {}): Promise<T> {
  const { json, token: explicitToken, as = 'json', headers: givenHeaders, ...rest } = init;
  const headers = new Headers(givenHeaders);
  const token = explicitToken ?? currentToken();
  if (token) headers.set('authorization', `Bearer ${token}`);
  let body = rest.body;
  if (json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(json);
  }
  let response: Response;
  try {
    response = await fetch(path, { ...rest, headers, body });
  } catch (error) {
    throw new ApiError(0, `cannot reach the Sluice server (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!response.ok) {
    const error = await errorFromResponse(response);
    if (response.status === 401 && explicitToken === undefined && token !== null) clearStoredToken();
    throw error;
  }
  if (as === 'response') return response as T;
  if (as === 'blob') return (await response.blob()) as T;
  if (as === 'text') return (await response.text()) as T;
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

async function errorFromResponse(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string; place?: ErrorPlace; details?: Record<string, unknown> } };
    if (parsed.error?.message) {
      return new ApiError(response.status, parsed.error.message, {
        code: parsed.error.code,
        place: parsed.error.place,
        details: parsed.error.details,
      });
    }
  } catch {
    // Not JSON (a proxy error page, say): fall through to the status line.
  }
  if (response.status === 404) return new ApiError(404, `${response.url.replace(location.origin, '')}: not found on this server (${text.slice(0, 200) || 'no details'})`);
  return new ApiError(response.status, `HTTP ${response.status} ${response.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`);
}

export interface ApiState<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * GETs `path` (null: nothing to load yet) and, with `refreshMs`, again every
 * refreshMs milliseconds. A failed refresh keeps the last data and sets `error`.
 */
export function useApi<T>(path: string | null, options: { refreshMs?: number } = {}): ApiState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(path !== null);
  const [generation, setGeneration] = useState(0);

  const reload = useCallback(() => setGeneration((value) => value + 1), []);

  // A new path shows nothing from the previous one.
  useEffect(() => {
    setData(undefined);
    setError(undefined);
  }, [path]);

  useEffect(() => {
    if (path === null) {
      setLoading(false);
      return undefined;
    }
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async (): Promise<void> => {
      setLoading(true);
      try {
        const result = await apiFetch<T>(path);
        if (cancelled) return;
        setData(result);
        setError(undefined);
      } catch (caught) {
        if (cancelled) return;
        setError(caught instanceof ApiError ? caught : new ApiError(0, String(caught)));
      } finally {
        if (!cancelled) {
          setLoading(false);
          if (options.refreshMs !== undefined) timer = setTimeout(() => void load(), options.refreshMs);
        }
      }
    };
    void load();
    return () => {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [path, generation, options.refreshMs]);

  return { data, error, loading, reload };
}

/** Percent-encodes one path segment (names may contain characters that mean something in a URL). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/** Saves a Blob as a file with the given name (the browser's download). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = filename;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The filename from a content-disposition header, or the fallback. */
export function filenameFromDisposition(header: string | null, fallback: string): string {
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header ?? '');
  return match?.[1] ? decodeURIComponent(match[1]) : fallback;
}
