import { useState } from 'preact/hooks';
import { ApiError, api, messageOf } from '../api.js';
import { Notice, PageHeading, TextField } from '../components/ui.js';
import { fetchSignedIn, type SignedIn } from '../session.js';

/** Operator sign-in: a clear message on a wrong password, and on too many attempts. */
export function SignInPage({ onSignedIn }: { onSignedIn: (operator: SignedIn) => void }) {
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.post('/api/admin/login', { username, password });
      // The sign-in answers the name, not the role: the session says both, with the CSRF token.
      onSignedIn(await fetchSignedIn());
    } catch (failure) {
      setPassword('');
      if (failure instanceof ApiError && failure.status === 401)
        setError('Wrong username or password. Try again.');
      else if (failure instanceof ApiError && failure.status === 429) {
        setError(
          `Too many failed sign-ins. Wait ${failure.retryAfter ? `${failure.retryAfter} seconds` : 'a minute'} before trying again.`,
        );
      } else setError(messageOf(failure));
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
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
