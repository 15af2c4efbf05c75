import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, messageOf, useLoaded } from '../api.js';
import { RECOVERY_CODE_INPUT } from '../components/recovery-codes.js';
import { FieldErrorText, Notice, PageHeading, TextField } from '../components/ui.js';
import { NO_PASSKEYS_HERE, passkeysSupported, promptForPasskey } from '../passkeys.js';
import { fetchSignedIn, type SignedIn } from '../session.js';
import { SSO_START, type SsoSetup, ssoErrorInWords } from '../sso.js';

const CODE_FIELD = 'sign-in-code';
const PASSKEY_BUTTON = 'sign-in-passkey';
/** "Sign in with a passkey", the passkey alone, before any username. */
const PASSKEY_ALONE_BUTTON = 'sign-in-passkey-alone';
const SSO_HINT = 'sign-in-sso-hint';

/** A second factor an operator may have: "totp" takes a one-time code or a recovery code. */
type SecondFactor = 'totp' | 'passkey';

/** What the server asks for after a right password (401 `mfa_required`): one of this operator's second factors. */
interface SecondStep {
  methods: SecondFactor[];
  /** For the browser's passkey prompt; each answer brings new ones, as a challenge is good once. */
  passkeyOptions: PublicKeyCredentialRequestOptionsJSON | null;
}

/** What was sent: the password alone, or with a code (or recovery code), or with a passkey. */
type Sent = 'password' | 'code' | 'passkey';

/** What a refused sign-in means: ask for a second factor (or say why one was refused), start over, or say why. */
type Refusal =
  | { kind: 'second-step'; step: SecondStep; detail: string }
  | { kind: 'code'; detail: string }
  | { kind: 'password'; text: string }
  | { kind: 'page'; text: string };

function secondStepOf(problem: Record<string, unknown>): SecondStep {
  const options = problem.passkeyOptions;
  const passkeyOptions =
    typeof options === 'object' && options !== null
      ? (options as PublicKeyCredentialRequestOptionsJSON)
      : null;
  const listed = Array.isArray(problem.methods) ? problem.methods : [];
  const methods = (['passkey', 'totp'] as const).filter(
    (m) => listed.includes(m) && (m !== 'passkey' || passkeyOptions !== null),
  );
  // A server that names no method asks for a one-time code, as before passkeys.
  return { methods: methods.length > 0 ? methods : ['totp'], passkeyOptions };
}

function refusal(failure: unknown, sent: Sent, recovery: boolean): Refusal {
  if (failure instanceof ApiError && failure.status === 401) {
    if (failure.code === 'mfa_required') {
      return { kind: 'second-step', step: secondStepOf(failure.problem), detail: failure.detail };
    }
    return { kind: 'password', text: 'Wrong username or password. Try again.' };
  }
  if (failure instanceof ApiError && failure.status === 429) return { kind: 'page', text: tooMany(failure) };
  if (sent === 'code' && failure instanceof ApiError && failure.errors.length > 0) {
    const detail = recovery
      ? 'Enter a recovery code as you saved it, such as abcd-efgh-jkmn-pqrs.'
      : 'Enter the 6 digits your authenticator app shows.';
    return { kind: 'code', detail };
  }
  return { kind: 'page', text: messageOf(failure) };
}

/** Too many refused sign-ins (429): how long to wait, in the page's words. */
function tooMany(failure: ApiError): string {
  const wait = failure.retryAfter ? `${failure.retryAfter} seconds` : 'a minute';
  return `Too many failed sign-ins. Wait ${wait} before trying again.`;
}

/** A server's detail as a sentence of the page: a capital first, a full stop last. */
function asSentence(detail: string): string {
  const text = detail.charAt(0).toUpperCase() + detail.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/**
 * Why a sign-in with a passkey alone failed, in one sentence: the prompt closed (or found no passkey), the passkey
 * refused (401) or too many refusals (429), or passkeys unusable here (409); the server's detail says which.
 */
function passkeyAloneFailure(failure: unknown): string {
  if (failure instanceof ApiError && failure.status === 429) return tooMany(failure);
  if (failure instanceof ApiError) return asSentence(failure.detail);
  // The prompt's failure, in words already (PasskeyPromptFailed), or the server not reached.
  return messageOf(failure);
}

/** The sentence that opens the second step. */
function asksFor(methods: SecondFactor[]): string {
  const passkey = methods.includes('passkey');
  const code = methods.includes('totp');
  const what = passkey && code ? 'a passkey or a one-time code' : passkey ? 'a passkey' : 'a one-time code';
  return `Your sign-in asks for ${what} as well.`;
}

/**
 * Operator sign-in: a clear message on a wrong password, and on too many attempts. For an operator with a second
 * factor, the server answers a right password with 401 `mfa_required`, naming the ones they have; the page then
 * offers their passkey (the browser's prompt) and asks for the code (or a recovery code), and sends the name and
 * password again with the one given. After a recovery code, `onSignedIn` learns how many are left.
 *
 * Where the server has single sign-on, the page offers it above the password form, which stays for the operators
 * who have no account at the provider, unless the server turned passwords off (OPERATOR_PASSWORD_SIGN_IN=false);
 * `ssoError` is why the last single sign-on sent the browser back unsigned. Where passkeys can be used (the server
 * says `passkeySignIn`) and the browser has WebAuthn, "Sign in with a passkey" there too signs an operator in with a
 * passkey alone, no username asked: the passkey says whose it is.
 */
export function SignInPage({
  ssoError,
  onSignedIn,
}: {
  ssoError: string | null;
  onSignedIn: (operator: SignedIn, recoveryCodesLeft: number | null) => void;
}) {
  // Until the server says, and if it cannot, the page offers the password, as a server without single sign-on.
  const { data: sso, error: ssoUnknown } = useLoaded<SsoSetup>('/api/admin/sso');
  const offersPassword = sso?.passwordSignIn !== false;
  /** The alert of a failed single sign-on waits for the answer, as its words depend on passwords signing in. */
  const ssoAnswered = sso !== null || ssoUnknown !== null;
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  /** The second step, once the password was right; null on the first. */
  const [step, setStep] = useState<SecondStep | null>(null);
  const [code, setCode] = useState('');
  /** The code step asks for a recovery code instead of the app's. */
  const [useRecovery, setUseRecovery] = useState(false);
  const [codeError, setCodeError] = useState<string | undefined>(undefined);
  const [passkeyError, setPasskeyError] = useState<string | undefined>(undefined);
  /** What takes the focus next: a new object each time, so that asking again moves it back. */
  const [focus, setFocus] = useState<{ id: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** Why the last single sign-on did not sign anyone in, until a password sign-in is tried. */
  const [ssoFailure, setSsoFailure] = useState(ssoError);
  const [busy, setBusy] = useState(false);
  /** The browser's passkey prompt is open. */
  const [prompting, setPrompting] = useState(false);
  /** A sign-in with a passkey alone: its prompt open, or its answer sent. */
  const [alone, setAlone] = useState<'prompting' | 'sending' | null>(null);
  /** Why the last sign-in with a passkey alone failed. */
  const [aloneError, setAloneError] = useState<string | undefined>(undefined);

  // The code field (or the passkey button) takes the focus when it appears and after a refusal, so that its error
  // is read out.
  useEffect(() => {
    if (focus) document.getElementById(focus.id)?.focus();
  }, [focus]);

  function switchCode() {
    setUseRecovery(!useRecovery);
    setCode('');
    setCodeError(undefined);
    setFocus({ id: CODE_FIELD });
  }

  function startOver() {
    setStep(null);
    setUseRecovery(false);
    setFocus(null);
    setPassword('');
    setCode('');
    setCodeError(undefined);
    setPasskeyError(undefined);
    setError(null);
  }

  async function signIn(factor: Record<string, unknown>, sent: Sent) {
    setBusy(true);
    setError(null);
    setSsoFailure(null);
    setAloneError(undefined);
    try {
      const answer = await api.post<{ recoveryCodesLeft?: number }>('/api/admin/login', {
        username,
        password,
        ...factor,
      });
      // The sign-in answers the name, not the role: the session says both, with the CSRF token.
      onSignedIn(await fetchSignedIn(), answer.recoveryCodesLeft ?? null);
    } catch (failure) {
      const refused = refusal(failure, sent, useRecovery);
      setCode('');
      if (refused.kind === 'second-step') {
        // The first answer only asks; a later one says why the code, or the passkey, was refused.
        setStep(refused.step);
        setCodeError(sent === 'code' ? refused.detail : undefined);
        setPasskeyError(sent === 'passkey' ? refused.detail : undefined);
        const offersPasskey = refused.step.methods.includes('passkey') && passkeysSupported;
        setFocus({ id: sent === 'code' || !offersPasskey ? CODE_FIELD : PASSKEY_BUTTON });
        return;
      }
      if (refused.kind === 'code') {
        setCodeError(refused.detail);
        setFocus({ id: CODE_FIELD });
        return;
      }
      setCodeError(undefined);
      setPasskeyError(undefined);
      // The password is kept for the second step only: a wrong one (or any failure before it) clears it.
      if (refused.kind === 'password' || sent === 'password') {
        setStep(null);
        setPassword('');
      }
      setError(refused.text);
    } finally {
      setBusy(false);
    }
  }

  function submit(event: Event) {
    event.preventDefault();
    if (step === null) void signIn({}, 'password');
    else void signIn(useRecovery ? { recoveryCode: code } : { code }, 'code');
  }

  async function signInWithPasskey() {
    if (!step?.passkeyOptions) return;
    setError(null);
    setCodeError(undefined);
    setPasskeyError(undefined);
    setPrompting(true);
    try {
      const passkey = await promptForPasskey(step.passkeyOptions);
      setPrompting(false);
      await signIn({ passkey }, 'passkey');
    } catch (failure) {
      // Closed, timed out or none found: said at the button, which takes the focus back to try again.
      setPasskeyError(messageOf(failure));
      setFocus({ id: PASSKEY_BUTTON });
    } finally {
      setPrompting(false);
    }
  }

  /**
   * The passkey alone: new options (a challenge good once), the browser's prompt, which offers the passkeys it keeps
   * for this server, then its answer; signed in, the app goes on as after a password.
   */
  async function signInWithPasskeyAlone() {
    setError(null);
    setSsoFailure(null);
    setAloneError(undefined);
    setAlone('prompting');
    try {
      const { options } = await api.post<{ options: PublicKeyCredentialRequestOptionsJSON }>(
        '/api/admin/login/passkey/options',
      );
      const passkey = await promptForPasskey(options);
      setAlone('sending');
      await api.post<{ username: string }>('/api/admin/login/passkey', { passkey });
      onSignedIn(await fetchSignedIn(), null);
    } catch (failure) {
      // Said at the button, which takes the focus back to try again.
      setAloneError(passkeyAloneFailure(failure));
      setFocus({ id: PASSKEY_ALONE_BUTTON });
    } finally {
      setAlone(null);
    }
  }

  const offersPasskeyAlone =
    step === null && offersPassword && sso?.passkeySignIn === true && passkeysSupported;
  const offersCode = step?.methods.includes('totp') ?? false;
  const offersPasskey = step?.methods.includes('passkey') ?? false;
  return (
    <div class="narrow">
      <PageHeading title="Sign in">Sign in</PageHeading>
      <p>Sign in as an operator to manage accounts, their API credentials, policies and context.</p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {ssoFailure !== null && ssoAnswered ? (
        <Notice kind="error">{ssoErrorInWords(ssoFailure, offersPassword)}</Notice>
      ) : null}
      {(sso?.enabled || offersPasskeyAlone) && step === null ? (
        <WithoutPassword alone={!offersPassword}>
          {sso?.enabled ? <SingleSignOn name={sso.name ?? 'single sign-on'} /> : null}
          {offersPasskeyAlone ? (
            <PasskeyAlone
              busy={busy || alone !== null}
              state={alone}
              error={aloneError}
              onUse={() => void signInWithPasskeyAlone()}
            />
          ) : null}
        </WithoutPassword>
      ) : null}
      {offersPassword ? (
        <form onSubmit={submit} class="card" aria-label="Sign in">
          {step ? (
            <>
              <p>
                Signing in as <strong>{username}</strong>. {asksFor(step.methods)}
              </p>
              {offersPasskey ? (
                <PasskeyStep
                  busy={busy || prompting}
                  prompting={prompting}
                  error={passkeyError}
                  alone={!offersCode}
                  onUse={() => void signInWithPasskey()}
                />
              ) : null}
              {offersCode ? (
                <>
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
              ) : null}
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
          {step ? (
            <div class="actions">
              {offersCode ? (
                <SignInButton busy={busy} secondary={offersPasskey && passkeysSupported} />
              ) : null}
              <button type="button" class="button-secondary" disabled={busy} onClick={startOver}>
                Start over
              </button>
            </div>
          ) : (
            <SignInButton busy={busy} disabled={alone !== null} />
          )}
        </form>
      ) : null}
    </div>
  );
}

/**
 * The ways in without a password (single sign-on, a passkey alone), in one card; then "or", before the password
 * form, unless they are the only way in.
 */
function WithoutPassword({ alone, children }: { alone: boolean; children: ComponentChildren }) {
  return (
    <>
      <div class="card sign-in-without-password">{children}</div>
      {alone ? null : <p class="sign-in-or">or</p>}
    </>
  );
}

/**
 * Single sign-on: a link, not a call, as the browser leaves for the provider's sign-in page and comes back to the
 * server, which sends it on here signed in.
 */
function SingleSignOn({ name }: { name: string }) {
  return (
    <div>
      <a href={SSO_START} class="button-link button-primary" aria-describedby={SSO_HINT}>
        Sign in with {name}
      </a>
      <p class="hint" id={SSO_HINT}>
        Opens your organisation's sign-in page; you come back here signed in as the operator with the same
        username.
      </p>
    </div>
  );
}

/**
 * A button that opens the browser's passkey prompt, with its hint and why the last try failed tied to it (both
 * read out with the button).
 */
function PasskeyButton({
  id,
  label,
  hint,
  busy,
  error,
  onUse,
  field = false,
}: {
  id: string;
  label: string;
  hint: string;
  busy: boolean;
  error: string | undefined;
  onUse: () => void;
  /** Laid out as a form field (in the second step). */
  field?: boolean;
}) {
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  return (
    <div class={field ? 'field' : undefined}>
      <button
        type="button"
        id={id}
        disabled={busy}
        onClick={onUse}
        aria-describedby={error ? `${hintId} ${errorId}` : hintId}
      >
        {label}
      </button>
      <p class="hint" id={hintId}>
        {hint}
      </p>
      <FieldErrorText id={errorId} error={error} />
    </div>
  );
}

/**
 * A passkey alone: the button that opens the browser's prompt. Shown only where the server and the browser can use
 * passkeys.
 */
function PasskeyAlone({
  busy,
  state,
  error,
  onUse,
}: {
  busy: boolean;
  state: 'prompting' | 'sending' | null;
  error: string | undefined;
  onUse: () => void;
}) {
  return (
    <PasskeyButton
      id={PASSKEY_ALONE_BUTTON}
      label={
        state === 'prompting'
          ? 'Waiting for your passkey…'
          : state === 'sending'
            ? 'Signing in…'
            : 'Sign in with a passkey'
      }
      hint="No username or password: your browser offers the passkeys it keeps for this server; unlock yours with this device's screen lock or fingerprint, or your security key's PIN."
      busy={busy}
      error={error}
      onUse={onUse}
    />
  );
}

/**
 * The passkey part of the second step: the button that opens the browser's prompt; in a browser without WebAuthn,
 * that it cannot be used here.
 */
function PasskeyStep({
  busy,
  prompting,
  error,
  alone,
  onUse,
}: {
  busy: boolean;
  prompting: boolean;
  error: string | undefined;
  /** No code may be given instead. */
  alone: boolean;
  onUse: () => void;
}) {
  if (!passkeysSupported) return <Notice kind="warning">{NO_PASSKEYS_HERE}</Notice>;
  return (
    <PasskeyButton
      id={PASSKEY_BUTTON}
      label={prompting ? 'Waiting for your passkey…' : 'Use a passkey'}
      hint={`Your browser asks for it: unlock it with this device's screen lock or fingerprint, or touch your security key.${
        alone ? ' Lost the device that holds it? An admin can remove your passkeys.' : ''
      }`}
      busy={busy}
      error={error}
      onUse={onUse}
      field
    />
  );
}

function SignInButton({
  busy,
  secondary = false,
  disabled = false,
}: {
  busy: boolean;
  secondary?: boolean;
  /** Held back while another way in is under way (a passkey alone). */
  disabled?: boolean;
}) {
  return (
    <button type="submit" class={secondary ? 'button-secondary' : undefined} disabled={busy || disabled}>
      {busy ? 'Signing in…' : 'Sign in'}
    </button>
  );
}
