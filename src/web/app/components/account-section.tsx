import { useEffect, useRef, useState } from 'preact/hooks';
import type { Account, AccountState } from '../account.js';
import { accountPath, api, useChange } from '../api.js';
import { formatTime } from '../format.js';
import { ConfirmedAction } from './confirmed-action.js';
import {
  draftOfEnd,
  EndTime,
  endInWords,
  type SuspensionEndDraft,
  SuspensionEndFields,
  untilOf,
} from './suspension-end.js';
import { Loading, Notice, TextField } from './ui.js';

/** The hours after a deletion before the account's id can be used again (the server holds it that long). */
const ID_HELD_HOURS = 25;

function DeleteAccount({ accountId, onDeleted }: { accountId: string; onDeleted: () => void }) {
  const [typed, setTyped] = useState('');
  const mismatch = typed !== '' && !accountId.startsWith(typed);

  async function remove() {
    await api.delete(accountPath(accountId));
    onDeleted();
  }

  return (
    <ConfirmedAction
      label="Delete account"
      title="Delete this account?"
      action={remove}
      canConfirm={typed === accountId}
      onCancel={() => setTyped('')}
    >
      <p>
        <strong>
          The credentials, policies, custom attributes and context data of account {accountId} are deleted and
          cannot be recovered.
        </strong>{' '}
        Its audit events are kept. Its id can be used for a new account after {ID_HELD_HOURS} hours.
      </p>
      <TextField
        label="Type the account ID to confirm"
        value={typed}
        onValue={setTyped}
        autoComplete="off"
        spellcheck={false}
        hint={
          <>
            Type <code>{accountId}</code>.
          </>
        }
        error={mismatch ? 'This is not the account ID.' : undefined}
      />
    </ConfirmedAction>
  );
}

/**
 * **Change the end** of a suspension: a dialog that sets a new end, or none (until resumed by hand), sent as
 * `{until}` to `suspend`; the server's refusal stays in the dialog.
 */
function ChangeSuspensionEnd({
  accountId,
  until,
  onChanged,
}: {
  accountId: string;
  until: string | null;
  onChanged: (account: Account) => void;
}) {
  const [draft, setDraft] = useState<SuspensionEndDraft>(() => draftOfEnd(until));
  const chosen = untilOf(draft);

  return (
    <ConfirmedAction
      label="Change the end"
      title="Change the end of the suspension"
      danger={false}
      inline
      canConfirm={chosen !== undefined}
      onOpen={() => setDraft(draftOfEnd(until))}
      action={async () => {
        onChanged(await api.post<Account>(accountPath(accountId, 'suspend'), { until: chosen }));
      }}
    >
      <p>
        Account {accountId} is suspended{' '}
        {until ? (
          <>
            until <EndTime until={until} />
          </>
        ) : (
          'until it is resumed by hand'
        )}
        . Choose another time for it to resume by itself, or none: it then stays suspended until resumed by
        hand.
      </p>
      <SuspensionEndFields draft={draft} onDraft={setDraft} />
    </ConfirmedAction>
  );
}

/** Said in place of the controls to an admin of some accounts only. */
const NOT_YOURS = 'An operator of every account suspends, resumes and deletes accounts.';

/**
 * *Account*, for an admin: its status; for an admin of every account, suspend it (every credential refused at
 * once, nothing lost), resume it, and delete a suspended one.
 */
export function AccountSection({
  accountId,
  state,
  everyAccount,
  onDeleted,
}: {
  accountId: string;
  state: AccountState;
  everyAccount: boolean;
  onDeleted: () => void;
}) {
  const [notice, setNotice] = useState<string | null>(null);
  const [end, setEnd] = useState<SuspensionEndDraft>(() => draftOfEnd(null));
  const { busy: resuming, error, setError, run } = useChange();
  const heading = useRef<HTMLHeadingElement>(null);
  const { account } = state;

  // The button that was pressed is gone with the status it changed: the focus goes back to the section.
  useEffect(() => {
    if (notice) heading.current?.focus();
  }, [notice]);

  const until = untilOf(end);

  async function suspend() {
    // Until resumed by hand: no end sent, as before there were ends.
    const suspended = await api.post<Account>(accountPath(accountId, 'suspend'), until ? { until } : {});
    state.changed(suspended);
    setError(null);
    setNotice(
      `Account ${accountId} is suspended: its credentials and tokens are refused everywhere${
        suspended.suspendedUntil
          ? ` until ${formatTime(suspended.suspendedUntil)}, when it resumes by itself`
          : ''
      }.`,
    );
  }

  function endChanged(changed: Account) {
    state.changed(changed);
    setError(null);
    setNotice(
      changed.suspendedUntil
        ? `Account ${accountId} now resumes by itself at ${formatTime(changed.suspendedUntil)}.`
        : `Account ${accountId} now stays suspended until it is resumed by hand.`,
    );
  }

  async function resume() {
    await run(async () => {
      state.changed(await api.post<Account>(accountPath(accountId, 'resume')));
      setNotice(`Account ${accountId} is active again: its credentials and unexpired tokens work.`);
    });
  }

  return (
    <section aria-labelledby="account" class="card">
      <h2 id="account" ref={heading} tabIndex={-1}>
        Account
      </h2>
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      {error || state.error ? <Notice kind="error">{error ?? state.error}</Notice> : null}
      {account === null && !state.error ? <Loading what="the account" /> : null}
      {account?.status === 'active' && !everyAccount ? <p>Active. {NOT_YOURS}</p> : null}
      {account?.status === 'active' && everyAccount ? (
        <>
          <p>
            Active. Suspending it refuses every credential of the account at once and keeps its data; it can
            be resumed.
          </p>
          <ConfirmedAction
            label="Suspend account"
            title="Suspend this account?"
            action={suspend}
            canConfirm={until !== undefined}
            onOpen={() => setEnd(draftOfEnd(null))}
          >
            <p>
              <strong>
                The v1 API key, the v2 credentials and every access token of account {accountId} stop working
                at once, on every server node.
              </strong>{' '}
              The token for testing too.
            </p>
            <p>
              Nothing is regenerated and no data is lost: <em>Resume account</em> makes the same credentials
              work again — or the account resumes by itself at a time you choose below.
            </p>
            <SuspensionEndFields draft={end} onDraft={setEnd} />
          </ConfirmedAction>
        </>
      ) : null}
      {account?.status === 'suspended' ? (
        <>
          <p>
            Suspended
            {account.statusChangedAt ? (
              <>
                {' '}
                since <time dateTime={account.statusChangedAt}>{formatTime(account.statusChangedAt)}</time>
              </>
            ) : null}
            {account.suspendedUntil ? (
              <>
                ; resumes by itself at <EndTime until={account.suspendedUntil} /> (
                {endInWords(account.suspendedUntil)})
              </>
            ) : null}
            .{' '}
            {everyAccount
              ? 'Resuming it makes its credentials and unexpired tokens work again. Deleting it removes its data.'
              : NOT_YOURS}
          </p>
          {everyAccount ? (
            <>
              <div class="actions">
                <button type="button" onClick={resume} disabled={resuming}>
                  {resuming ? 'Resuming…' : 'Resume account'}
                </button>
                <ChangeSuspensionEnd
                  accountId={accountId}
                  until={account.suspendedUntil}
                  onChanged={endChanged}
                />
              </div>
              <DeleteAccount accountId={accountId} onDeleted={onDeleted} />
            </>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
