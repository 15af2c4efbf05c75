import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import {
  api,
  setAnsweredHandler,
  setCsrfToken,
  setSetupRequiredHandler,
  setUnauthorizedHandler,
} from './api.js';
import { MAIN_PAGES, Shell } from './components/layout.js';
import { RecoveryCodeUsed } from './components/recovery-codes.js';
import { endedInWords, SessionExpiry } from './components/session-expiry.js';
import { Loading, Notice } from './components/ui.js';
import { AccountPages, PolicyPages } from './pages/account-pages.js';
import { AccountsPage } from './pages/accounts.js';
import { AuditPage } from './pages/audit.js';
import { BackupsPage } from './pages/backups.js';
import { NeedsEveryAccount, NotFound } from './pages/closed.js';
import { OperatorTokensPage } from './pages/operator-tokens.js';
import { OperatorsPage } from './pages/operators.js';
import { SignInPage } from './pages/sign-in.js';
import { TotpRequiredPage } from './pages/totp-required.js';
import { navigate, parseRoute, type Route, usePath } from './router.js';
import { fetchSignedIn, ofEveryAccount, type SignedIn, setSessionEndsHandler } from './session.js';
import { type EndReason, SessionWatch } from './session-watch.js';
import { takeSsoError } from './sso.js';

type Session = SignedIn | null | 'checking';

const SESSION_ENDED = 'Your session has ended. Sign in again.';
/** When the signed-in session ends: fed by every answer of the server, and by the other tabs of this browser. */
const sessionWatch = new SessionWatch();
setAnsweredHandler((answered) => sessionWatch.answered(answered));
setSessionEndsHandler((ends) => sessionWatch.update(ends));

function Page({ route, operator }: { route: Route; operator: SignedIn }) {
  const { role } = operator;
  const closed = MAIN_PAGES.find((p) => p.page === route.name && p.everyAccount);
  if (closed && !ofEveryAccount(operator)) return <NeedsEveryAccount label={closed.label} />;
  switch (route.name) {
    case 'accounts':
      return <AccountsPage operator={operator} />;
    case 'audit':
      return <AuditPage accountId={null} />;
    case 'operator-tokens':
      return <OperatorTokensPage operator={operator} />;
    case 'operators':
      return <OperatorsPage operator={operator} />;
    case 'backups':
      return <BackupsPage role={role} />;
    case 'policy-editor':
      return (
        <PolicyPages
          key={route.accountId}
          accountId={route.accountId}
          policyId={route.policyId}
          operator={operator}
        />
      );
    case 'account':
      return (
        <AccountPages
          key={route.accountId}
          accountId={route.accountId}
          section={route.section}
          operator={operator}
        />
      );
    default:
      return <NotFound what="Page">There is no page at this address.</NotFound>;
  }
}

function App() {
  const path = usePath();
  const route = parseRoute(path);
  const [session, setSession] = useState<Session>('checking');
  const [message, setMessage] = useState<string | null>(null);
  const [returnTo, setReturnTo] = useState<string>('/accounts');
  const [signingOut, setSigningOut] = useState(false);
  /** After a sign-in with a recovery code: how many are left, said above the pages until dismissed. */
  const [recoveryCodesLeft, setRecoveryCodesLeft] = useState<number | null>(null);
  /** Why a single sign-on sent the browser back here unsigned (`?sso_error=`), said on the sign-in page. */
  const [ssoError, setSsoError] = useState(takeSsoError);
  /** While this tab signs out on its own: what the sign-in page says, whatever the sign-out call answers. */
  const ending = useRef<string | null>(null);

  const ended = useCallback((text: string | null) => {
    sessionWatch.stop();
    setCsrfToken(null);
    setSession(null);
    setMessage(text);
    setRecoveryCodesLeft(null);
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => ended(ending.current ?? SESSION_ENDED));
    sessionWatch.onEnd((reason: EndReason, here: boolean) => {
      const text = endedInWords(reason, sessionWatch.ends);
      if (!here) {
        ended(text);
        return;
      }
      // Ended here: the server's session too (the call takes the CSRF token as it starts, before `ended` forgets
      // it), and the sign-in page says why at once, whatever the call answers.
      ending.current = text;
      const signedOut = api.post('/api/admin/logout');
      ended(text);
      signedOut
        .catch(() => {})
        .finally(() => {
          ending.current = null;
        });
    });
    // The last second factor gone where one is required: the session says so, and the setup page takes over.
    setSetupRequiredHandler(() => {
      fetchSignedIn()
        .then(setSession)
        .catch(() => ended(null));
    });
    fetchSignedIn()
      .then(setSession)
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
    // The other tabs of this browser share the cookie: they sign out too.
    sessionWatch.stop('signed-out');
    setSigningOut(true);
    try {
      const answer = await api.post<{ providerSignOut: string } | undefined>('/api/admin/logout');
      // A single sign-on session where the provider's session ends too (OPERATOR_SSO_SIGN_OUT=provider): there next;
      // the provider sends the browser back to the sign-in page.
      if (answer?.providerSignOut) {
        location.assign(answer.providerSignOut);
        return;
      }
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
      <Shell operator={null} current={null}>
        <Loading what="the session" />
      </Shell>
    );
  }
  if (session === null || route.name === 'sign-in') {
    return (
      <Shell operator={null} current={null}>
        {message ? <Notice kind="info">{message}</Notice> : null}
        <SignInPage
          ssoError={ssoError}
          onSignedIn={(operator, left) => {
            setMessage(null);
            setSsoError(null);
            setRecoveryCodesLeft(left);
            setSession(operator);
          }}
        />
      </Shell>
    );
  }
  if (session.totpSetupRequired) {
    // The server holds everything else back (403) until codes or a passkey are set up: ask for them, nothing else.
    return (
      <Shell operator={session} current={null} signingOut={signingOut} onSignOut={signOut}>
        <SessionExpiry watch={sessionWatch} signingOut={signingOut} onSignOut={signOut} />
        <TotpRequiredPage
          onDone={() => {
            fetchSignedIn()
              .then(setSession)
              .catch(() => ended(null));
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
    <Shell operator={session} current={current} signingOut={signingOut} onSignOut={signOut}>
      <SessionExpiry watch={sessionWatch} signingOut={signingOut} onSignOut={signOut} />
      {recoveryCodesLeft !== null ? (
        <RecoveryCodeUsed left={recoveryCodesLeft} onDismiss={() => setRecoveryCodesLeft(null)} />
      ) : null}
      <Page route={route} operator={session} />
    </Shell>
  );
}

const root = document.getElementById('root');
if (root) render(<App />, root);
