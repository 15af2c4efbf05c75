import { formatTime, recentUse } from '../format.js';

/**
 * What a confirmation says of the last use of the secret or key it cuts off, as the page loaded it (to the minute):
 * when recent (a day at most, as of `now`: when the dialog opened), a warning saying how long ago and what a client
 * still using it meets; when earlier, the day and time; when never, `never`.
 */
export function LastUse({
  at,
  now,
  recent,
  never,
}: {
  /** The last use; null: never. */
  at: string | null;
  now: number;
  /** The warning, given how long ago in words ("3 minutes ago"). */
  recent: (ago: string) => string;
  never: string;
}) {
  if (at === null) return <p>{never}</p>;
  const ago = recentUse(at, now);
  if (ago !== null) return <p class="notice notice-warning">{recent(ago)}</p>;
  return (
    <p>
      Last used on <time dateTime={at}>{formatTime(at)}</time>.
    </p>
  );
}
