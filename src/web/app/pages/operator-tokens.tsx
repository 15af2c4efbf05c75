import { useState } from 'preact/hooks';
import { ApiError, api, type FieldError, messageOf } from '../api.js';
import { CopyButton } from '../components/copy-button.js';
import { fieldError, Notice, PageHeading, TextField } from '../components/ui.js';

/** Creates an operator API token for automation: `Authorization: Bearer <token>` on the admin API. */
export function OperatorTokensPage() {
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ token: string; name: string } | null>(null);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setErrors([]);
    try {
      setCreated(
        await api.post<{ token: string; name: string }>('/api/admin/operator-tokens', { name: name.trim() }),
      );
      setName('');
    } catch (failure) {
      if (failure instanceof ApiError && failure.errors.length > 0) setErrors(failure.errors);
      else setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <PageHeading title="Operator API tokens">Operator API tokens</PageHeading>
      <p>
        Scripts and automation call the admin API (<code>/api/admin/…</code>) with an operator API token in
        <code> Authorization: Bearer &lt;token&gt;</code>, instead of signing in. A token acts as you, with no
        CSRF token needed, so keep it as secret as your password. Its creation is recorded in the audit log.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {created ? (
        <section aria-labelledby="new-token" class="card">
          <h2 id="new-token">Token “{created.name}”</h2>
          <Notice kind="success">Copy it now: it is shown only once, and only its hash is stored.</Notice>
          <dl class="secrets">
            <dt>Token</dt>
            <dd>
              <code class="secret" id="operator-token-value">
                {created.token}
              </code>
              <CopyButton label="Copy token" value={created.token} />
            </dd>
          </dl>
        </section>
      ) : null}
      <section aria-labelledby="create-token" class="card">
        <h2 id="create-token">Create a token</h2>
        <form onSubmit={submit} class="inline-form">
          <TextField
            label="Name"
            value={name}
            onValue={setName}
            hint="What uses it, such as ci-deploy, so the audit log tells tokens apart."
            error={fieldError(errors, 'name', 'body.name', 'body')}
            required
            maxLength={100}
            autoComplete="off"
          />
          <button type="submit" disabled={busy || name.trim() === ''}>
            {busy ? 'Creating…' : 'Create token'}
          </button>
        </form>
      </section>
    </>
  );
}
