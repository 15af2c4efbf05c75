import type { ComponentChildren } from 'preact';
import type { Role } from '../session.js';
import { type Ended, sessionsInWords } from './your-sessions.js';

/** What an admin confirms before it is done to another operator. */
export type OperatorAction = 'end-sessions' | 'reset-codes' | 'remove-passkeys' | 'remove';

interface Confirmation {
  title: string;
  label: string;
  /** The call, after `/api/admin/operators/{username}`; each is a DELETE. */
  path: '' | '/totp' | '/passkeys' | '/sessions';
  /** What happens, in the dialog. */
  text: (username: string) => ComponentChildren;
  /** The notice once it is done, with what the server answered. */
  done: (username: string, answer: Ended | undefined) => string;
}

/** The confirmation of each action, and the notice once it is done. */
export const CONFIRMATIONS: Record<OperatorAction, Confirmation> = {
  'end-sessions': {
    title: "End this operator's sessions?",
    label: 'End sessions',
    path: '/sessions',
    text: (username) => (
      <p>
        <strong>{username} is signed out of every browser</strong> at once, on every server node, and signs in
        again to go on. Do this when a computer of theirs was lost or left signed in. Their API tokens go on
        working: revoke those on the API tokens page.
      </p>
    ),
    done: (username, answer) =>
      answer?.ended
        ? `${sessionsInWords(answer.ended)} of ${username} ended: they sign in again to go on.`
        : `${username} had no session to end.`,
  },
  'reset-codes': {
    title: "Reset this operator's one-time codes?",
    label: 'Reset codes',
    path: '/totp',
    text: (username) => (
      <p>
        <strong>{username} signs in with their password alone</strong> until they set up one-time codes again.
        Do this when they lost the phone with their authenticator app. Their sessions and API tokens go on
        working.
      </p>
    ),
    done: (username) =>
      `The one-time codes of ${username} were removed: they sign in with their password alone, and may set up codes again.`,
  },
  'remove-passkeys': {
    title: "Remove this operator's passkeys?",
    label: 'Remove passkeys',
    path: '/passkeys',
    text: (username) => (
      <p>
        <strong>Every passkey of {username} stops working</strong>: they sign in with their password, and a
        one-time code if those are on, until they add a passkey again. Do this when they lost the device or
        the security key that held one. Their sessions and API tokens go on working.
      </p>
    ),
    done: (username) =>
      `The passkeys of ${username} were removed: they sign in without one, and may add new ones.`,
  },
  remove: {
    title: 'Remove this operator?',
    label: 'Remove',
    path: '',
    text: (username) => (
      <p>
        <strong>{username} can no longer sign in</strong>, and their sessions and API tokens stop working at
        once, on every server node. To let them back in, add them again with a new password.
      </p>
    ),
    done: (username) => `Operator ${username} was removed; their sessions and API tokens stopped working.`,
  },
};

/**
 * An admin's controls for another operator, among the buttons of their row: give the other role, change their
 * accounts, end their sessions, remove their codes or their passkeys, or remove them.
 */
export function OperatorControls({
  operator,
  busy,
  onChangeRole,
  onChangeAccounts,
  onConfirm,
}: {
  operator: { username: string; role: Role; totpEnabled: boolean; passkeys: number };
  busy: boolean;
  onChangeRole: () => void;
  onChangeAccounts: () => void;
  onConfirm: (action: OperatorAction) => void;
}) {
  const confirming = (action: OperatorAction) => (
    <button
      type="button"
      class={action === 'remove' ? 'button-danger' : 'button-secondary'}
      onClick={() => onConfirm(action)}
    >
      {CONFIRMATIONS[action].label}
      <span class="visually-hidden">
        {action === 'remove' ? ' ' : ' of '}
        {operator.username}
      </span>
    </button>
  );
  return (
    <>
      <button type="button" class="button-secondary" disabled={busy} onClick={onChangeRole}>
        {operator.role === 'admin' ? 'Make viewer' : 'Make admin'}
        <span class="visually-hidden"> {operator.username}</span>
      </button>
      <button type="button" class="button-secondary" onClick={onChangeAccounts}>
        Change accounts<span class="visually-hidden"> of {operator.username}</span>
      </button>
      {confirming('end-sessions')}
      {operator.totpEnabled ? confirming('reset-codes') : null}
      {operator.passkeys > 0 ? confirming('remove-passkeys') : null}
      {confirming('remove')}
    </>
  );
}
