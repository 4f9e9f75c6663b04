import { useCallback, useEffect, useState } from 'react';
import { api, can, Me, onUnauthorized, Workspace } from './api';
import { navigate, usePath } from './router';
import { Link } from './components/Link';
import { LoginPage, ChangePasswordPage } from './pages/Login';
import { ConnectionsPage } from './pages/Connections';
import { ActorsPage } from './pages/Actors';
import { NewActorPage } from './pages/NewActor';
import { NewCustomConnectorPage } from './pages/NewCustomConnector';
import { NewConnectionPage } from './pages/NewConnection';
import { ConnectionPage } from './pages/ConnectionPage';
import { ErrorBox } from './components/ErrorBox';
import { SettingsPage } from './pages/Settings';
import { SetupPage } from './pages/Setup';
import { DashboardPage } from './pages/Dashboard';
import { ActorPage } from './pages/ActorPage';
import { MeContext } from './session';

type Session = { state: 'loading' } | { state: 'anonymous' } | { state: 'error'; error: unknown } | { state: 'in'; me: Me };

export default function App() {
  const [session, setSession] = useState<Session>({ state: 'loading' });

  const refresh = useCallback(async () => {
    // auth/session never answers 401 (which a browser would report in its console); with
    // --no-auth it answers an admin at once.
    try {
      const answer = await api<Me & { authenticated: boolean }>('auth/session');
      setSession(answer.authenticated ? { state: 'in', me: answer } : { state: 'anonymous' });
    } catch (e) {
      setSession({ state: 'error', error: e });
    }
  }, []);

  useEffect(() => {
    refresh();
    onUnauthorized(() => setSession({ state: 'anonymous' }));
    return () => onUnauthorized(null);
  }, [refresh]);

  if (session.state === 'loading') return <p className="loading">Loading…</p>;
  if (session.state === 'error') {
    return (
      <main className="centered">
        <ErrorBox error={session.error} />
        <button onClick={refresh}>Try again</button>
      </main>
    );
  }
  if (session.state === 'anonymous') {
    return (
      <LoginPage onLoggedIn={refresh} />
    );
  }
  if (session.me.mustChangePassword) return <ChangePasswordPage me={session.me} onChanged={refresh} />;
  return <FirstRun me={session.me} onLoggedOut={() => setSession({ state: 'anonymous' })} />;
}

/** The first-run setup while the workspace's initialSetupComplete is false (for those who may
 *  change the settings; others go straight in), then the shell. */
function FirstRun({ me, onLoggedOut }: { me: Me; onLoggedOut: () => void }) {
  const mayChange = can(me, 'manage_settings');
  const [workspace, setWorkspace] = useState<Workspace | null | 'done'>(mayChange ? null : 'done');
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!mayChange) return;
    api<Workspace>('workspaces/get')
      .then((w) => setWorkspace(w.initialSetupComplete ? 'done' : w))
      .catch(setError);
  }, [mayChange]);
  if (error) {
    return (
      <main className="centered">
        <ErrorBox error={error} />
      </main>
    );
  }
  if (workspace === null) return <p className="loading">Loading…</p>;
  if (workspace !== 'done') return <SetupPage workspace={workspace} onDone={() => setWorkspace('done')} />;
  return <Shell me={me} onLoggedOut={onLoggedOut} />;
}

// Each item with the permission its page needs (a viewer sees the connections' status only).
const NAV = [
  { href: '/connections', label: 'Connections', permission: 'read_status' },
  { href: '/sources', label: 'Sources', permission: 'read_configs' },
  { href: '/destinations', label: 'Destinations', permission: 'read_configs' },
  { href: '/dashboard', label: 'Dashboard', permission: 'read_jobs' },
  { href: '/settings', label: 'Settings', permission: 'read_status' },
];

function Shell({ me, onLoggedOut }: { me: Me; onLoggedOut: () => void }) {
  const path = usePath();
  useEffect(() => {
    if (path === '/' || path === '/login') navigate('/connections', true);
  }, [path]);

  const logout = async () => {
    try {
      await api('auth/logout');
    } finally {
      navigate('/', true);
      onLoggedOut();
    }
  };

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/connections" className="brand">
          sluice
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((item) => can(me, item.permission)).map((item) => (
              <li key={item.href}>
                <Link href={item.href} aria-current={path.startsWith(item.href) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="user">
          <span title={me.user.role}>{me.user.email ?? me.user.name}</span>
          {me.authMethod !== 'none' && (
            <button className="secondary small" onClick={logout}>
              Log out
            </button>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <MeContext.Provider value={me}>
          <Page path={path} me={me} />
        </MeContext.Provider>
      </main>
    </div>
  );
}

function Page({ path, me }: { path: string; me: Me }) {
  if (path === '/settings' || path === '/settings/') return <SettingsPage me={me} />;
  if (path === '/' || path === '/login' || path === '/connections' || path === '/connections/') return <ConnectionsPage me={me} />;
  const needed = /^\/(sources|destinations|connections)\/new\/?$|^\/sources\/custom\/new\/?$/.test(path)
    ? 'edit_configs'
    : path.startsWith('/dashboard')
      ? 'read_jobs'
      : 'read_configs';
  if (!can(me, needed)) {
    return (
      <section>
        <h1>Not for your role</h1>
        <p>
          Your role ({me.user.role.replace('_', ' ')}) cannot open this page. <Link href="/connections">Go to the connections</Link>.
        </p>
      </section>
    );
  }
  if (path === '/connections/new') return <NewConnectionPage />;
  const connection = /^\/connections\/([^/]+)\/?$/.exec(path);
  if (connection) return <ConnectionPage key={connection[1]} id={decodeURIComponent(connection[1])} />;
  if (path === '/sources') return <ActorsPage kind="source" />;
  if (path === '/destinations') return <ActorsPage kind="destination" />;
  if (path === '/sources/new') return <NewActorPage kind="source" />;
  if (path === '/sources/custom/new' || path === '/sources/custom/new/') return <NewCustomConnectorPage />;
  if (path === '/destinations/new') return <NewActorPage kind="destination" />;
  const actor = /^\/(source|destination)s\/([^/]+)\/?$/.exec(path);
  if (actor) {
    const kind = actor[1] as 'source' | 'destination';
    return <ActorPage key={actor[2]} kind={kind} id={decodeURIComponent(actor[2])} />;
  }
  if (path === '/dashboard' || path === '/dashboard/') return <DashboardPage />;
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link href="/connections">Go to the connections</Link>.
      </p>
    </section>
  );
}
