import { useState } from 'preact/hooks';
import { ApiError, api, type FieldError, messageOf, useChange, useLoaded } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { CopyButton } from '../components/copy-button.js';
import {
  type OperatorToken,
  type TokenRole,
  TokenRoleChoice,
  TokenTable,
} from '../components/operator-token-parts.js';
import { fieldError, Loading, Notice, PageHeading, SelectField, TextField } from '../components/ui.js';
import { ofEveryAccount, type SignedIn } from '../session.js';

type Expiry = '30' | '90' | '365' | 'never';

const EXPIRY_OPTIONS: { value: Expiry; label: string }[] = [
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
  { value: 'never', label: 'Never' },
];

/**
 * Operator API tokens for automation (`Authorization: Bearer <token>` on the admin API): create, list, revoke
 * (an admin any token listed, a viewer their own). An operator of every account sees every token; one of some
 * accounts, theirs and those of the operators whose accounts are all among theirs.
 */
export function OperatorTokensPage({ operator }: { operator: SignedIn }) {
  const everyAccount = ofEveryAccount(operator);
  const {
    data: tokens,
    error,
    setError,
    reload: load,
  } = useLoaded<OperatorToken[]>('/api/admin/operator-tokens');
  const [name, setName] = useState('');
  const [expiry, setExpiry] = useState<Expiry>('90');
  const [role, setRole] = useState<TokenRole>(null);
  const [created, setCreated] = useState<(OperatorToken & { token: string }) | null>(null);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [revoking, setRevoking] = useState<OperatorToken | null>(null);
  const revocation = useChange();

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setErrors([]);
    setNotice(null);
    try {
      setCreated(
        await api.post<OperatorToken & { token: string }>('/api/admin/operator-tokens', {
          name: name.trim(),
          expiresInDays: expiry === 'never' ? null : Number(expiry),
          ...(role === 'viewer' ? { role } : {}),
        }),
      );
      setName('');
      await load();
    } catch (failure) {
      if (failure instanceof ApiError && failure.errors.length > 0) setErrors(failure.errors);
      else setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  async function revoke() {
    if (!revoking) return;
    await revocation.run(async () => {
      await api.delete(`/api/admin/operator-tokens/${encodeURIComponent(revoking.id)}`);
      setNotice(`Token “${revoking.name}” was revoked: it stopped working at once.`);
      if (created?.id === revoking.id) setCreated(null);
      setRevoking(null);
      await load();
    });
  }

  return (
    <>
      <PageHeading title="Operator API tokens">Operator API tokens</PageHeading>
      <p>
        Scripts and automation call the admin API (<code>/api/admin/…</code>) with an operator API token in
        <code> Authorization: Bearer &lt;token&gt;</code>, instead of signing in. A token acts as the operator
        who created it, with no CSRF token needed, so keep it as secret as a password; one made to act as a
        viewer reads what a viewer reads, never a secret, whatever its operator's role. Tokens can expire;
        {everyAccount
          ? " every operator's tokens are listed here. An admin can revoke any token, a viewer their own;"
          : ' your own and those of the operators whose accounts are all among yours are listed here. An admin ' +
            'can revoke any of them, a viewer their own;'}{' '}
        revoking stops it at once. Creating and revoking a token are recorded in the audit log.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      {/* Keyed by the token, so that a new one's Copy button does not say "Copied" for the last one. */}
      {created ? (
        <section key={created.id} aria-labelledby="new-token" class="card">
          <h2 id="new-token">Token “{created.name}”</h2>
          <Notice kind="success">
            Copy it now: it is shown only once, and only its hash is stored.
            {created.role === 'viewer' ? ' It acts as a viewer: it reads, never a secret.' : null}
          </Notice>
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
          <SelectField
            label="Expires"
            value={expiry}
            options={EXPIRY_OPTIONS}
            onValue={setExpiry}
            error={fieldError(errors, 'expiresInDays', 'body.expiresInDays')}
          />
          {operator.role === 'admin' ? (
            <TokenRoleChoice
              ownRole={operator.role}
              value={role}
              onValue={setRole}
              error={fieldError(errors, 'role', 'body.role')}
            />
          ) : null}
          <button type="submit" disabled={busy || name.trim() === ''}>
            {busy ? 'Creating…' : 'Create token'}
          </button>
        </form>
      </section>
      <section aria-labelledby="token-list">
        <h2 id="token-list">{everyAccount ? 'All tokens' : 'Tokens of you and your operators'}</h2>
        {tokens === null && !error ? <Loading what="the tokens" /> : null}
        {tokens && tokens.length === 0 ? <p>No tokens yet.</p> : null}
        {tokens && tokens.length > 0 ? (
          <TokenTable
            tokens={tokens}
            mayRevoke={(t) => operator.role === 'admin' || t.username === operator.username}
            onRevoke={(t) => {
              revocation.setError(null);
              setRevoking(t);
            }}
          />
        ) : null}
      </section>
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this token?"
        confirmLabel="Revoke"
        busy={revocation.busy}
        error={revocation.error}
        onConfirm={revoke}
        onCancel={() => setRevoking(null)}
      >
        {revoking ? (
          <p>
            <strong>
              Token “{revoking.name}” of {revoking.username} stops working at once
            </strong>
            , on every server node: whatever calls the admin API with it is refused from then on. This cannot
            be undone.
          </p>
        ) : null}
      </ConfirmDialog>
    </>
  );
}
