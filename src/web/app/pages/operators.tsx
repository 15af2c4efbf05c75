import { useState } from 'preact/hooks';
import { api, messageOf, useLoaded } from '../api.js';
import { AddOperator, article, ROLE_LABELS } from '../components/add-operator.js';
import { ChangePassword } from '../components/change-password.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ChangeAccountsDialog } from '../components/operator-accounts.js';
import { TotpSection } from '../components/totp-section.js';
import { Loading, Notice, PageHeading } from '../components/ui.js';
import { formatTime } from '../format.js';
import { accountsInWords, actsOn, ofAccounts } from '../scope.js';
import { ofEveryAccount, type Role, type SignedIn } from '../session.js';

interface Operator {
  username: string;
  role: Role;
  /** Null: every account. */
  accounts: string[] | null;
  createdAt: string;
  /** Whether their sign-in asks for a one-time code. */
  totpEnabled: boolean;
}

/** What an admin confirms before it is done to another operator. */
interface Confirming {
  action: 'remove' | 'reset-codes';
  username: string;
}

/**
 * An admin's controls for another operator: give the other role, change their accounts, remove their codes, or
 * remove them.
 */
function OperatorControls({
  operator,
  busy,
  onChangeRole,
  onChangeAccounts,
  onConfirm,
}: {
  operator: Operator;
  busy: boolean;
  onChangeRole: () => void;
  onChangeAccounts: () => void;
  onConfirm: (action: Confirming['action']) => void;
}) {
  return (
    <span class="row-controls">
      <button type="button" class="button-secondary" disabled={busy} onClick={onChangeRole}>
        {operator.role === 'admin' ? 'Make viewer' : 'Make admin'}
        <span class="visually-hidden"> {operator.username}</span>
      </button>
      <button type="button" class="button-secondary" onClick={onChangeAccounts}>
        Change accounts<span class="visually-hidden"> of {operator.username}</span>
      </button>
      {operator.totpEnabled ? (
        <button type="button" class="button-secondary" onClick={() => onConfirm('reset-codes')}>
          Reset codes<span class="visually-hidden"> of {operator.username}</span>
        </button>
      ) : null}
      <button type="button" class="button-danger" onClick={() => onConfirm('remove')}>
        Remove<span class="visually-hidden"> {operator.username}</span>
      </button>
    </span>
  );
}

/** The confirmation of each action, and the notice once it is done. */
const CONFIRMATIONS: Record<
  Confirming['action'],
  { title: string; label: string; done: (username: string) => string }
> = {
  remove: {
    title: 'Remove this operator?',
    label: 'Remove',
    done: (username) => `Operator ${username} was removed; their sessions and API tokens stopped working.`,
  },
  'reset-codes': {
    title: "Reset this operator's one-time codes?",
    label: 'Reset codes',
    done: (username) =>
      `The one-time codes of ${username} were removed: they sign in with their password alone, and may set up codes again.`,
  },
};

function ConfirmationText({ action, username }: Confirming) {
  return action === 'remove' ? (
    <p>
      <strong>{username} can no longer sign in</strong>, and their sessions and API tokens stop working at
      once, on every server node. To let them back in, add them again with a new password.
    </p>
  ) : (
    <p>
      <strong>{username} signs in with their password alone</strong> until they set up one-time codes again.
      Do this when they lost the phone with their authenticator app. Their sessions and API tokens go on
      working.
    </p>
  );
}

/**
 * At the operators page's address, an operator of some accounts finds what is theirs alone: their password and
 * one-time codes. The operators are for operators of every account.
 */
function YourSignIn() {
  return (
    <>
      <PageHeading title="Your sign-in">Your sign-in</PageHeading>
      <p>
        Your password and one-time codes. You act on some accounts only: an operator of every account adds
        operators and chooses who acts on which accounts.
      </p>
      <ChangePassword />
      <TotpSection />
    </>
  );
}

/**
 * The operators with their roles and accounts. An admin of every account adds others, changes their roles and
 * accounts and removes them (never themselves); everyone changes their own password.
 */
export function OperatorsPage({ operator }: { operator: SignedIn }) {
  return ofEveryAccount(operator) ? <AllOperators operator={operator} /> : <YourSignIn />;
}

function AllOperators({ operator }: { operator: SignedIn }) {
  const admin = operator.role === 'admin';
  const { data: operators, error, setError, reload: load } = useLoaded<Operator[]>('/api/admin/operators');
  const [notice, setNotice] = useState<string | null>(null);
  const [changing, setChanging] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Confirming | null>(null);
  const [scoping, setScoping] = useState<Operator | null>(null);
  const [confirmError, setConfirmError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function changeRole(target: Operator) {
    const role: Role = target.role === 'admin' ? 'viewer' : 'admin';
    setChanging(target.username);
    setError(null);
    setNotice(null);
    try {
      await api.patch(`/api/admin/operators/${encodeURIComponent(target.username)}`, { role });
      setNotice(
        `Operator ${target.username} is now ${article(role)}${ofAccounts(target.accounts)}, at once on every server node.`,
      );
      await load();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setChanging(null);
    }
  }

  async function confirm() {
    if (confirming === null) return;
    const { action, username } = confirming;
    setBusy(true);
    setConfirmError(null);
    try {
      const path = `/api/admin/operators/${encodeURIComponent(username)}`;
      await api.delete(action === 'remove' ? path : `${path}/totp`);
      setNotice(CONFIRMATIONS[action].done(username));
      setConfirming(null);
      await load();
    } catch (failure) {
      setConfirmError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  // The dialog keeps a title while it closes.
  const shown = CONFIRMATIONS[confirming?.action ?? 'remove'];

  return (
    <>
      <PageHeading title="Operators">Operators</PageHeading>
      <p>
        Operators sign in to this web app and call the admin API. An admin may do everything, including adding
        operators, changing their roles and removing anyone but themselves. A viewer reads accounts, policies,
        context and logs, but no secret, and changes only their own password and API tokens. An operator of
        some accounts acts on those only, with their role; the operators, the backups and the audit log of
        every account are not theirs to see. Each change is recorded in the audit log.
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
                <th scope="col">Role</th>
                <th scope="col">Accounts</th>
                <th scope="col">Added</th>
                {admin ? <th scope="col">Codes</th> : null}
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {operators.map((o) => (
                <tr key={o.username}>
                  <th scope="row">{o.username}</th>
                  <td>{ROLE_LABELS[o.role]}</td>
                  <td>{accountsInWords(o.accounts)}</td>
                  <td>
                    <time dateTime={o.createdAt}>{formatTime(o.createdAt)}</time>
                  </td>
                  {admin ? <td>{o.totpEnabled ? 'On' : 'Off'}</td> : null}
                  <td>
                    {o.username === operator.username ? (
                      <span class="muted">you</span>
                    ) : admin ? (
                      <OperatorControls
                        operator={o}
                        busy={changing !== null}
                        onChangeRole={() => void changeRole(o)}
                        onChangeAccounts={() => setScoping(o)}
                        onConfirm={(action) => {
                          setConfirmError(null);
                          setConfirming({ action, username: o.username });
                        }}
                      />
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      {admin ? (
        <AddOperator
          onAdded={() => {
            setNotice(null);
            void load();
          }}
        />
      ) : null}
      <ChangePassword />
      <TotpSection onChanged={() => void load()} />
      <ChangeAccountsDialog
        target={scoping}
        onClose={() => setScoping(null)}
        onChanged={(changed) => {
          setScoping(null);
          setError(null);
          setNotice(`Operator ${changed.username} now acts on ${actsOn(changed.accounts)}.`);
          void load();
        }}
      />
      <ConfirmDialog
        open={confirming !== null}
        title={shown.title}
        confirmLabel={shown.label}
        busy={busy}
        error={confirmError}
        onConfirm={confirm}
        onCancel={() => setConfirming(null)}
      >
        {confirming ? <ConfirmationText {...confirming} /> : null}
      </ConfirmDialog>
    </>
  );
}
