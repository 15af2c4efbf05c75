import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, useChange } from '../api.js';
import { RecoveryCodes, RecoveryCodesLeft } from './recovery-codes.js';
import { NewRecoveryCodes, type TotpSetup, TurnOff, TurnOn } from './totp-forms.js';
import { Loading, Notice } from './ui.js';

interface TotpStatus {
  enabled: boolean;
  /** A secret was set up and no code has turned it on yet. */
  pending: boolean;
  /** Recovery codes not used yet (0 when off). */
  recoveryCodesLeft: number;
}

/**
 * The signed-in operator's one-time codes (RFC 6238 TOTP), a second factor of their sign-in: whether they are
 * on, setting them up with an authenticator app, their recovery codes, and turning them off. `onChanged` follows
 * each change, once new recovery codes have been dismissed: the setup page OPERATOR_TOTP=required shows goes
 * away on it, and must not take the codes with it.
 */
export function TotpSection({ onChanged }: { onChanged?: () => void }) {
  const [status, setStatus] = useState<TotpStatus | null>(null);
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  /** New recovery codes, shown until dismissed; never again after. */
  const [codes, setCodes] = useState<string[] | null>(null);
  const [replacing, setReplacing] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  /** Setting up a secret; `error` also says why the status did not load. */
  const { busy, error, setError, run } = useChange();

  useEffect(() => {
    api
      .get<TotpStatus>('/api/admin/totp')
      .then(setStatus)
      .catch((failure: unknown) => setError(messageOf(failure)));
  }, []);

  async function startSetup() {
    await run(async () => {
      setNotice(null);
      setSetup(await api.post<TotpSetup>('/api/admin/totp/setup'));
      setStatus({ enabled: false, pending: true, recoveryCodesLeft: 0 });
    });
  }

  function changed(enabled: boolean, text: string, recoveryCodes: string[] = []) {
    setSetup(null);
    setReplacing(false);
    setStatus({ enabled, pending: false, recoveryCodesLeft: recoveryCodes.length });
    setError(null);
    setNotice(text);
    if (recoveryCodes.length > 0) setCodes(recoveryCodes);
    else onChanged?.();
  }

  function saved() {
    setCodes(null);
    onChanged?.();
  }

  return (
    <section aria-labelledby="totp" class="card">
      <h2 id="totp">Sign-in codes</h2>
      <p>
        With one-time codes on, signing in asks for a 6-digit code from an authenticator app on your phone
        (such as Google Authenticator, Authy or 1Password) as well as your password. Your API tokens never ask
        for one. Turning them on gives ten recovery codes, each good for one sign-in without the app.
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
      {codes ? <RecoveryCodes codes={codes} onDone={saved} /> : null}
      {status?.enabled && !codes ? (
        <>
          <h3>Recovery codes</h3>
          <RecoveryCodesLeft left={status.recoveryCodesLeft} />
          {replacing ? (
            <NewRecoveryCodes
              onDone={(recoveryCodes) =>
                changed(true, 'New recovery codes were made: the old ones no longer work.', recoveryCodes)
              }
              onCancel={() => setReplacing(false)}
            />
          ) : (
            <button type="button" class="button-secondary" onClick={() => setReplacing(true)}>
              New recovery codes
            </button>
          )}
          <TurnOff
            onDone={() => changed(false, 'One-time codes are off: you sign in with your password alone.')}
          />
        </>
      ) : null}
      {status && !status.enabled && setup ? (
        <TurnOn
          setup={setup}
          onDone={(recoveryCodes) =>
            changed(true, 'One-time codes are on: from now on, every sign-in asks for a code.', recoveryCodes)
          }
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
