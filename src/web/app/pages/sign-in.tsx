import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, messageOf } from '../api.js';
import { RECOVERY_CODE_INPUT } from '../components/recovery-codes.js';
import { Notice, PageHeading, TextField } from '../components/ui.js';
import { fetchSignedIn, type SignedIn } from '../session.js';

const CODE_FIELD = 'sign-in-code';

/** What a refused sign-in means: ask for the code (or say why it was refused), start over, or say why. */
type Refusal =
  | { kind: 'code'; detail: string }
  | { kind: 'password'; text: string }
  | { kind: 'page'; text: string };

function refusal(failure: unknown, askedForCode: boolean, recovery: boolean): Refusal {
  if (failure instanceof ApiError && failure.status === 401) {
    if (failure.code === 'mfa_required') return { kind: 'code', detail: failure.detail };
    return { kind: 'password', text: 'Wrong username or password. Try again.' };
  }
  if (failure instanceof ApiError && failure.status === 429) {
    const wait = failure.retryAfter ? `${failure.retryAfter} seconds` : 'a minute';
    return { kind: 'page', text: `Too many failed sign-ins. Wait ${wait} before trying again.` };
  }
  if (askedForCode && failure instanceof ApiError && failure.errors.length > 0) {
    const detail = recovery
      ? 'Enter a recovery code as you saved it, such as abcd-efgh-jkmn-pqrs.'
      : 'Enter the 6 digits your authenticator app shows.';
    return { kind: 'code', detail };
  }
  return { kind: 'page', text: messageOf(failure) };
}

/**
 * Operator sign-in: a clear message on a wrong password, and on too many attempts. For an operator with one-time
 * codes on, the server answers a right password with 401 `mfa_required`; the page then asks for the code (or a
 * recovery code) and sends the name and password again with it. After a recovery code, `onSignedIn` learns how
 * many are left.
 */
export function SignInPage({
  onSignedIn,
}: {
  onSignedIn: (operator: SignedIn, recoveryCodesLeft: number | null) => void;
}) {
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [askingForCode, setAskingForCode] = useState(false);
  const [code, setCode] = useState('');
  /** The code step asks for a recovery code instead of the app's. */
  const [useRecovery, setUseRecovery] = useState(false);
  const [codeError, setCodeError] = useState<string | undefined>(undefined);
  /** Counts the answers that asked for a code, so that each one puts the focus back on the field. */
  const [codeAsked, setCodeAsked] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // The code field takes the focus when it appears and after a wrong code, so that its error is read out.
  useEffect(() => {
    if (codeAsked > 0) document.getElementById(CODE_FIELD)?.focus();
  }, [codeAsked]);

  function switchCode() {
    setUseRecovery(!useRecovery);
    setCode('');
    setCodeError(undefined);
    setCodeAsked((n) => n + 1);
  }

  function startOver() {
    setAskingForCode(false);
    setUseRecovery(false);
    setCodeAsked(0);
    setPassword('');
    setCode('');
    setCodeError(undefined);
    setError(null);
  }

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const factor = askingForCode ? (useRecovery ? { recoveryCode: code } : { code }) : {};
      const answer = await api.post<{ recoveryCodesLeft?: number }>('/api/admin/login', {
        username,
        password,
        ...factor,
      });
      // The sign-in answers the name, not the role: the session says both, with the CSRF token.
      onSignedIn(await fetchSignedIn(), answer.recoveryCodesLeft ?? null);
    } catch (failure) {
      const refused = refusal(failure, askingForCode, useRecovery);
      setCode('');
      if (refused.kind === 'code') {
        // The first answer only asks for the code; a later one says why the code was refused.
        setCodeError(askingForCode ? refused.detail : undefined);
        setAskingForCode(true);
        setCodeAsked((n) => n + 1);
        return;
      }
      setCodeError(undefined);
      // The password is kept for the code step only: a wrong one (or any failure before the code) clears it.
      if (refused.kind === 'password' || !askingForCode) {
        setAskingForCode(false);
        setPassword('');
      }
      setError(refused.text);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="narrow">
      <PageHeading title="Sign in">Sign in</PageHeading>
      <p>Sign in as an operator to manage accounts, their API credentials, policies and context.</p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <form onSubmit={submit} class="card" aria-label="Sign in">
        {askingForCode ? (
          <>
            <p>
              Signing in as <strong>{username}</strong>. Your sign-in asks for a one-time code as well.
            </p>
            {useRecovery ? (
              <TextField
                key="recovery-code"
                id={CODE_FIELD}
                label="Recovery code"
                value={code}
                onValue={setCode}
                error={codeError}
                {...RECOVERY_CODE_INPUT}
              />
            ) : (
              <TextField
                key="code"
                id={CODE_FIELD}
                label="One-time code"
                value={code}
                onValue={(value) => setCode(value.replace(/\s/g, ''))}
                hint="The 6 digits your authenticator app shows now; a new code comes every 30 seconds."
                error={codeError}
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9]{6}"
                maxLength={6}
                spellcheck={false}
                required
              />
            )}
            <p>
              <button type="button" class="button-text" disabled={busy} onClick={switchCode}>
                {useRecovery ? 'Use a code from the app instead' : 'Use a recovery code instead'}
              </button>
            </p>
          </>
        ) : (
          <>
            <TextField
              label="Username"
              value={username}
              onValue={setUsername}
              autoComplete="username"
              required
              maxLength={64}
            />
            <TextField
              label="Password"
              type="password"
              value={password}
              onValue={setPassword}
              autoComplete="current-password"
              required
              maxLength={1024}
            />
          </>
        )}
        {askingForCode ? (
          <div class="actions">
            <SignInButton busy={busy} />
            <button type="button" class="button-secondary" disabled={busy} onClick={startOver}>
              Start over
            </button>
          </div>
        ) : (
          <SignInButton busy={busy} />
        )}
      </form>
    </div>
  );
}

function SignInButton({ busy }: { busy: boolean }) {
  return (
    <button type="submit" disabled={busy}>
      {busy ? 'Signing in…' : 'Sign in'}
    </button>
  );
}
