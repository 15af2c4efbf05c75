import { useState } from 'preact/hooks';
import { api, messageOf, useChange, useLoaded } from '../api.js';
import { AddOperator, article, ROLE_LABELS } from '../components/add-operator.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ChangeAccountsDialog } from '../components/operator-accounts.js';
import { ActivityDialog } from '../components/operator-activity.js';
import { CONFIRMATIONS, type OperatorAction, OperatorControls } from '../components/operator-controls.js';
import { OwnSignIn } from '../components/own-sign-in.js';
import { Loading, Notice, PageHeading, TableHead } from '../components/ui.js';
import type { Ended } from '../components/your-sessions.js';
import { formatTime } from '../format.js';
import { accountsInWords, actsOn, ofAccounts } from '../scope.js';
import { ofEveryAccount, type Role, type SignedIn } from '../session.js';
import type { SsoSetup } from '../sso.js';

interface Operator {
  username: string;
  role: Role;
  /** Null: every account. */
  accounts: string[] | null;
  createdAt: string;
  /** Whether their sign-in asks for a one-time code. */
  totpEnabled: boolean;
  /** How many passkeys they have; any of them confirms their sign-in. */
  passkeys: number;
}

/** What an admin confirms before it is done to another operator. */
interface Confirming {
  action: OperatorAction;
  username: string;
}

/** Said to an operator of every account about those of some. */
const OF_SOME =
  'An operator of some accounts acts on those only, with their role. They see the operators whose accounts ' +
  'are all among theirs, and as an admin manage them; the backups and the audit log of every account are not ' +
  'theirs to see.';
/** Said to an operator of some accounts about the operators listed. */
const YOURS =
  'You act on some accounts only: listed are you and the operators whose accounts are all among yours. An admin ' +
  'of your accounts adds them, changes their roles and their accounts (among yours) and removes them. Operators ' +
  'of every account, or of an account not yours, are not listed.';

/**
 * The operators the signed-in one sees, with their roles and accounts: every operator, or (limited to some
 * accounts) themselves and the operators whose accounts are all among theirs. An admin adds others, changes their
 * roles and accounts and removes them (never themselves); everyone changes their own password, sessions, one-time
 * codes and passkeys.
 */
export function OperatorsPage({ operator }: { operator: SignedIn }) {
  const everyAccount = ofEveryAccount(operator);
  const admin = operator.role === 'admin';
  const { data: operators, error, setError, reload: load } = useLoaded<Operator[]>('/api/admin/operators');
  const { data: sso } = useLoaded<SsoSetup>('/api/admin/sso');
  const [notice, setNotice] = useState<string | null>(null);
  const [changing, setChanging] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Confirming | null>(null);
  const [scoping, setScoping] = useState<Operator | null>(null);
  /** The operator whose activity is shown. */
  const [watching, setWatching] = useState<string | null>(null);
  const { busy, error: confirmError, setError: setConfirmError, run } = useChange();

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
    await run(async () => {
      const { path, done } = CONFIRMATIONS[action];
      const answer = await api.delete<Ended | undefined>(
        `/api/admin/operators/${encodeURIComponent(username)}${path}`,
      );
      setNotice(done(username, answer));
      setConfirming(null);
      await load();
    });
  }

  // The dialog keeps a title while it closes.
  const shown = CONFIRMATIONS[confirming?.action ?? 'remove'];

  return (
    <>
      <PageHeading title="Operators">Operators</PageHeading>
      <p>
        Operators sign in to this web app and call the admin API. An admin may do everything, including adding
        operators, changing their roles and removing anyone but themselves. A viewer reads accounts, policies,
        context and logs, but no secret, and changes only their own password and API tokens.{' '}
        {everyAccount ? OF_SOME : YOURS} Each change is recorded in the audit log; <strong>Activity</strong>{' '}
        on a row shows what that operator did and what was done to them.
      </p>
      {sso?.rolesFromGroups ? (
        <p>
          Operators who sign in with {sso.name ?? 'single sign-on'} get their role and accounts from their
          groups there, at each sign-in: a change made here lasts until their next sign-in through it.
        </p>
      ) : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      <section aria-labelledby="operator-list">
        <h2 id="operator-list">{everyAccount ? 'All operators' : 'Operators of your accounts'}</h2>
        {operators === null && !error ? <Loading what="the operators" /> : null}
        {operators && operators.length > 0 ? (
          <table>
            <TableHead
              caption="Operators, by username"
              columns={[
                'Username',
                'Role',
                'Accounts',
                'Added',
                admin ? 'Codes' : null,
                admin ? 'Passkeys' : null,
              ]}
              actions
            />
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
                  {admin ? <td>{o.passkeys > 0 ? o.passkeys : 'None'}</td> : null}
                  <td>
                    <span class="row-controls">
                      <button type="button" class="button-secondary" onClick={() => setWatching(o.username)}>
                        Activity<span class="visually-hidden"> of {o.username}</span>
                      </button>
                      {o.username === operator.username ? <span class="muted">you</span> : null}
                      {admin && o.username !== operator.username ? (
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
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      {admin ? (
        <AddOperator
          everyAccount={everyAccount}
          onAdded={() => {
            setNotice(null);
            void load();
          }}
        />
      ) : null}
      <OwnSignIn onSecondFactorChanged={() => void load()} />
      <ActivityDialog username={watching} everyAccount={everyAccount} onClose={() => setWatching(null)} />
      <ChangeAccountsDialog
        target={scoping}
        everyAccount={everyAccount}
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
        {confirming ? shown.text(confirming.username) : null}
      </ConfirmDialog>
    </>
  );
}
