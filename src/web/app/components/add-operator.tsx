import { useState } from 'preact/hooks';
import { ApiError, api, type FieldError, useChange } from '../api.js';
import { ofAccounts } from '../scope.js';
import type { Role } from '../session.js';
import { PASSWORD_HINT } from './change-password.js';
import { CopyButton } from './copy-button.js';
import {
  AccountsChoice,
  type AccountsDraft,
  accountsOf,
  draftOf,
  draftProblem,
} from './operator-accounts.js';
import { fieldError, Notice, SelectField, TextField } from './ui.js';

/** As the server checks it (src/services/operators.ts). */
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const USERNAME_RULE = '1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit.';

/** "an admin", "a viewer". */
export const article = (role: Role): string => (role === 'admin' ? 'an admin' : 'a viewer');

/** The roles as the forms and lists of the operators page name them. */
export const ROLE_LABELS: Record<Role, string> = { viewer: 'Viewer', admin: 'Admin' };

const ROLE_OPTIONS: { value: Role; label: string }[] = [
  { value: 'viewer', label: ROLE_LABELS.viewer },
  { value: 'admin', label: ROLE_LABELS.admin },
];

const VIEWER_HINT =
  'A viewer reads accounts, policies, context and logs but no secret, and changes only their own password and API ' +
  'tokens.';
/** An admin added by an admin of some accounts has no more power than they have. */
const ADMIN_OF_SOME_HINT = 'An admin may do everything you may do, within the accounts you give them.';

interface Added {
  username: string;
  role: Role;
  accounts: string[] | null;
  password?: string;
}

/**
 * Adds an operator, a viewer unless told otherwise. An admin of every account (`everyAccount`) gives every account
 * or some; an admin of some gives at least one of theirs. A password the server generated is shown here once.
 */
export function AddOperator({ everyAccount, onAdded }: { everyAccount: boolean; onAdded: () => void }) {
  const blank = draftOf(everyAccount ? null : []);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [accounts, setAccounts] = useState<AccountsDraft>(blank);
  const [added, setAdded] = useState<Added | null>(null);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const { busy, error, setError, run } = useChange();

  async function submit(event: Event) {
    event.preventDefault();
    setError(null);
    setAdded(null);
    const name = username.trim();
    const refused: FieldError[] = [];
    if (!USERNAME.test(name)) refused.push({ field: 'username', message: `Use ${USERNAME_RULE}` });
    const noAccount = draftProblem(accounts, everyAccount);
    if (noAccount) refused.push({ field: 'accounts', message: noAccount });
    if (refused.length > 0) {
      setErrors(refused);
      return;
    }
    await run(async () => {
      setErrors([]);
      try {
        setAdded(
          await api.post<Added>('/api/admin/operators', {
            username: name,
            role,
            ...(password === '' ? {} : { password }),
            ...(accounts.every ? {} : { accounts: accountsOf(accounts) }),
          }),
        );
        setUsername('');
        setPassword('');
        setRole('viewer');
        setAccounts(blank);
        onAdded();
      } catch (failure) {
        // A refusal is said on its field; anything else, above the form.
        if (failure instanceof ApiError && failure.status === 409) {
          setErrors([{ field: 'username', message: `An operator named ${name} already exists.` }]);
        } else if (failure instanceof ApiError && failure.errors.length > 0) setErrors(failure.errors);
        else throw failure;
      }
    });
  }

  return (
    <section aria-labelledby="add-operator" class="card">
      <h2 id="add-operator">Add an operator</h2>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {added && added.password === undefined ? (
        <Notice kind="success">
          Operator {added.username} was added as {article(added.role)}
          {ofAccounts(added.accounts)}, with the password you chose.
        </Notice>
      ) : null}
      {added?.password !== undefined ? (
        <>
          <Notice kind="success">
            Operator {added.username} was added as {article(added.role)}
            {ofAccounts(added.accounts)}. Give them this password now: it is shown only once.
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
        <SelectField
          label="Role"
          value={role}
          options={ROLE_OPTIONS}
          onValue={setRole}
          hint={`${VIEWER_HINT} ${everyAccount ? 'An admin may do everything.' : ADMIN_OF_SOME_HINT}`}
          error={fieldError(errors, 'role', 'body.role')}
        />
        <AccountsChoice
          draft={accounts}
          onDraft={setAccounts}
          everyAccount={everyAccount}
          error={fieldError(errors, 'accounts', 'body.accounts')}
        />
        <button type="submit" disabled={busy || username.trim() === ''}>
          {busy ? 'Adding…' : 'Add operator'}
        </button>
      </form>
    </section>
  );
}
