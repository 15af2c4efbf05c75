import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type FieldError, messageOf } from '../api.js';
import { ChangePassword, PASSWORD_HINT } from '../components/change-password.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { CopyButton } from '../components/copy-button.js';
import { fieldError, Loading, Notice, PageHeading, TextField } from '../components/ui.js';
import { formatTime } from '../format.js';

interface Operator {
  username: string;
  createdAt: string;
}

/** As the server checks it (src/services/operators.ts). */
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const USERNAME_RULE = '1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit.';

/** Adds an operator; a password the server generated is shown here once. */
function AddOperator({ onAdded }: { onAdded: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [added, setAdded] = useState<{ username: string; password?: string } | null>(null);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setError(null);
    setAdded(null);
    const name = username.trim();
    if (!USERNAME.test(name)) {
      setErrors([{ field: 'username', message: `Use ${USERNAME_RULE}` }]);
      return;
    }
    setBusy(true);
    setErrors([]);
    try {
      setAdded(
        await api.post<{ username: string; password?: string }>('/api/admin/operators', {
          username: name,
          ...(password === '' ? {} : { password }),
        }),
      );
      setUsername('');
      setPassword('');
      onAdded();
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 409) {
        setErrors([{ field: 'username', message: `An operator named ${name} already exists.` }]);
      } else if (failure instanceof ApiError && failure.errors.length > 0) setErrors(failure.errors);
      else setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="add-operator" class="card">
      <h2 id="add-operator">Add an operator</h2>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {added && added.password === undefined ? (
        <Notice kind="success">Operator {added.username} was added, with the password you chose.</Notice>
      ) : null}
      {added?.password !== undefined ? (
        <>
          <Notice kind="success">
            Operator {added.username} was added. Give them this password now: it is shown only once.
          </Notice>
          <dl class="secrets">
            <dt>Password</dt>
            <dd>
              <code class="secret" id="operator-password-value">
                {added.password}
              </code>
              <CopyButton label="Copy password" value={added.password} />
            </dd>
          </dl>
        </>
      ) : null}
      <form onSubmit={submit}>
        <TextField
          label="Username"
          value={username}
          onValue={setUsername}
          hint={USERNAME_RULE}
          error={fieldError(errors, 'username', 'body.username', 'body')}
          required
          maxLength={64}
          autoComplete="off"
          spellcheck={false}
        />
        <TextField
          label="Password (optional)"
          type="password"
          value={password}
          onValue={setPassword}
          hint={`${PASSWORD_HINT} Leave it empty to have one generated, shown once here.`}
          error={fieldError(errors, 'password', 'body.password')}
          maxLength={1024}
          autoComplete="new-password"
        />
        <button type="submit" disabled={busy || username.trim() === ''}>
          {busy ? 'Adding…' : 'Add operator'}
        </button>
      </form>
    </section>
  );
}

/** The operators, who may add and remove one another (not themselves), and each one's own password. */
export function OperatorsPage({ username }: { username: string }) {
  const [operators, setOperators] = useState<Operator[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  const [removeError, setRemoveError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function load() {
    try {
      setOperators(await api.get<Operator[]>('/api/admin/operators'));
    } catch (failure) {
      setError(messageOf(failure));
    }
  }

  useEffect(() => {
    void load();
  }, []);

  async function remove() {
    if (removing === null) return;
    setBusy(true);
    setRemoveError(null);
    try {
      await api.delete(`/api/admin/operators/${encodeURIComponent(removing)}`);
      setNotice(`Operator ${removing} was removed; their sessions and API tokens stopped working.`);
      setRemoving(null);
      await load();
    } catch (failure) {
      setRemoveError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <PageHeading title="Operators">Operators</PageHeading>
      <p>
        Operators sign in to this web app and call the admin API. Any operator can add others and remove
        anyone but themselves; each change is recorded in the audit log.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      <section aria-labelledby="operator-list">
        <h2 id="operator-list">All operators</h2>
        {operators === null && !error ? <Loading what="the operators" /> : null}
        {operators && operators.length > 0 ? (
          <table>
            <caption class="visually-hidden">Operators, by username</caption>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {operators.map((o) => (
                <tr key={o.username}>
                  <th scope="row">{o.username}</th>
                  <td>
                    <time dateTime={o.createdAt}>{formatTime(o.createdAt)}</time>
                  </td>
                  <td>
                    {o.username === username ? (
                      <span class="muted">you</span>
                    ) : (
                      <button
                        type="button"
                        class="button-danger"
                        onClick={() => {
                          setRemoveError(null);
                          setRemoving(o.username);
                        }}
                      >
                        Remove<span class="visually-hidden"> {o.username}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      <AddOperator
        onAdded={() => {
          setNotice(null);
          void load();
        }}
      />
      <ChangePassword />
      <ConfirmDialog
        open={removing !== null}
        title="Remove this operator?"
        confirmLabel="Remove"
        busy={busy}
        error={removeError}
        onConfirm={remove}
        onCancel={() => setRemoving(null)}
      >
        {removing !== null ? (
          <p>
            <strong>{removing} can no longer sign in</strong>, and their sessions and API tokens stop working
            at once, on every server node. To let them back in, add them again with a new password.
          </p>
        ) : null}
      </ConfirmDialog>
    </>
  );
}
