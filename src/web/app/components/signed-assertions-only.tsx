import { useId, useState } from 'preact/hooks';
import type { Account, AccountState } from '../account.js';
import { accountPath, api, messageOf, useChange } from '../api.js';
import { ConfirmDialog } from './confirm-dialog.js';

/** What the account's client may authenticate with now, said the same way to admins and viewers. */
function assertionsOnlyInWords(only: boolean): string {
  return only
    ? 'Only signed assertions get tokens: the user ID and password are refused.'
    : 'The user ID and password also get tokens.';
}

/**
 * Turning the setting on, behind a confirmation: systems that still send the password lose their tokens' source at
 * once, so the dialog says so. The server's refusal (409: the account has no key any more) stays in the dialog.
 */
function RefusePasswordDialog({
  accountId,
  open,
  onDone,
  onCancel,
}: {
  accountId: string;
  open: boolean;
  onDone: (account: Account) => void;
  onCancel: () => void;
}) {
  const { busy, error, setError, run } = useChange();

  async function confirm() {
    await run(async () =>
      onDone(await api.put<Account>(accountPath(accountId, 'signed-assertions-only'), {})),
    );
  }

  return (
    <ConfirmDialog
      open={open}
      title="Refuse the password?"
      confirmLabel="Refuse the password"
      busy={busy}
      error={error}
      onConfirm={confirm}
      onCancel={() => {
        setError(null);
        onCancel();
      }}
    >
      <p>
        <strong>
          Systems that still use the user ID and password are refused at once, on every server node
        </strong>
        : only an assertion signed with one of the account's keys gets a token from then on. The access tokens
        issued already go on working until they expire; the v1 key and the token for testing are not affected.
      </p>
      <p>Allow the password again to undo it.</p>
    </ConfirmDialog>
  );
}

/**
 * *Signed assertions only*, within the keys' section: whether the account's client may still get tokens with its
 * user ID and password, read from the account the page loaded. An admin refuses the password (behind a
 * confirmation) once the account has a key, since with none its client could get no token at all, and allows it
 * again at a click; each answer is the account, handed to the page so that the credentials section says it too.
 * The button keeps its place when its words change, so the focus stays on it; what was done is said through
 * `onNotice`, a failure outside the dialog through `onError`. A viewer reads the sentence alone.
 */
export function SignedAssertionsOnly({
  accountId,
  state,
  keyCount,
  mayChange,
  onNotice,
  onError,
}: {
  accountId: string;
  state: AccountState;
  /** How many keys the account has; null while they load. */
  keyCount: number | null;
  mayChange: boolean;
  onNotice: (text: string) => void;
  onError: (text: string) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const needsKeyId = useId();
  const { account } = state;
  if (!account) return null;
  const only = account.signedAssertionsOnly;
  const noKey = keyCount === 0;

  function refused(next: Account) {
    state.changed(next);
    setConfirming(false);
    onNotice(
      "The password is refused: from the account's next request, on every node, only signed assertions get tokens.",
    );
  }

  // Not disabled while it runs: the focused button would lose the focus; a second click is ignored instead.
  async function allow() {
    if (busy) return;
    setBusy(true);
    try {
      state.changed(await api.delete<Account>(accountPath(accountId, 'signed-assertions-only')));
      onNotice("The user ID and password get tokens again, from the account's next request on every node.");
    } catch (failure) {
      onError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div id="signed-assertions-only">
      <h3>Signed assertions only</h3>
      <p id="signed-assertions-only-now">
        Now: <strong>{assertionsOnlyInWords(only)}</strong>
      </p>
      <p>
        When it is on, the user ID and password are refused at the token endpoint and the login endpoint with{' '}
        <code>401 invalid_client</code>, and the account's last key cannot be removed.
        {mayChange ? null : ' An admin of the account turns it on and off.'}
      </p>
      {mayChange && keyCount !== null ? (
        <>
          {noKey && !only ? (
            <p id={needsKeyId}>
              Add a key first: without one, the account's client could get no token at all.
            </p>
          ) : null}
          <div class="actions">
            {only ? (
              <button type="button" class="button-secondary" onClick={allow}>
                {busy ? 'Allowing…' : 'Allow the password again'}
              </button>
            ) : (
              <button
                type="button"
                class="button-danger"
                disabled={noKey}
                aria-describedby={noKey ? needsKeyId : undefined}
                onClick={() => setConfirming(true)}
              >
                Refuse the password
              </button>
            )}
          </div>
          <RefusePasswordDialog
            accountId={accountId}
            open={confirming}
            onDone={refused}
            onCancel={() => setConfirming(false)}
          />
        </>
      ) : null}
    </div>
  );
}
