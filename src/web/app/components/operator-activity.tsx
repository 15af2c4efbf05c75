import { useId, useRef } from 'preact/hooks';
import { AuditEvents } from './audit-events.js';
import { useModal } from './confirm-dialog.js';

/**
 * What `username` did and what was done to them, in a modal (closed while null): the audit events by them and
 * about them (added, role or accounts changed, sessions ended, codes reset…), newest first. The title takes the
 * focus, so a screen reader starts at the top of a list that may be long; Escape and Close give the focus back.
 * For an operator of some accounts (`everyAccount` false) the server leaves out the events of other accounts.
 */
export function ActivityDialog({
  username,
  everyAccount,
  onClose,
}: {
  username: string | null;
  everyAccount: boolean;
  onClose: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  const dialog = useModal(username !== null, heading);
  const titleId = useId();
  const title = `Activity of ${username ?? ''}`;

  return (
    <dialog
      ref={dialog}
      class="dialog dialog-wide"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <h2 id={titleId} ref={heading} tabIndex={-1}>
        {title}
      </h2>
      {username === null ? null : (
        <>
          <p>
            What {username} did, and what other operators did to them (added them, changed their role or
            accounts, ended their sessions, reset their one-time codes), newest first.
            {everyAccount
              ? null
              : ' Listed are the events of your accounts and those of no account, such as sign-ins and changes ' +
                'to operators; where an event names accounts that are not yours, it says "accounts of others too".'}
          </p>
          <AuditEvents key={username} operator={username} caption={`${title}, newest first`} />
        </>
      )}
      <div class="actions">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </dialog>
  );
}
