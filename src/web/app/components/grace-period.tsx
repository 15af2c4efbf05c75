import { useState } from 'preact/hooks';
import { TextField, WHOLE_NUMBER_INPUT } from './ui.js';

/** The longest grace period the server takes (a day), as the regenerations' `graceSeconds`. */
const MAX_GRACE_SECONDS = 86_400;

/** A grace period as typed in a regeneration's confirmation: empty is 0; `valid` keeps its confirm button off. */
export interface GracePeriod {
  text: string;
  setText: (text: string) => void;
  /** The seconds to send as `graceSeconds` (meaningful while `valid`). */
  seconds: number;
  valid: boolean;
  /** Empties the field (on cancelling, or once the regeneration is done). */
  reset: () => void;
}

export function useGracePeriod(): GracePeriod {
  const [text, setText] = useState('');
  const seconds = text.trim() === '' ? 0 : Number(text);
  const valid = Number.isInteger(seconds) && seconds >= 0 && seconds <= MAX_GRACE_SECONDS;
  return { text, setText, seconds, valid, reset: () => setText('') };
}

/** "1 second", "600 seconds". */
export function secondsInWords(seconds: number): string {
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

/**
 * The optional grace-period field of a regeneration's confirmation (the API key's, the credentials'): how long what
 * it replaces (`old`: "the old key"; `plural` when it names more than one thing) keeps working, with its hint and, for
 * anything but a whole number from 0 to 86400, its error.
 */
export function GracePeriodField({
  grace,
  old,
  plural = false,
}: {
  grace: GracePeriod;
  old: string;
  plural?: boolean;
}) {
  return (
    <TextField
      label="Grace period in seconds (optional)"
      value={grace.text}
      onValue={grace.setText}
      {...WHOLE_NUMBER_INPUT}
      hint={`Keeps ${old} working this long (up to 86400, one day) while you roll out the new ${plural ? 'ones' : 'one'}. Empty or 0: ${old} ${plural ? 'stop' : 'stops'} at once.`}
      error={grace.valid ? undefined : 'Enter a whole number of seconds from 0 to 86400.'}
    />
  );
}
