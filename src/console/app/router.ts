import { useEffect, useState } from 'preact/hooks';

/**
 * Hash routing (`#/rules`, `#/trace/<messageId>`): the server needs no
 * fallback route, and a link to a page is a plain URL.
 */
export function currentPath(): string {
  const hash = location.hash.replace(/^#/, '');
  return hash.startsWith('/') ? hash : '/overview';
}

export function useHashPath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const update = (): void => setPath(currentPath());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return path;
}

/** Goes to `path` (e.g. `/trace/abc`); segments are the caller's to encode. */
export function navigate(path: string): void {
  location.hash = `#${path}`;
}

/** The `href` for a route path. */
export function href(path: string): string {
  return `#${path}`;
}

/**
 * Matches `/trace/abc` against a pattern like `/trace/:messageId?`;
 * returns the decoded parameters or null. A `?` suffix makes a parameter optional.
 */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const [pathOnly] = path.split('?');
  const patternParts = pattern.split('/').filter(Boolean);
  const pathParts = (pathOnly ?? '').split('/').filter(Boolean);
  if (pathParts.length > patternParts.length) return null;
  const params: Record<string, string> = {};
  for (let index = 0; index < patternParts.length; index += 1) {
    const part = patternParts[index] ?? '';
    const value = pathParts[index];
    if (part.startsWith(':')) {
      const optional = part.endsWith('?');
      const name = part.slice(1, optional ? -1 : undefined);
      if (value === undefined) {
        if (!optional) return null;
        continue;
      }
      params[name] = decodeURIComponent(value);
    } else if (part !== value) {
      return null;
    }
  }
  return params;
}

/** The query string part of the hash (`#/readings?device=x` → URLSearchParams). */
export function hashQuery(): URLSearchParams {
  const hash = location.hash;
  const index = hash.indexOf('?');
  return new URLSearchParams(index === -1 ? '' : hash.slice(index + 1));
}
