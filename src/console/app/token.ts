/**
 * Where the API token lives in the browser: sessionStorage by default (gone
 * when the tab closes), localStorage only when the operator ticks
 * "remember me". Signing out clears both.
 */
const KEY = 'sluice.console.token';

type Listener = (token: string | null) => void;
const listeners = new Set<Listener>();
let current: string | null = takeTokenFromLink() ?? readStored();

/**
 * `sluice up --insecure` (the demo) prints a console link carrying the admin
 * token in the fragment, which browsers never send to the server: the token
 * is taken once, kept for this session only, and removed from the address bar
 * and history, so opening the printed URL is all it takes to see the demo.
 */
function takeTokenFromLink(): string | null {
  const match = /^#token=([^&]+)$/.exec(location.hash);
  if (!match?.[1]) return null;
  const token = decodeURIComponent(match[1]);
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // Not persisted; the token still works for this page load.
  }
  // Straight to the live client, subscribed to everything: the demo's messages flowing.
  history.replaceState(null, '', `${location.pathname}${location.search}#/live?subscribe=${encodeURIComponent('#')}`);
  return token;
}

function readStored(): string | null {
  try {
    return sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY);
  } catch {
    // Storage can be disabled (privacy settings); the console then asks for the token on every load.
    return null;
  }
}

export function currentToken(): string | null {
  return current;
}

export function storeToken(token: string, remember: boolean): void {
  clearStoredToken();
  try {
    (remember ? localStorage : sessionStorage).setItem(KEY, token);
  } catch {
    // Not persisted; the token still works for this page load.
  }
  current = token;
  for (const listener of listeners) listener(current);
}

export function clearStoredToken(): void {
  try {
    sessionStorage.removeItem(KEY);
    localStorage.removeItem(KEY);
  } catch {
    // Nothing stored.
  }
  if (current !== null) {
    current = null;
    for (const listener of listeners) listener(current);
  }
}

/** Called with the new token (or null) whenever it changes; returns the unsubscribe function. */
export function onTokenChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
