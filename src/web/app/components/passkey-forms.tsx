import { useId, useState } from 'preact/hooks';
import { ApiError, api, type FieldError, useChange } from '../api.js';
import { addPasskey, type Passkey } from '../passkeys.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { CurrentPassword, fieldError, Notice, TextField } from './ui.js';

/** As the server checks it: a name of 1 to 64 characters. */
const NAME_MAX_LENGTH = 64;

/** A refusal said on the form's fields: the server's field errors, or a 403 on the password; anything else for the form. */
function fieldErrorsOf(failure: unknown): FieldError[] | null {
  if (!(failure instanceof ApiError)) return null;
  if (failure.errors.length > 0) return failure.errors;
  if (failure.status === 403 && /password/i.test(failure.detail)) {
    return [{ field: 'currentPassword', message: failure.detail }];
  }
  return null;
}

/**
 * A new passkey: its name and the operator's password, then the browser's prompt; the server checks the password
 * with the browser's answer. A refusal is said on its field, which takes the focus; a failed prompt, above them.
 */
export function AddPasskey({ onAdded }: { onAdded: (passkey: Passkey) => void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const { busy, error, run } = useChange();
  const headingId = useId();
  const nameId = useId();
  const passwordId = useId();

  async function submit(event: Event) {
    event.preventDefault();
    await run(async () => {
      setErrors([]);
      try {
        const passkey = await addPasskey(name.trim(), password);
        setName('');
        setPassword('');
        onAdded(passkey);
      } catch (failure) {
        const onFields = fieldErrorsOf(failure);
        if (!onFields) throw failure;
        setErrors(onFields);
        const onName = fieldError(onFields, 'name') !== undefined;
        if (!onName) setPassword('');
        document.getElementById(onName ? nameId : passwordId)?.focus();
      }
    });
  }

  return (
    <form onSubmit={submit} aria-labelledby={headingId}>
      <h3 id={headingId}>Add a passkey</h3>
      <p>
        Name it, and enter your password. Your browser then asks where to keep it: on this device (unlocked
        with its screen lock or fingerprint), in a password manager, on a phone, or on a security key.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <TextField
        id={nameId}
        label="Name"
        value={name}
        onValue={setName}
        hint="To tell your passkeys apart, such as Work laptop or YubiKey."
        error={fieldError(errors, 'name')}
        maxLength={NAME_MAX_LENGTH}
        autoComplete="off"
        required
      />
      <CurrentPassword id={passwordId} value={password} onValue={setPassword} errors={errors} />
      <button type="submit" disabled={busy || name.trim() === '' || password === ''}>
        {busy ? 'Adding…' : 'Add passkey'}
      </button>
    </form>
  );
}

/**
 * Removing a passkey asks for the password, in a confirmation: a session left open is not enough. A wrong one is
 * said on the field; the dialog stays open until it is done or cancelled.
 */
export function RemovePasskey({
  passkey,
  last,
  onRemoved,
  onCancel,
}: {
  /** The passkey to remove; null keeps the dialog closed. */
  passkey: Passkey | null;
  /** It is the operator's only passkey. */
  last: boolean;
  onRemoved: (passkey: Passkey) => void;
  onCancel: () => void;
}) {
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const { busy, error, setError, run } = useChange();

  function reset() {
    setPassword('');
    setErrors([]);
    setError(null);
  }

  async function remove() {
    if (passkey === null) return;
    await run(async () => {
      setErrors([]);
      try {
        await api.post(`/api/admin/passkeys/${encodeURIComponent(passkey.id)}/remove`, {
          currentPassword: password,
        });
        reset();
        onRemoved(passkey);
      } catch (failure) {
        const onFields = fieldErrorsOf(failure);
        setPassword('');
        if (!onFields) throw failure;
        setErrors(onFields);
      }
    });
  }

  return (
    <ConfirmDialog
      open={passkey !== null}
      title="Remove this passkey?"
      confirmLabel="Remove"
      confirmDisabled={password === ''}
      busy={busy}
      error={error}
      onConfirm={remove}
      onCancel={() => {
        reset();
        onCancel();
      }}
    >
      {passkey ? (
        <>
          <p>
            <strong>The passkey “{passkey.name}” no longer confirms your sign-ins</strong>, at once. Your
            sessions go on.
            {last
              ? ' With no passkey left, you sign in with your password, and a one-time code if those are on.'
              : null}{' '}
            The device or password manager may still list it: delete it there too.
          </p>
          <CurrentPassword value={password} onValue={setPassword} errors={errors} />
        </>
      ) : null}
    </ConfirmDialog>
  );
}
