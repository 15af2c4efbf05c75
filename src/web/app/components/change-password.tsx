import { useState } from 'preact/hooks';
import { ApiError, api, type FieldError, messageOf, setCsrfToken, useChange } from '../api.js';
import { CurrentPassword, fieldError, Notice, TextField } from './ui.js';

/** As the server checks it (MIN_PASSWORD_LENGTH in src/services/operators.ts). */
export const PASSWORD_HINT = 'At least 12 characters.';

/**
 * Changes the signed-in operator's password; the server ends their sessions and answers a new one. `onChanged`
 * follows, the other sessions ended.
 */
export function ChangePassword({ onChanged }: { onChanged?: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [done, setDone] = useState(false);
  const { busy, error, run } = useChange();

  async function submit(event: Event) {
    event.preventDefault();
    await run(async () => {
      setErrors([]);
      setDone(false);
      try {
        const session = await api.post<{ username: string; csrfToken: string }>('/api/admin/password', {
          currentPassword: current,
          newPassword: next,
        });
        // The answer's cookie replaces this session, which the change ended; changes need its CSRF token.
        setCsrfToken(session.csrfToken);
        setCurrent('');
        setNext('');
        setDone(true);
        onChanged?.();
      } catch (failure) {
        // A refusal is said on its field; anything else, above the form.
        if (failure instanceof ApiError && failure.status === 403) {
          setCurrent('');
          setErrors([{ field: 'currentPassword', message: messageOf(failure) }]);
        } else if (failure instanceof ApiError && failure.errors.length > 0) setErrors(failure.errors);
        else throw failure;
      }
    });
  }

  return (
    <section aria-labelledby="change-password" class="card">
      <h2 id="change-password">Change your password</h2>
      <p>Your other sessions end at once; this one goes on. Your API tokens keep working.</p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {done ? <Notice kind="success">Your password was changed.</Notice> : null}
      <form onSubmit={submit}>
        <CurrentPassword value={current} onValue={setCurrent} errors={errors} />
        <TextField
          label="New password"
          type="password"
          value={next}
          onValue={setNext}
          hint={PASSWORD_HINT}
          error={fieldError(errors, 'newPassword', 'body.newPassword', 'body')}
          required
          maxLength={1024}
          autoComplete="new-password"
        />
        <button type="submit" disabled={busy || current === '' || next === ''}>
          {busy ? 'Changing…' : 'Change password'}
        </button>
      </form>
    </section>
  );
}
