import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { routes } from './routes';
import { href, matchPath, useHashPath } from './router';
import { useSession } from './session';
import { useMqtt } from './mqtt';
import { SignInPage } from './pages/SignInPage';
import { Badge } from './components';

/** The layout: a sidebar with one link per page, the signed-in role, and the page of the current hash. */
export function App() {
  const session = useSession();
  const path = useHashPath();

  if (session.checking) return <p class="muted center">Checking the saved token…</p>;
  if (session.token === null || session.role === null) return <SignInPage />;

  const match = routes
    .map((route) => ({ route, params: matchPath(route.pattern, path) }))
    .find((candidate) => candidate.params !== null);

  return (
    <div class="layout">
      <aside class="sidebar">
        <div class="sidebar-inner">
          <div class="brand">Sluice</div>
          <nav aria-label="Main">
            <ul>
              {routes.map((route) => {
                const active = match?.route === route;
                return (
                  <li key={route.navPath}>
                    <a href={href(route.navPath)} class={active ? 'active' : undefined} aria-current={active ? 'page' : undefined}>
                      {route.title}
                    </a>
                  </li>
                );
              })}
            </ul>
          </nav>
          <div class="sidebar-footer">
            <ConnectionBadge />
            <p>
              Signed in as <strong>{session.role}</strong>
            </p>
            <button type="button" class="secondary" onClick={session.signOut}>
              Sign out
            </button>
          </div>
        </div>
      </aside>
      <main class="content">
        {match ? (
          <RoutedPage key={match.route.pattern} title={match.route.title}>
            <match.route.component params={match.params ?? {}} />
          </RoutedPage>
        ) : (
          <NotFound path={path} />
        )}
      </main>
    </div>
  );
}

function RoutedPage({ title, children }: { title: string; children: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · Sluice`;
  }, [title]);
  return <>{children}</>;
}

function ConnectionBadge() {
  const { state, error } = useMqtt();
  return (
    <p class="connection" title={error}>
      MQTT: <Badge value={state === 'connected' ? 'connected' : state} />
    </p>
  );
}

function NotFound({ path }: { path: string }) {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no page at <code>#{path}</code>. Go to the <a href={href('/overview')}>overview</a>.
      </p>
    </section>
  );
}
