import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { type TotpSetup, TurnOff, TurnOn } from './totp-forms.js';
import { Loading, Notice } from './ui.js';

interface TotpStatus {
  enabled: boolean;
  /** A secret was set up and no code has turned it on yet. */
  pending: boolean;
}

/**
 * The signed-in operator's one-time codes (RFC 6238 TOTP), a second factor of their sign-in: whether they are
 * on, setting them up with an authenticator app, and turning them off. `onChanged` follows each change.
 */
export function TotpSection({ onChanged }: { onChanged?: () => void }) {
  const [status, setStatus] = useState<TotpStatus | null>(null);
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api
      .get<TotpStatus>('/api/admin/totp')
      .then(setStatus)
      .catch((failure: unknown) => setError(messageOf(failure)));
  }, []);

  async function startSetup() {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      setSetup(await api.post<TotpSetup>('/api/admin/totp/setup'));
      setStatus({ enabled: false, pending: true });
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  function changed(enabled: boolean, text: string) {
    setSetup(null);
    setStatus({ enabled, pending: false });
    setError(null);
    setNotice(text);
    onChanged?.();
  }

  return (
    <section aria-labelledby="totp" class="card">
      <h2 id="totp">Sign-in codes</h2>
      <p>
        With one-time codes on, signing in asks for a 6-digit code from an authenticator app on your phone
        (such as Google Authenticator, Authy or 1Password) as well as your password. Your API tokens never ask
        for one.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      {status === null && !error ? <Loading what="your sign-in codes" /> : null}
      {status ? (
        <p>
          One-time codes are <strong>{status.enabled ? 'on' : 'off'}</strong>
          {status.enabled
            ? ': every sign-in asks for a code.'
            : setup
              ? ' until a code from your app turns them on.'
              : ': you sign in with your password alone.'}
        </p>
      ) : null}
      {status?.enabled ? (
        <TurnOff
          onDone={() => changed(false, 'One-time codes are off: you sign in with your password alone.')}
        />
      ) : null}
      {status && !status.enabled && setup ? (
        <TurnOn
          setup={setup}
          onDone={() => changed(true, 'One-time codes are on: from now on, every sign-in asks for a code.')}
          onCancel={() => setSetup(null)}
        />
      ) : null}
      {status && !status.enabled && !setup ? (
        <>
          {status.pending ? (
            <p>A set-up was started and not finished; setting up again gives a new secret.</p>
          ) : null}
          <button type="button" disabled={busy} onClick={startSetup}>
            {busy ? 'Setting up…' : 'Set up'}
          </button>
        </>
      ) : null}
    </section>
  );
}
