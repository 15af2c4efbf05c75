import { useEffect, useId, useState } from 'preact/hooks';
import { ApiError, api, type FieldError, useChange } from '../api.js';
import { CopyButton } from './copy-button.js';
import { QrCode } from './qr-code.js';
import { RECOVERY_CODE_INPUT } from './recovery-codes.js';
import { CurrentPassword, fieldError, Notice, TextField } from './ui.js';

/** A new secret for an authenticator app, as `POST /api/admin/totp/setup` answers it (this once). */
export interface TotpSetup {
  secret: string;
  /** `otpauth://totp/…`, which the QR code carries. */
  uri: string;
}

/** The attributes of a field for a code from an authenticator app. */
const CODE_INPUT = {
  hint: 'The 6 digits the app shows now.',
  inputMode: 'numeric',
  autoComplete: 'one-time-code',
  pattern: '[0-9]{6}',
  maxLength: 6,
  spellcheck: false,
  required: true,
} as const;

/** Apps show a code as "123 456"; the server takes the digits alone. */
const digits = (value: string) => value.replace(/\s/g, '');

/** The base32 secret in groups of four, easier to type into an app by hand. */
const grouped = (secret: string) => secret.match(/.{1,4}/g)?.join(' ') ?? secret;

/**
 * A refusal said on the form's fields: the server's field errors, a 403 on the password or the code (its detail
 * says which), or a refused code (400) on the code; anything else for the section.
 */
function fieldErrorsOf(failure: unknown): FieldError[] | null {
  if (!(failure instanceof ApiError)) return null;
  if (failure.errors.length > 0) return failure.errors;
  if (failure.status === 403) {
    const field = /password/i.test(failure.detail) ? 'currentPassword' : 'code';
    return [{ field, message: failure.detail }];
  }
  if (failure.status === 400) return [{ field: 'code', message: failure.detail }];
  return null;
}

/** The code the authenticator app shows now (digits only are kept). */
function AppCode({
  value,
  onValue,
  errors,
}: {
  value: string;
  onValue: (value: string) => void;
  errors: FieldError[];
}) {
  return (
    <TextField
      label="Code from the app"
      value={value}
      onValue={(typed) => onValue(digits(typed))}
      error={fieldError(errors, 'code', 'body.code', 'body')}
      {...CODE_INPUT}
    />
  );
}

/** A form that sends one change and says the refusal on its fields, or above them (useChange's error). */
function useFormChange<T>(send: () => Promise<T>, onDone: (result: T) => void) {
  const [errors, setErrors] = useState<FieldError[]>([]);
  const { busy, error, setError, run } = useChange();

  async function submit(event: Event) {
    event.preventDefault();
    setErrors([]);
    await run(async () => {
      try {
        onDone(await send());
      } catch (failure) {
        const onFields = fieldErrorsOf(failure);
        if (onFields) setErrors(onFields);
        else throw failure;
      }
    });
  }

  /** Forgets the last refusal, when the form changes what it asks for. */
  function clear() {
    setErrors([]);
    setError(null);
  }

  return { errors, error, busy, submit, clear };
}

/** What turning the codes on, and asking for new recovery codes, answer: the recovery codes, this once. */
interface RecoveryCodesAnswer {
  recoveryCodes: string[];
}

/**
 * The new secret as a QR code and as text, and the first code from the app that turns the codes on; `onDone`
 * gets the recovery codes the server answers.
 */
export function TurnOn({
  setup,
  onDone,
  onCancel,
}: {
  setup: TotpSetup;
  onDone: (recoveryCodes: string[]) => void;
  onCancel: () => void;
}) {
  const [code, setCode] = useState('');
  const change = useFormChange(async () => {
    setCode('');
    return (await api.post<RecoveryCodesAnswer>('/api/admin/totp/enable', { code })).recoveryCodes;
  }, onDone);
  return (
    <>
      <h3>1. Add this account to your authenticator app</h3>
      <p>
        Scan the QR code with the app, or type the secret into it. They are shown this once: set up again for
        a new one if you leave this page first.
      </p>
      <QrCode value={setup.uri} label="QR code for your authenticator app" />
      <dl class="secrets">
        <dt>Secret</dt>
        <dd>
          <code class="secret" id="totp-secret">
            {grouped(setup.secret)}
          </code>
          <CopyButton label="Copy secret" value={setup.secret} />
        </dd>
      </dl>
      <p>
        On a phone with the app? <a href={setup.uri}>Add it to the app on this device</a>.
      </p>
      <h3>2. Enter the code the app shows</h3>
      {change.error ? <Notice kind="error">{change.error}</Notice> : null}
      <form onSubmit={change.submit} aria-label="Turn on one-time codes">
        <AppCode value={code} onValue={setCode} errors={change.errors} />
        <div class="actions">
          <button type="submit" disabled={change.busy || code === ''}>
            {change.busy ? 'Turning on…' : 'Turn on'}
          </button>
          <button type="button" class="button-secondary" disabled={change.busy} onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </>
  );
}

/** Ten new recovery codes in place of the old ones, for the password and a current code; `onDone` gets them. */
export function NewRecoveryCodes({
  onDone,
  onCancel,
}: {
  onDone: (recoveryCodes: string[]) => void;
  onCancel: () => void;
}) {
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const passwordId = useId();
  // The button that opened the form is gone: its first field takes the focus.
  useEffect(() => document.getElementById(passwordId)?.focus(), [passwordId]);
  const change = useFormChange(async () => {
    setCode('');
    const body = { currentPassword: password, code };
    return (await api.post<RecoveryCodesAnswer>('/api/admin/totp/recovery-codes', body)).recoveryCodes;
  }, onDone);
  return (
    <form onSubmit={change.submit} aria-label="New recovery codes">
      <p>Ten new codes take the place of yours: the old ones stop working at once.</p>
      {change.error ? <Notice kind="error">{change.error}</Notice> : null}
      <CurrentPassword id={passwordId} value={password} onValue={setPassword} errors={change.errors} />
      <AppCode value={code} onValue={setCode} errors={change.errors} />
      <div class="actions">
        <button type="submit" disabled={change.busy || password === '' || code === ''}>
          {change.busy ? 'Making new codes…' : 'Make new codes'}
        </button>
        <button type="button" class="button-secondary" disabled={change.busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/**
 * Turning the codes off takes the password and a current code, or a recovery code (a lost phone): a session left
 * open is not enough.
 */
export function TurnOff({ onDone }: { onDone: () => void }) {
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const change = useFormChange(async () => {
    setCode('');
    const factor = useRecovery ? { recoveryCode: code } : { code };
    await api.post('/api/admin/totp/disable', { currentPassword: password, ...factor });
  }, onDone);
  return (
    <form onSubmit={change.submit} aria-label="Turn off one-time codes">
      <h3>Turn them off</h3>
      {change.error ? <Notice kind="error">{change.error}</Notice> : null}
      <CurrentPassword value={password} onValue={setPassword} errors={change.errors} />
      {useRecovery ? (
        <TextField
          key="recovery-code"
          label="Recovery code"
          value={code}
          onValue={setCode}
          error={fieldError(change.errors, 'code', 'recoveryCode', 'body.recoveryCode', 'body')}
          {...RECOVERY_CODE_INPUT}
        />
      ) : (
        <AppCode key="code" value={code} onValue={setCode} errors={change.errors} />
      )}
      <p>
        <button
          type="button"
          class="button-text"
          onClick={() => {
            setUseRecovery(!useRecovery);
            setCode('');
            change.clear();
          }}
        >
          {useRecovery ? 'Use a code from the app instead' : 'Use a recovery code instead'}
        </button>
      </p>
      <button type="submit" class="button-danger" disabled={change.busy || password === '' || code === ''}>
        {change.busy ? 'Turning off…' : 'Turn off'}
      </button>
    </form>
  );
}
