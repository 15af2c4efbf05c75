import { useId, useState } from 'preact/hooks';
import type { Account } from '../account.js';
import { api, useChange, useLoaded } from '../api.js';
import { actsOn } from '../scope.js';
import type { Role } from '../session.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { CheckField, FieldErrorText, Loading, Notice, RadioFields } from './ui.js';

/** The accounts of an operator as a form holds them: every account, or the ones ticked (kept while "every"). */
export interface AccountsDraft {
  every: boolean;
  chosen: string[];
}

export const draftOf = (accounts: string[] | null): AccountsDraft => ({
  every: accounts === null,
  chosen: accounts ?? [],
});

/** What the admin API takes: null for every account, else the list (empty: no account). */
export const accountsOf = (draft: AccountsDraft): string[] | null => (draft.every ? null : draft.chosen);

/** Why `draft` is not sent, said before the server is asked: an admin of some accounts gives at least one. */
export function draftProblem(draft: AccountsDraft, everyAccount: boolean): string | undefined {
  return everyAccount || draft.chosen.length > 0 ? undefined : 'Tick at least one of your accounts.';
}

/** A checkbox for each account the signed-in operator sees: every one, or only theirs. */
function AccountPicks({ draft, onDraft }: { draft: AccountsDraft; onDraft: (draft: AccountsDraft) => void }) {
  const { data: accounts, error } = useLoaded<Account[]>('/api/admin/accounts');
  if (error) return <Notice kind="error">{error}</Notice>;
  if (accounts === null) return <Loading what="the accounts" />;
  const tick = (id: string, on: boolean) =>
    onDraft({ ...draft, chosen: on ? [...draft.chosen, id] : draft.chosen.filter((c) => c !== id) });
  return (
    <>
      {accounts.length === 0 ? <p>There is no account yet.</p> : null}
      {accounts.map(({ accountId }) => (
        <CheckField
          key={accountId}
          type="checkbox"
          label={accountId}
          checked={draft.chosen.includes(accountId)}
          onChecked={(on) => tick(accountId, on)}
        />
      ))}
    </>
  );
}

const SCOPES: { value: 'every' | 'some'; label: string }[] = [
  { value: 'every', label: 'Every account' },
  { value: 'some', label: 'Only these accounts' },
];

const EVERY_OR_SOME =
  'Every account includes the ones to come, and what is about all of them: every operator, the backups, the ' +
  "whole audit log. Limited to some accounts, the operator's role holds in those only and they see nothing of " +
  'the others; with none ticked, they act on no account.';
const SOME_OF_YOURS =
  "Among your accounts: the operator's role holds in those ticked only, and they see nothing of the others. " +
  'Tick at least one.';

/**
 * The accounts an operator acts on, the server's message about them below: an admin of every account chooses
 * every account or the ones ticked; an admin of some (`everyAccount` false) ticks some of theirs, no other choice.
 */
export function AccountsChoice({
  draft,
  onDraft,
  everyAccount,
  error,
}: {
  draft: AccountsDraft;
  onDraft: (draft: AccountsDraft) => void;
  /** The signed-in admin acts on every account, and so may give it. */
  everyAccount: boolean;
  error?: string | undefined;
}) {
  const hint = useId();
  const errorId = useId();
  return (
    <fieldset aria-describedby={error ? `${hint} ${errorId}` : hint}>
      <legend>Accounts</legend>
      <p class="hint" id={hint}>
        {everyAccount ? EVERY_OR_SOME : SOME_OF_YOURS}
      </p>
      {everyAccount ? (
        <>
          <RadioFields
            options={SCOPES}
            value={draft.every ? 'every' : 'some'}
            onValue={(scope) => onDraft({ ...draft, every: scope === 'every' })}
          />
          {draft.every ? null : (
            <fieldset>
              <legend>Which accounts</legend>
              <AccountPicks draft={draft} onDraft={onDraft} />
            </fieldset>
          )}
        </>
      ) : (
        <AccountPicks draft={draft} onDraft={onDraft} />
      )}
      <FieldErrorText id={errorId} error={error} />
    </fieldset>
  );
}

/** The operator whose accounts an admin changes. */
export interface Scoped {
  username: string;
  role: Role;
  accounts: string[] | null;
}

/**
 * The dialog that changes the accounts of `target` (closed while null); the change holds at once. An admin of some
 * accounts (`everyAccount` false) chooses among theirs.
 */
export function ChangeAccountsDialog({
  target,
  everyAccount,
  onClose,
  onChanged,
}: {
  target: Scoped | null;
  everyAccount: boolean;
  onClose: () => void;
  onChanged: (changed: Scoped) => void;
}) {
  /** The draft being edited, for the operator it belongs to; a new target starts from what they have. */
  const [edited, setEdited] = useState<(AccountsDraft & { username: string }) | null>(null);
  const { busy, error, setError, run } = useChange();
  const draft =
    target === null || edited?.username === target.username
      ? edited
      : { username: target.username, ...draftOf(target.accounts) };

  const close = () => {
    setEdited(null);
    setError(null);
    onClose();
  };

  async function save() {
    if (target === null || draft === null) return;
    const problem = draftProblem(draft, everyAccount);
    setError(problem ?? null);
    if (problem) return;
    await run(async () => {
      const path = `/api/admin/operators/${encodeURIComponent(target.username)}`;
      const changed = await api.patch<Scoped>(path, { accounts: accountsOf(draft) });
      setEdited(null);
      onChanged(changed);
    });
  }

  return (
    <ConfirmDialog
      open={target !== null}
      title="Change this operator's accounts"
      confirmLabel="Save accounts"
      danger={false}
      busy={busy}
      error={error}
      onConfirm={save}
      onCancel={close}
    >
      {target && draft ? (
        <>
          <p>
            <strong>{target.username}</strong> acts on {actsOn(target.accounts)}. A change holds at once, on
            every server node.
          </p>
          <AccountsChoice
            draft={draft}
            everyAccount={everyAccount}
            onDraft={(next) => setEdited({ username: target.username, ...next })}
          />
        </>
      ) : null}
    </ConfirmDialog>
  );
}
