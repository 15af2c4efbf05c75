import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { AddOperator, article, ROLE_LABELS } from '../components/add-operator.js';
import { ChangePassword } from '../components/change-password.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { Loading, Notice, PageHeading } from '../components/ui.js';
import { formatTime } from '../format.js';
import type { Role, SignedIn } from '../session.js';

interface Operator {
  username: string;
  role: Role;
  createdAt: string;
}

/** An admin's controls for another operator: give the other role, or remove them. */
function OperatorControls({
  operator,
  busy,
  onChangeRole,
  onRemove,
}: {
  operator: Operator;
  busy: boolean;
  onChangeRole: () => void;
  onRemove: () => void;
}) {
  return (
    <span class="row-controls">
      <button type="button" class="button-secondary" disabled={busy} onClick={onChangeRole}>
        {operator.role === 'admin' ? 'Make viewer' : 'Make admin'}
        <span class="visually-hidden"> {operator.username}</span>
      </button>
      <button type="button" class="button-danger" onClick={onRemove}>
        Remove<span class="visually-hidden"> {operator.username}</span>
      </button>
    </span>
  );
}

/**
 * The operators with their roles. An admin adds others, changes their roles and removes them (never
 * themselves); everyone changes their own password.
 */
export function OperatorsPage({ operator }: { operator: SignedIn }) {
  const admin = operator.role === 'admin';
  const [operators, setOperators] = useState<Operator[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [changing, setChanging] = useState<string | null>(null);
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

  async function changeRole(target: Operator) {
    const role: Role = target.role === 'admin' ? 'viewer' : 'admin';
    setChanging(target.username);
    setError(null);
    setNotice(null);
    try {
      await api.patch(`/api/admin/operators/${encodeURIComponent(target.username)}`, { role });
      setNotice(`Operator ${target.username} is now ${article(role)}, at once on every server node.`);
      await load();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setChanging(null);
    }
  }

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
        Operators sign in to this web app and call the admin API. An admin may do everything, including adding
        operators, changing their roles and removing anyone but themselves. A viewer reads accounts, policies,
        context and logs, but no secret, and changes only their own password and API tokens. Each change is
        recorded in the audit log.
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
                  <td>{ROLE_LABELS[o.role]}</td>
                  <td>
                    <time dateTime={o.createdAt}>{formatTime(o.createdAt)}</time>
                  </td>
                  <td>
                    {o.username === operator.username ? (
                      <span class="muted">you</span>
                    ) : admin ? (
                      <OperatorControls
                        operator={o}
                        busy={changing !== null}
                        onChangeRole={() => void changeRole(o)}
                        onRemove={() => {
                          setRemoveError(null);
                          setRemoving(o.username);
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
