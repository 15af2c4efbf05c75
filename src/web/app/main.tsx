import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, setCsrfToken, setUnauthorizedHandler } from './api.js';
import { AccountNav, Shell } from './components/layout.js';
import { Loading, Notice, PageHeading } from './components/ui.js';
import { AccountsPage } from './pages/accounts.js';
import { ApiAuthorizationPage } from './pages/api-authorization.js';
import { AuditPage } from './pages/audit.js';
import { BackupsPage } from './pages/backups.js';
import { ContextPage } from './pages/context.js';
import { OperatorTokensPage } from './pages/operator-tokens.js';
import { OperatorsPage } from './pages/operators.js';
import { PoliciesPage } from './pages/policies.js';
import { PolicyEditorPage } from './pages/policy-editor.js';
import { PolicyLogsPage } from './pages/policy-logs.js';
import { SignInPage } from './pages/sign-in.js';
import { navigate, parseRoute, type Route, usePath } from './router.js';

type Session = { username: string } | null | 'checking';

function Page({ route, username }: { route: Route; username: string }) {
  switch (route.name) {
    case 'accounts':
      return <AccountsPage />;
    case 'audit':
      return <AuditPage accountId={null} />;
    case 'operator-tokens':
      return <OperatorTokensPage />;
    case 'operators':
      return <OperatorsPage username={username} />;
    case 'backups':
      return <BackupsPage />;
    case 'policy-editor':
      return (
        <>
          <AccountNav accountId={route.accountId} current="policies" />
          <PolicyEditorPage
            key={`${route.accountId}/${route.policyId}`}
            accountId={route.accountId}
            policyId={route.policyId}
          />
        </>
      );
    case 'account': {
      const { accountId, section } = route;
      const pages = {
        'api-authorization': ApiAuthorizationPage,
        policies: PoliciesPage,
        context: ContextPage,
        'policy-logs': PolicyLogsPage,
        audit: AuditPage,
      } as const;
      const Section = pages[section];
      return (
        <>
          <AccountNav accountId={accountId} current={section} />
          <Section key={accountId} accountId={accountId} />
        </>
      );
    }
    default:
      return (
        <>
          <PageHeading title="Page not found">Page not found</PageHeading>
          <p>
            There is no page at this address. Go to the <a href="/accounts">accounts</a>.
          </p>
        </>
      );
  }
}

function App() {
  const path = usePath();
  const route = parseRoute(path);
  const [session, setSession] = useState<Session>('checking');
  const [message, setMessage] = useState<string | null>(null);
  const [returnTo, setReturnTo] = useState<string>('/accounts');
  const [signingOut, setSigningOut] = useState(false);

  const ended = useCallback((text: string | null) => {
    setCsrfToken(null);
    setSession(null);
    setMessage(text);
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => ended('Your session has ended. Sign in again.'));
    api
      .get<{ username: string; csrfToken: string | null }>('/api/admin/session')
      .then((s) => {
        setCsrfToken(s.csrfToken);
        setSession({ username: s.username });
      })
      .catch(() => ended(null));
  }, [ended]);

  // Signed out: every page but sign-in goes there, and comes back after.
  useEffect(() => {
    if (session === null && route.name !== 'sign-in') {
      setReturnTo(path);
      navigate('/sign-in', { replace: true });
    } else if (session && session !== 'checking' && route.name === 'sign-in') {
      navigate(returnTo, { replace: true });
    }
  }, [session, route.name, path, returnTo]);

  async function signOut() {
    setSigningOut(true);
    try {
      await api.post('/api/admin/logout');
    } catch {
      // The session is gone either way on this side.
    } finally {
      setSigningOut(false);
      setReturnTo('/accounts');
      ended('You have signed out.');
    }
  }

  if (session === 'checking') {
    return (
      <Shell username={null} current={null}>
        <Loading what="the session" />
      </Shell>
    );
  }
  if (session === null || route.name === 'sign-in') {
    return (
      <Shell username={null} current={null}>
        {message ? <Notice kind="info">{message}</Notice> : null}
        <SignInPage
          onSignedIn={(username, csrfToken) => {
            setCsrfToken(csrfToken);
            setMessage(null);
            setSession({ username });
          }}
        />
      </Shell>
    );
  }
  const current =
    route.name === 'audit' ||
    route.name === 'operator-tokens' ||
    route.name === 'operators' ||
    route.name === 'backups'
      ? route.name
      : route.name === 'accounts' || route.name === 'account' || route.name === 'policy-editor'
        ? 'accounts'
        : null;
  return (
    <Shell username={session.username} current={current} signingOut={signingOut} onSignOut={signOut}>
      <Page route={route} username={session.username} />
    </Shell>
  );
}

const root = document.getElementById('root');
if (root) render(<App />, root);
