import type { ComponentChildren } from 'preact';
import { useId, useState } from 'preact/hooks';
import type { Account, AccountState } from '../account.js';
import { accountPath, api, messageOf, useChange } from '../api.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { Notice, outcomeHandlers } from './ui.js';

/**
 * A requirement an admin puts on an account at `/api/admin/accounts/{acct}/{path}` — PUT `{}` turns it on, DELETE
 * off, each answering the account — in the words of the page.
 */
export interface Requirement {
  path: 'signed-assertions-only' | 'dpop-required' | 'certificate-required';
  isOn: (account: Account) => boolean;
  /** What holds now, said the same way to admins and viewers. */
  inWords: (on: boolean) => string;
  /** Turning it on asks first: `warning` says what stops working at once; `done`, what holds once it is on. */
  turnOn: { label: string; title: string; warning: ComponentChildren; done: string };
  /** Turning it off is done at a click: `busy` is the button's text meanwhile. */
  turnOff: { label: string; busy: string; done: string };
}

/** Turning the requirement on, behind its confirmation; the server's refusal stays in the dialog. */
function TurnOnDialog({
  accountId,
  requirement,
  open,
  onDone,
  onCancel,
}: {
  accountId: string;
  requirement: Requirement;
  open: boolean;
  onDone: (account: Account) => void;
  onCancel: () => void;
}) {
  const { busy, error, setError, run } = useChange();
  const { title, label, warning } = requirement.turnOn;

  async function confirm() {
    await run(async () => onDone(await api.put<Account>(accountPath(accountId, requirement.path), {})));
  }

  return (
    <ConfirmDialog
      open={open}
      title={title}
      confirmLabel={label}
      busy={busy}
      error={error}
      onConfirm={confirm}
      onCancel={() => {
        setError(null);
        onCancel();
      }}
    >
      {warning}
    </ConfirmDialog>
  );
}

/**
 * Whether the requirement holds (`Now: …`, in a paragraph with the id `{path}-now`), what it does (`children`) and,
 * for an admin (`mayChange`), the button that turns it on behind a confirmation or off at a click; each answer is
 * the account, handed to the page's state so that every section that reads it says it too. The button keeps its
 * place when its words change, so the focus stays on it; what was done is said through `onNotice`, a failure
 * outside the dialog through `onError`. A viewer reads the sentences alone.
 */
export function AccountRequirement({
  accountId,
  state,
  requirement,
  mayChange,
  ready = true,
  blocked = null,
  onNotice,
  onError,
  children,
}: {
  accountId: string;
  state: AccountState;
  requirement: Requirement;
  mayChange: boolean;
  /** What decides whether it may be turned on has loaded: until then, no button. */
  ready?: boolean;
  /** Why it cannot be turned on now: the button stays, disabled and described by this. */
  blocked?: string | null;
  onNotice: (text: string) => void;
  onError: (text: string) => void;
  children: ComponentChildren;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const blockedId = useId();
  const { account } = state;
  if (!account) return null;
  const on = requirement.isOn(account);
  const { turnOn, turnOff } = requirement;

  function turnedOn(next: Account) {
    state.changed(next);
    setConfirming(false);
    onNotice(turnOn.done);
  }

  // Not disabled while it runs: the focused button would lose the focus; a second click is ignored instead.
  async function off() {
    if (busy) return;
    setBusy(true);
    try {
      state.changed(await api.delete<Account>(accountPath(accountId, requirement.path)));
      onNotice(turnOff.done);
    } catch (failure) {
      onError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  const isBlocked = blocked !== null && !on;
  return (
    <>
      <p id={`${requirement.path}-now`}>
        Now: <strong>{requirement.inWords(on)}</strong>
      </p>
      {children}
      {mayChange ? null : <p>An admin of the account turns it on and off.</p>}
      {mayChange && ready ? (
        <>
          {isBlocked ? <p id={blockedId}>{blocked}</p> : null}
          <div class="actions">
            {on ? (
              <button type="button" class="button-secondary" onClick={off}>
                {busy ? turnOff.busy : turnOff.label}
              </button>
            ) : (
              <button
                type="button"
                class="button-danger"
                disabled={isBlocked}
                aria-describedby={isBlocked ? blockedId : undefined}
                onClick={() => setConfirming(true)}
              >
                {turnOn.label}
              </button>
            )}
          </div>
          <TurnOnDialog
            accountId={accountId}
            requirement={requirement}
            open={confirming}
            onDone={turnedOn}
            onCancel={() => setConfirming(false)}
          />
        </>
      ) : null}
    </>
  );
}

/** What a section of one requirement on the API Authorization page is given. */
export interface RequirementSectionProps {
  accountId: string;
  account: AccountState;
  mayChange: boolean;
}

/**
 * A section of its own for one requirement: its heading (`id` labels the section), what it is for (`intro`), what it
 * says and did (notices), and the AccountRequirement with what requiring it does (`children`). Nothing before the
 * account has loaded.
 */
export function RequirementCard({
  id,
  title,
  intro,
  accountId,
  account,
  requirement,
  mayChange,
  children,
}: {
  id: string;
  title: string;
  intro: ComponentChildren;
  accountId: string;
  account: AccountState;
  requirement: Requirement;
  mayChange: boolean;
  children: ComponentChildren;
}) {
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!account.account) return null;

  return (
    <section aria-labelledby={id} class="card">
      <h2 id={id}>{title}</h2>
      {intro}
      {error ? <Notice kind="error">{error}</Notice> : null}
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      <AccountRequirement
        accountId={accountId}
        state={account}
        requirement={requirement}
        mayChange={mayChange}
        {...outcomeHandlers(setNotice, setError)}
      >
        {children}
      </AccountRequirement>
    </section>
  );
}
