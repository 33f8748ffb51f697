import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, apiFetch } from './api';
import { clearStoredToken, currentToken, onTokenChange, storeToken } from './token';

export type Role = 'admin' | 'read-only';

export interface Session {
  /** The API token the operator signed in with; null when signed out. */
  token: string | null;
  /** From GET /api/v1/whoami; null while unknown. */
  role: Role | null;
  /** Whether controls that change something are shown (admin only). */
  canWrite: boolean;
  /** True while a stored token is being checked on load. */
  checking: boolean;
  /** Checks the token with the server (throws ApiError with its message) and keeps it. */
  signIn: (token: string, remember: boolean) => Promise<void>;
  signOut: () => void;
}

const SessionContext = createContext<Session | null>(null);

interface WhoAmI {
  role: Role;
}

export function SessionProvider({ children }: { children: ComponentChildren }) {
  const [token, setToken] = useState<string | null>(currentToken());
  const [role, setRole] = useState<Role | null>(null);
  const [checking, setChecking] = useState(currentToken() !== null);

  // apiFetch clears the stored token on a 401 (revoked or expired): follow it here.
  useEffect(
    () =>
      onTokenChange((next) => {
        setToken(next);
        if (next === null) setRole(null);
      }),
    [],
  );

  // A token remembered from an earlier visit is checked once on load.
  useEffect(() => {
    const stored = currentToken();
    if (stored === null) return;
    apiFetch<WhoAmI>('/api/v1/whoami', { token: stored })
      .then((answer) => setRole(answer.role))
      .catch((error: unknown) => {
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) clearStoredToken();
      })
      .finally(() => setChecking(false));
  }, []);

  const signIn = useCallback(async (candidate: string, remember: boolean) => {
    const trimmed = candidate.trim();
    if (trimmed === '') throw new ApiError(0, 'enter an API token (the admin token is in <data>/admin-token)');
    const answer = await apiFetch<WhoAmI>('/api/v1/whoami', { token: trimmed });
    storeToken(trimmed, remember);
    setRole(answer.role);
  }, []);

  const signOut = useCallback(() => {
    clearStoredToken();
    setRole(null);
    location.hash = '#/overview';
  }, []);

  const value = useMemo<Session>(
    () => ({ token, role, canWrite: role === 'admin', checking, signIn, signOut }),
    [token, role, checking, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession() outside <SessionProvider>');
  return session;
}
