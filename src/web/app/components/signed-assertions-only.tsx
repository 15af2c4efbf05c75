import type { AccountState } from '../account.js';
import { AccountRequirement, type Requirement } from './account-requirement.js';

/**
 * Refusing the password: systems that still send it lose their tokens' source at once, so the confirmation says
 * so. The server's refusal (409: the account has no key any more) stays in the dialog.
 */
const SIGNED_ASSERTIONS_ONLY: Requirement = {
  path: 'signed-assertions-only',
  isOn: (account) => account.signedAssertionsOnly,
  inWords: (only) =>
    only
      ? 'Only signed assertions get tokens: the user ID and password are refused.'
      : 'The user ID and password also get tokens.',
  turnOn: {
    label: 'Refuse the password',
    title: 'Refuse the password?',
    warning: (
      <>
        <p>
          <strong>
            Systems that still use the user ID and password are refused at once, on every server node
          </strong>
          : only an assertion signed with one of the account's keys gets a token from then on. The access
          tokens issued already go on working until they expire; the v1 key and the token for testing are not
          affected.
        </p>
        <p>Allow the password again to undo it.</p>
      </>
    ),
    done: "The password is refused: from the account's next request, on every node, only signed assertions get tokens.",
  },
  turnOff: {
    label: 'Allow the password again',
    busy: 'Allowing…',
    done: "The user ID and password get tokens again, from the account's next request on every node.",
  },
};

/**
 * *Signed assertions only*, within the keys' section: whether the account's client may still get tokens with its
 * user ID and password, read from the account the page loaded. An admin refuses the password (behind a
 * confirmation) once the account has a key, since with none its client could get no token at all, and allows it
 * again at a click; the credentials section says it too.
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
  if (!state.account) return null;
  return (
    <div id="signed-assertions-only">
      <h3>Signed assertions only</h3>
      <AccountRequirement
        accountId={accountId}
        state={state}
        requirement={SIGNED_ASSERTIONS_ONLY}
        mayChange={mayChange}
        ready={keyCount !== null}
        blocked={
          keyCount === 0
            ? "Add a key first: without one, the account's client could get no token at all."
            : null
        }
        onNotice={onNotice}
        onError={onError}
      >
        <p>
          When it is on, the user ID and password are refused at the token endpoint and the login endpoint
          with <code>401 invalid_client</code>, and the account's last key cannot be removed.
        </p>
      </AccountRequirement>
    </div>
  );
}
