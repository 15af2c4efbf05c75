const DATE_TIME = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'short',
});
const DATE_TIME_SECONDS = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'medium',
});
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const RELATIVE = new Intl.RelativeTimeFormat(undefined, { numeric: 'always' });

/** A local date and time, to the minute (or the second). */
export function formatTime(iso: string, seconds = false): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return (seconds ? DATE_TIME_SECONDS : DATE_TIME).format(date);
}

/** A local date alone: a certificate's or a CRL's day, in the browser's time zone (they are valid to the second). */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : DATE.format(date);
}

/** "in 23 hours", "5 minutes ago". */
export function relativeTime(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) return RELATIVE.format(seconds, 'second');
  if (abs < 3600) return RELATIVE.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return RELATIVE.format(Math.round(seconds / 3600), 'hour');
  return RELATIVE.format(Math.round(seconds / 86_400), 'day');
}

/** A last use counts as recent this long after it: a client may well still be at work with what was used. */
const RECENT_USE_MS = 86_400_000;

/**
 * How long ago a use recorded to the minute was, in words, while it is recent (a day at most): "less than a minute
 * ago" within its minute (or when the browser's clock is behind the server's), then "3 minutes ago", "5 hours ago";
 * null when it is older.
 */
export function recentUse(iso: string, now = Date.now()): string | null {
  const elapsed = now - new Date(iso).getTime();
  if (Number.isNaN(elapsed) || elapsed > RECENT_USE_MS) return null;
  return elapsed < 60_000 ? 'less than a minute ago' : relativeTime(iso, now);
}

/** "90 seconds" → "1 min 30 s"; 0 or null → "never". */
export function formatDuration(seconds: number | null): string {
  if (!seconds) return 'never';
  const parts: string[] = [];
  const units: [number, string][] = [
    [86_400, 'd'],
    [3600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
  let rest = seconds;
  for (const [size, label] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count} ${label}`);
    rest %= size;
  }
  return parts.join(' ');
}

/** JSON for display, shortened when very long. */
export function previewJson(value: unknown, max = 2000): string {
  const text = JSON.stringify(value, null, 2) ?? 'undefined';
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

/** Browsers by what their user agent says, the more particular first: Edge and Opera say Chrome too, Chrome says Safari. */
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
  [/\bOPR\/(\d+)/, 'Opera'],
  [/\b(?:Firefox|FxiOS)\/(\d+)/, 'Firefox'],
  [/\bHeadlessChrome\/(\d+)/, 'Headless Chrome'],
  [/\b(?:Chrome|CriOS|Chromium)\/(\d+)/, 'Chrome'],
  [/\bVersion\/(\d+)[^ ]* (?:Mobile\/[^ ]+ )?Safari\//, 'Safari'],
];
const SYSTEMS: [RegExp, string][] = [
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];
const SHORT_USER_AGENT = 40;

/** A user agent in a few words ("Firefox 128 on Windows"); one naming no known browser, its first characters. */
export function browserOf(userAgent: string): string {
  for (const [pattern, browser] of BROWSERS) {
    const version = pattern.exec(userAgent)?.[1];
    if (version === undefined) continue;
    const system = SYSTEMS.find(([known]) => known.test(userAgent))?.[1];
    return `${browser} ${version}${system ? ` on ${system}` : ''}`;
  }
  return userAgent.length <= SHORT_USER_AGENT ? userAgent : `${userAgent.slice(0, SHORT_USER_AGENT - 1)}…`;
}
