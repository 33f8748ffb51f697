import { useState } from 'preact/hooks';
import { useSession } from '../session';
import { ErrorNotice } from '../components';

/** Sign-in with the admin token or a read-only token; the server's whoami decides the role. */
export function SignInPage() {
  const session = useSession();
  const [token, setToken] = useState('');
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await session.signIn(token, remember);
      if (!location.hash.startsWith('#/')) location.hash = '#/overview';
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin">
      <h1>Sign in to Sluice</h1>
      <p class="muted">
        Use the admin token (in <code>&lt;data&gt;/admin-token</code>) or a read-only token from <code>sluice token create</code>.
      </p>
      <form onSubmit={(event) => void submit(event)}>
        <label>
          API token
          <input
            type="password"
            name="token"
            autoComplete="current-password"
            value={token}
            onInput={(event) => setToken(event.currentTarget.value)}
            required
            autoFocus
          />
        </label>
        <label class="inline">
          <input type="checkbox" checked={remember} onChange={(event) => setRemember(event.currentTarget.checked)} />
          Remember me on this browser
        </label>
        <ErrorNotice error={error} title="Sign-in failed" />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
