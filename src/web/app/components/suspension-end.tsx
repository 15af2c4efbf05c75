import { useId } from 'preact/hooks';
import { formatTime, relativeTime } from '../format.js';
import { RadioFields } from './ui.js';

/** How long a suspension lasts: until an admin resumes the account, or until `local` (a `datetime-local` value). */
export interface SuspensionEndDraft {
  choice: 'by-hand' | 'until';
  /** The end in the browser's time zone ("2026-12-01T08:00"), as the field holds it; "" when none is typed. */
  local: string;
}

/** The most days ahead the server takes for the end of a suspension. */
const MOST_DAYS_AHEAD = 366;

const CHOICES: { value: SuspensionEndDraft['choice']; label: string }[] = [
  { value: 'by-hand', label: 'Until resumed by hand' },
  { value: 'until', label: 'Until a date and time' },
];

const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?$/;

/** The browser's time zone ("Europe/Paris", "UTC"), which a `datetime-local` field is in. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
}

/** A `datetime-local` value as the ISO instant (UTC) it names in the browser's time zone; null when it names none. */
export function localToIso(local: string): string | null {
  if (!LOCAL_DATE_TIME.test(local)) return null;
  // A date and time without an offset is read in the browser's time zone.
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** An ISO instant as a `datetime-local` value in the browser's time zone, to the minute. */
export function isoToLocal(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const two = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}T${two(date.getHours())}:${two(date.getMinutes())}`;
}

/** The draft of a suspension's end as it is now: `until` (ISO), or none. */
export function draftOfEnd(until: string | null): SuspensionEndDraft {
  return until ? { choice: 'until', local: isoToLocal(until) } : { choice: 'by-hand', local: '' };
}

/** What the API is sent for the draft: the end (ISO) or null for none; undefined when the field names no time. */
export function untilOf(draft: SuspensionEndDraft): string | null | undefined {
  if (draft.choice === 'by-hand') return null;
  return localToIso(draft.local) ?? undefined;
}

/** "in 3 days", or that the end has come (the server resumes the account within a minute of it). */
export function endInWords(until: string, now = Date.now()): string {
  return new Date(until).getTime() <= now ? 'due now' : relativeTime(until, now);
}

/** "1 Dec 2026, 08:00", as a `<time>`. */
export function EndTime({ until }: { until: string }) {
  return <time dateTime={until}>{formatTime(until)}</time>;
}

/**
 * The choice of a suspension's end, in a dialog: until resumed by hand, or until a date and time typed in the
 * browser's time zone (which the field's hint names).
 */
export function SuspensionEndFields({
  draft,
  onDraft,
}: {
  draft: SuspensionEndDraft;
  onDraft: (draft: SuspensionEndDraft) => void;
}) {
  const inputId = useId();
  const hintId = `${inputId}-hint`;
  return (
    <fieldset>
      <legend>How long</legend>
      <RadioFields
        options={CHOICES}
        value={draft.choice}
        onValue={(choice) => onDraft({ ...draft, choice })}
      />
      {draft.choice === 'until' ? (
        <div class="field">
          <label for={inputId}>Resumes by itself at</label>
          <input
            type="datetime-local"
            id={inputId}
            value={draft.local}
            required
            aria-describedby={hintId}
            onInput={(event) => onDraft({ ...draft, local: (event.currentTarget as HTMLInputElement).value })}
          />
          <p class="hint" id={hintId}>
            In your browser's time zone ({browserTimeZone()}), at most {MOST_DAYS_AHEAD} days ahead. The
            server resumes the account within a minute of that time.
          </p>
        </div>
      ) : null}
    </fieldset>
  );
}
