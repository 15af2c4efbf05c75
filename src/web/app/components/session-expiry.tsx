import { useEffect, useRef, useState } from 'preact/hooks';
import { useChange } from '../api.js';
import { fetchSignedIn, type SessionEnds } from '../session.js';
import type { EndReason, SessionOutlook, SessionWatch } from '../session-watch.js';
import { DialogFrame } from './confirm-dialog.js';
import { Notice } from './ui.js';

const TIME_OF_DAY = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

function inUnits(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** Time left as the countdown shows it: `m:ss`, rounded up to the second. */
export function countdown(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** What the sign-in page says after the session ended on this side, and why. */
export function endedInWords(reason: EndReason, ends: SessionEnds | null): string {
  switch (reason) {
    case 'idle':
      return `You were signed out after ${inUnits(ends?.sessionIdleMinutes ?? 30, 'minute')} without activity. Sign in again.`;
    case 'lifetime':
      return `Your session ended ${inUnits(ends?.sessionHours ?? 8, 'hour')} after you signed in. Sign in again.`;
    case 'signed-out':
      return 'You signed out in another tab.';
  }
}

/**
 * The session's end, said before it comes: a modal warning two minutes before it ends for inactivity, counting
 * down, with **Stay signed in** (a request, which the server records) and **Sign out**; a notice five minutes before
 * its latest end, which nothing extends.
 */
export function SessionExpiry({
  watch,
  signingOut,
  onSignOut,
}: {
  watch: SessionWatch;
  signingOut: boolean;
  onSignOut: () => void;
}) {
  const [outlook, setOutlook] = useState<SessionOutlook>({ now: Date.now(), idleEndsAt: null, endsAt: null });
  useEffect(() => watch.onOutlook(setOutlook), [watch]);
  const stay = useChange();
  const open = outlook.idleEndsAt !== null;
  const stayButton = useRef<HTMLButtonElement>(null);
  const { setError } = stay;
  useEffect(() => {
    if (open) setError(null);
  }, [open, setError]);

  const staySignedIn = () => {
    // The session's answer moves the deadline here and in the other tabs, which closes the warning.
    if (!stay.busy) void stay.run(async () => void (await fetchSignedIn()));
  };
  const hours = watch.ends?.sessionHours ?? 8;

  return (
    <>
      {outlook.endsAt !== null ? (
        <Notice kind="warning">
          Your session ends at{' '}
          <time dateTime={new Date(outlook.endsAt).toISOString()}>{TIME_OF_DAY.format(outlook.endsAt)}</time>:
          a session lasts {inUnits(hours, 'hour')} after its sign-in at most, and nothing extends it. Save
          your work, then sign in again.
        </Notice>
      ) : null}
      <DialogFrame
        open={open}
        first={stayButton}
        title="Your session is about to end"
        error={stay.error}
        // Escape: whoever pressed it is here, and wants the page back.
        onEscape={staySignedIn}
        onSubmit={staySignedIn}
        actions={
          <>
            <button type="button" class="button-secondary" onClick={onSignOut} disabled={signingOut}>
              {signingOut ? 'Signing out…' : 'Sign out'}
            </button>
            <button type="submit" ref={stayButton} disabled={stay.busy}>
              {stay.busy ? 'Working…' : 'Stay signed in'}
            </button>
          </>
        }
      >
        <p>
          Nothing was loaded or saved for a while, so your session ends for inactivity in{' '}
          <strong role="timer">
            {outlook.idleEndsAt === null ? '' : countdown(outlook.idleEndsAt - outlook.now)}
          </strong>
          .
        </p>
        <p>Stay signed in to go on: what you typed on this page stays.</p>
      </DialogFrame>
    </>
  );
}
