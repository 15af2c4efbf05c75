import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, messageOf } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { CustomAttributes } from '../components/custom-attributes.js';
import { DryRun, describeAction } from '../components/dry-run.js';
import { PolicyHistory, policyCount, restoreWords, versionWords } from '../components/policy-history.js';
import { Link, Loading, Notice, PageHeading } from '../components/ui.js';
import {
  type Policy,
  type PolicyInput,
  type PolicyVersion,
  type PolicyVersionSummary,
  policyApi,
} from '../policy-api.js';
import { describeCondition } from '../policy-form.js';
import { policyHref } from '../router.js';
import type { Role } from '../session.js';

/** The wire form of a saved policy for a list replacement (ids kept, so each policy stays itself). */
const inputOf = (p: Policy): PolicyInput => ({ ...p });

/**
 * The ordered policies: an admin enables or disables, moves, edits and deletes them, a viewer sees each one;
 * then the custom attributes, a dry run, and the history of the list, from which an admin restores an earlier one.
 */
export function PoliciesPage({ accountId, role }: { accountId: string; role: Role }) {
  const admin = role === 'admin';
  const [policies, setPolicies] = useState<Policy[] | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Policy | null>(null);
  const [restoring, setRestoring] = useState<PolicyVersion | null>(null);
  const [history, setHistory] = useState<PolicyVersionSummary[] | null>(null);
  const [historyError, setHistoryError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [focus, setFocus] = useState<string | null>(null);

  // The list and its history, read together: each change of the list is in the history as soon as it is made.
  const load = useCallback(async () => {
    const [list, versions] = await Promise.allSettled([
      policyApi.list(accountId),
      policyApi.history(accountId),
    ]);
    if (list.status === 'fulfilled') {
      setPolicies(list.value.data);
      setEtag(list.value.etag);
      setError(null);
    } else {
      setError(messageOf(list.reason));
    }
    if (versions.status === 'fulfilled') {
      setHistory(versions.value);
      setHistoryError(null);
    } else {
      setHistoryError(messageOf(versions.reason));
    }
  }, [accountId]);
  useEffect(() => {
    void load();
  }, [load]);

  // After a move, the moved policy's button keeps the focus (or its other move button, at an end).
  useEffect(() => {
    if (!focus) return;
    const element = document.getElementById(focus) as HTMLButtonElement | null;
    const fallback = document.getElementById(
      focus.replace(/^move-(up|down)/, (_, d) => (d === 'up' ? 'move-down' : 'move-up')),
    );
    (element && !element.disabled ? element : fallback)?.focus();
    setFocus(null);
  }, [focus]);

  /**
   * Runs a change, shows the list as it is now, and puts the focus back where the person was. The notice (or
   * the error) comes once the list is shown again, so that what is announced is what is on the screen, and
   * the reload cannot wipe the error away.
   */
  async function change(what: () => Promise<unknown>, done: string, focusAfter: string | null = null) {
    setBusy(true);
    setNotice(null);
    let outcome: { ok: true } | { ok: false; message: string };
    try {
      await what();
      outcome = { ok: true };
    } catch (failure) {
      outcome = {
        ok: false,
        message:
          failure instanceof ApiError && failure.status === 412
            ? 'The policies changed since this page loaded; they are shown again as they are now. Redo the change.'
            : messageOf(failure),
      };
    }
    // Reloading clears any earlier error: the change's own outcome is shown after it.
    await load();
    setBusy(false);
    if (outcome.ok) setNotice(done);
    else setError(outcome.message);
    setFocus(focusAfter);
  }

  const toggle = (policy: Policy) =>
    change(
      async () => {
        const current = await policyApi.get(accountId, policy.id);
        await policyApi.replace(
          accountId,
          policy.id,
          { ...current.data, enabled: !policy.enabled },
          current.etag,
        );
      },
      `Policy “${policy.name}” is now ${policy.enabled ? 'disabled' : 'enabled'}.`,
      `toggle-${policy.id}`,
    );

  const move = (index: number, by: -1 | 1) => {
    if (!policies) return;
    const list = [...policies];
    const [moved] = list.splice(index, 1);
    if (!moved) return;
    list.splice(index + by, 0, moved);
    void change(
      () => policyApi.replaceAll(accountId, list.map(inputOf), etag),
      `Policy “${moved.name}” moved to position ${index + by + 1}.`,
      `move-${by < 0 ? 'up' : 'down'}-${moved.id}`,
    );
  };

  const remove = async () => {
    if (!deleting) return;
    const policy = deleting;
    await change(async () => {
      const current = await policyApi.get(accountId, policy.id);
      await policyApi.remove(accountId, policy.id, current.etag);
    }, `Policy “${policy.name}” was deleted.`);
    setDeleting(null);
  };

  // With the list's ETag as this page read it: a list changed meanwhile is refused (412) and shown again.
  const restore = async () => {
    if (!restoring) return;
    const version = restoring;
    await change(
      () => policyApi.restore(accountId, version.version, etag),
      `The list of ${versionWords(version)} is the current one again (${policyCount(version.policies.length)}), used from the next request. The history has the restore too.`,
      'restore-version',
    );
    setRestoring(null);
  };

  return (
    <>
      <PageHeading title={`Policies · ${accountId}`}>Policies</PageHeading>
      <p>
        Next-action calls evaluate the policies from top to bottom: the first enabled policy whose condition
        holds wins, and its actions are returned. New policies go to the bottom, disabled.
      </p>
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      <section aria-labelledby="policy-list" class="card">
        <h2 id="policy-list">Policies in order</h2>
        {policies === null && !error ? <Loading what="policies" /> : null}
        {policies && policies.length === 0 ? <p>No policies yet.</p> : null}
        {policies && policies.length > 0 ? (
          <ol class="policy-list">
            {policies.map((p, i) => (
              <li key={p.id} aria-label={`${i + 1}. ${p.name}`}>
                <span class="policy-position" aria-hidden="true">
                  {i + 1}.
                </span>
                <span class="policy-name">{p.name}</span>
                <span class={`badge ${p.enabled ? 'badge-on' : 'badge-off'}`}>
                  {p.enabled ? 'Enabled' : 'Disabled'}
                </span>
                <span class="policy-summary">
                  <span class="muted">If</span> <code>{describeCondition(p)}</code>{' '}
                  <span class="muted">then</span> {p.actions.map(describeAction).join('; ')}
                </span>
                <span class="policy-controls">
                  {admin ? (
                    <>
                      <button
                        type="button"
                        id={`toggle-${p.id}`}
                        class="button-secondary"
                        disabled={busy}
                        onClick={() => toggle(p)}
                      >
                        {p.enabled ? 'Disable' : 'Enable'}
                        <span class="visually-hidden"> {p.name}</span>
                      </button>
                      <button
                        type="button"
                        id={`move-up-${p.id}`}
                        class="button-secondary"
                        disabled={busy || i === 0}
                        onClick={() => move(i, -1)}
                      >
                        Move up<span class="visually-hidden"> {p.name}</span>
                      </button>
                      <button
                        type="button"
                        id={`move-down-${p.id}`}
                        class="button-secondary"
                        disabled={busy || i === policies.length - 1}
                        onClick={() => move(i, 1)}
                      >
                        Move down<span class="visually-hidden"> {p.name}</span>
                      </button>
                      <Link href={policyHref(accountId, p.id)} class="button-link">
                        Edit<span class="visually-hidden"> {p.name}</span>
                      </Link>
                      <button
                        type="button"
                        class="button-secondary"
                        disabled={busy}
                        onClick={() => setDeleting(p)}
                      >
                        Delete<span class="visually-hidden"> {p.name}</span>
                      </button>
                    </>
                  ) : (
                    <Link href={policyHref(accountId, p.id)} class="button-link">
                      View<span class="visually-hidden"> {p.name}</span>
                    </Link>
                  )}
                </span>
              </li>
            ))}
          </ol>
        ) : null}
        {admin ? (
          <div class="actions">
            <Link href={policyHref(accountId, null)} class="button-link button-primary">
              New policy
            </Link>
          </div>
        ) : null}
      </section>
      <CustomAttributes accountId={accountId} readOnly={!admin} />
      {policies ? (
        <DryRun
          accountId={accountId}
          policies={policies}
          headingId="dry-run"
          heading="Dry run"
          intro="Evaluates the saved policies against a sample conversation, as a next-action call would, and shows which policy would match and why each one did or did not. Nothing is logged."
        />
      ) : null}
      <PolicyHistory
        accountId={accountId}
        versions={history}
        error={historyError}
        canRestore={admin}
        busy={busy}
        onRestore={setRestoring}
      />
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this policy?"
        confirmLabel="Delete policy"
        busy={busy}
        onConfirm={remove}
        onCancel={() => setDeleting(null)}
      >
        <p>
          Policy “{deleting?.name}” will be deleted. Next-action calls stop using it at once. To bring it
          back, restore the list before the deletion from the History below.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={restoring !== null}
        title="Restore this list of policies?"
        confirmLabel="Restore this list"
        danger={false}
        busy={busy}
        onConfirm={restore}
        onCancel={() => setRestoring(null)}
      >
        {restoring ? (
          <>
            <p>
              The current list of policies will be replaced by the list of {versionWords(restoring)} —{' '}
              {policyCount(restoring.policies.length)} — on every node from the next request.
            </p>
            {policies ? <p>{restoreWords(policies, restoring.policies)}</p> : null}
            <p>
              The custom attributes stay as they are. The restore is kept in the history like any other
              change, so it can itself be undone from there.
            </p>
          </>
        ) : null}
      </ConfirmDialog>
    </>
  );
}
