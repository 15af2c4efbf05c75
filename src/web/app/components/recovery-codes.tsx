import { useEffect, useId, useRef } from 'preact/hooks';
import { CopyButton } from './copy-button.js';
import { Link, Notice } from './ui.js';

/** How many recovery codes an operator gets at a time (RECOVERY_CODE_COUNT in src/core/auth/recovery-codes.ts). */
export const RECOVERY_CODE_COUNT = 10;

/** The attributes of a field for a recovery code: typed from paper or a file, so no autocomplete. */
export const RECOVERY_CODE_INPUT = {
  hint: 'One of the recovery codes you saved, such as abcd-efgh-jkmn-pqrs. Each works once.',
  autoComplete: 'off',
  spellcheck: false,
  maxLength: 40,
  required: true,
} as const;

/** The codes as a text file, made in the browser: nothing more goes over the network. */
function download(codes: string[]) {
  const text = [
    `Recovery codes for Conversation Orchestrator at ${location.host}`,
    'Each works once in place of a code from your authenticator app.',
    '',
    ...codes,
    '',
  ].join('\n');
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = 'orchestrator-recovery-codes.txt';
  link.click();
  // The download has started from the URL by the next task; it can go then.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/**
 * New recovery codes, shown this once (the server keeps only their hashes), with ways to keep them; the heading
 * takes the focus, since the form that asked for them is gone. `onDone` dismisses them.
 */
export function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const headingId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <div class="recovery-codes">
      <h3 id={headingId} ref={heading} tabIndex={-1}>
        Your recovery codes
      </h3>
      <p>
        Each code works once in place of a code from the app, if you lose your phone or cannot use the app.
        Keep them somewhere safe, such as a password manager or on paper.{' '}
        <strong>They are not shown again.</strong>
      </p>
      <ul class="recovery-code-list" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <div class="actions">
        <CopyButton label="Copy codes" value={codes.join('\n')} />
        <button type="button" class="button-secondary" onClick={() => download(codes)}>
          Download
        </button>
        <button type="button" onClick={onDone}>
          I have saved them
        </button>
      </div>
    </div>
  );
}

/** How many recovery codes are left; a warning when few are, since running out leaves only the app. */
export function RecoveryCodesLeft({ left }: { left: number }) {
  const text = `${left} of ${RECOVERY_CODE_COUNT} recovery codes left.`;
  if (left > 2) return <p>{text}</p>;
  return (
    <Notice kind="warning">
      {text} Make new ones below, so that you can still sign in if you cannot use the app.
    </Notice>
  );
}

/** Said once after a sign-in with a recovery code: how many are left, and where to make new ones. */
export function RecoveryCodeUsed({ left, onDismiss }: { left: number; onDismiss: () => void }) {
  return (
    <Notice kind={left > 2 ? 'info' : 'warning'}>
      <p class="notice-text">
        You signed in with a recovery code: {left} of {RECOVERY_CODE_COUNT} recovery codes left. Each works
        once; make new ones on the <Link href="/operators">Operators</Link> page, under Sign-in codes.
      </p>
      <button type="button" class="button-secondary" onClick={onDismiss}>
        Dismiss
      </button>
    </Notice>
  );
}
