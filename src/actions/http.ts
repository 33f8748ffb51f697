/**
 * The `http` action (AWS IoT "HTTPS rule action", HttpAction): POSTs the
 * SELECT output to a URL. Failures are classified for the retry policy:
 *
 * | outcome | retryable |
 * |---|---|
 * | 2xx | success |
 * | 408, 429, 5xx | yes: the service is busy, down or slow, which ends |
 * | network error (refused, reset, DNS), timeout | yes |
 * | 3xx | no: redirects are not followed (see below) |
 * | other 4xx, bad URL or header value after rendering | no: retrying sends the same request |
 *
 * Redirects are not followed: a 301/302/303 would turn the POST into a GET and
 * drop the payload, and following one would send device data to a URL the
 * stack does not name. A 3xx is reported, with its `location`, so the stack
 * can be fixed.
 */
import { errorMessage } from '../core/index.js';
import { ActionError } from './action-error.js';
import { httpResource, type ActionInput, type ActionTarget } from './model.js';

export type HttpTarget = Extract<ActionTarget, { kind: 'http' }>;

/** The longest excerpt of a response body quoted in an error message, in characters. */
const EXCERPT_CHARS = 200;

/** Runs one `http` action; resolves on a 2xx, throws an ActionError otherwise. */
export async function postHttp(target: HttpTarget, input: ActionInput, jobId: string): Promise<void> {
  const where = httpResource(target.url);
  const url = checkedUrl(target.url);
  const headers = requestHeaders(target, input, jobId);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers,
      body: input.payload,
      redirect: 'manual',
      // One deadline (ms) for the whole exchange: connect, send, response headers, and the body excerpt read below.
      signal: AbortSignal.timeout(target.timeoutMs),
    });
  } catch (error) {
    throw new ActionError(`POST ${where} ${describeFailure(error, target.timeoutMs)}`, { retryable: true, cause: error });
  }

  if (response.status >= 200 && response.status < 300) {
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  const location = response.status >= 300 && response.status < 400 ? response.headers.get('location') : null;
  const redirect = location !== null && URL.canParse(location, url.href) ? ` (redirect to ${httpResource(new URL(location, url).href)} not followed)` : '';
  const body = await excerpt(response);
  const details = `${redirect}${body ? `: ${body}` : ''}`;
  throw new ActionError(`POST ${where} answered HTTP ${response.status}${details}`, { retryable: isRetryableStatus(response.status) });
}

/** 408 Request Timeout and 429 Too Many Requests ask the client to try again; 5xx are the server's own failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/** The rendered URL must still be http(s) without credentials: a template can render anything. */
function checkedUrl(text: string): URL {
  // The text itself stays out of the message: it may hold a query-string key or credentials.
  if (!URL.canParse(text)) throw new ActionError('http action URL does not parse after rendering its templates', { retryable: false });
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ActionError(`http action URL must be http or https, not ${url.protocol}`, { retryable: false });
  }
  if (url.username || url.password) throw new ActionError('http action URL must not contain credentials', { retryable: false });
  return url;
}

/**
 * Defaults first, so a stack's own `content-type` or `user-agent` wins; a key
 * the stack repeats is sent repeated. `x-sluice-job-id` is set last and
 * always: it is the same on every attempt at one job (the id is stable for a
 * message, rule and action), so a receiver can de-duplicate the retries that
 * at-least-once delivery brings.
 */
function requestHeaders(target: HttpTarget, input: ActionInput, jobId: string): Headers {
  const headers = new Headers({
    'content-type': input.value === undefined ? 'application/octet-stream' : 'application/json',
    'user-agent': 'sluice',
  });
  const seen = new Set<string>();
  for (const { key, value } of target.headers) {
    try {
      if (seen.has(key.toLowerCase())) headers.append(key, value);
      else headers.set(key, value);
    } catch (error) {
      // A rendered value with a line break or a non-Latin-1 character: the same on every attempt.
      throw new ActionError(`http action header '${key}' has an invalid value after rendering its templates`, { retryable: false, cause: error });
    }
    seen.add(key.toLowerCase());
  }
  headers.set('x-sluice-job-id', jobId);
  return headers;
}

/** fetch rejects with a TimeoutError for the signal, or a TypeError whose cause is the socket error. */
function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: unknown }).code;
    const message = cause.message || errorMessage(cause);
    return `failed: ${typeof code === 'string' && !message.includes(code) ? `${code} ` : ''}${message}`;
  }
  return `failed: ${errorMessage(error)}`;
}

/** The start of the response body, whitespace collapsed, at most EXCERPT_CHARS; reads no more than it needs. */
async function excerpt(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    // Twice the excerpt leaves room for whitespace that collapses.
    while (text.length < EXCERPT_CHARS * 2) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
  } catch {
    // A body cut short (or timed out) still gives what arrived.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS - 1)}…` : flat;
}
