import type { Expr, FunctionName } from './ast.js';
import { invalid, type Outcome, runtimeError, success } from './outcome.js';
import type { JsonValue } from './types.js';

export const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

const CLOCK = /^([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?$/;
const DATE = /^([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{2}|[0-9]{4})$/;

/** Seconds after local midnight for `hh:mm:ss` (or `hh:mm`), or null. */
export function parseClock(text: string): number | null {
  const m = CLOCK.exec(text);
  if (!m) return null;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
}

/** A sortable yyyymmdd number for `mm/dd/yy` (20yy) or `mm/dd/yyyy`, or null if not a real date. */
export function parseDate(text: string): number | null {
  const m = DATE.exec(text);
  if (!m) return null;
  const month = Number(m[1]);
  const day = Number(m[2]);
  const year = (m[3] as string).length === 2 ? 2000 + Number(m[3]) : Number(m[3]);
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  return year * 10000 + month * 100 + day;
}

function argumentProblem(name: FunctionName, index: number, value: JsonValue | undefined): string | null {
  if (name === 'sqrt') return typeof value === 'number' ? null : 'sqrt needs a number';
  if (index <= 1) {
    const which = index === 0 ? 'start' : 'end';
    if (name === 'isTimeRange') {
      return typeof value === 'string' && parseClock(value) !== null
        ? null
        : `isTimeRange ${which} must be 'hh:mm:ss'`;
    }
    return typeof value === 'string' && parseDate(value) !== null
      ? null
      : `isDateRange ${which} must be 'mm/dd/yy'`;
  }
  if (index === 2) return typeof value === 'string' && value !== '' ? null : `${name} needs a time zone name`;
  const days = Array.isArray(value) && value.length > 0 && value.every(isDayName);
  return days ? null : `${name} days must be a non-empty list of MON, TUE, WED, THU, FRI, SAT, SUN`;
}

function isDayName(value: JsonValue): boolean {
  return typeof value === 'string' && (DAY_NAMES as readonly string[]).includes(value.toUpperCase());
}

function constantValue(expr: Expr): JsonValue | undefined {
  if (expr.kind === 'literal') return expr.value;
  if (expr.kind !== 'list') return undefined;
  const items = expr.items.map(constantValue);
  return items.every((i) => i !== undefined) ? (items as JsonValue[]) : undefined;
}

/** Checks the literal arguments of a call when parsing, so a bad time or day is refused on save. */
export function callArgumentProblem(
  name: FunctionName,
  args: Expr[],
): { index: number; message: string } | null {
  const values = args.map(constantValue);
  for (const [index, value] of values.entries()) {
    const message = value === undefined ? null : argumentProblem(name, index, value);
    if (message) return { index, message };
  }
  const [start, end] = values;
  if (name === 'isDateRange' && typeof start === 'string' && typeof end === 'string') {
    if ((parseDate(start) ?? 0) > (parseDate(end) ?? 0)) {
      return { index: 0, message: 'isDateRange start is after end' };
    }
  }
  return null;
}

interface LocalTime {
  date: number;
  seconds: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // Throws a RangeError for a zone ICU does not know.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    if (formatters.size >= 256) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

function localTime(nowMs: number, timeZone: string): Outcome<LocalTime> {
  const now = new Date(nowMs);
  if (Number.isNaN(now.getTime())) return runtimeError('the current time is not a valid date');
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = formatter(timeZone).formatToParts(now);
  } catch {
    return runtimeError(`unknown time zone ${timeZone}`);
  }
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const [year, month, day] = [get('year'), get('month'), get('day')];
  return success({
    date: year * 10000 + month * 100 + day,
    seconds: get('hour') * 3600 + get('minute') * 60 + get('second'),
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
  });
}

function checkArguments(name: FunctionName, args: JsonValue[]): Outcome<null> {
  for (const [index, value] of args.entries()) {
    const problem = argumentProblem(name, index, value);
    if (problem) return invalid(problem);
  }
  return success(null);
}

function allowedDays(args: JsonValue[]): Set<number> | null {
  const days = args[3];
  if (!Array.isArray(days)) return null;
  return new Set(days.map((d) => (DAY_NAMES as readonly string[]).indexOf(String(d).toUpperCase())));
}

/**
 * `isTimeRange(start, end, zone, days?)`: the local time in `zone` is within [start, end], both ends
 * included. A range whose end is before its start crosses midnight, and the hours after midnight
 * belong to the day the range opened: with days ['FRI'], 22:00–06:00 holds on Saturday at 02:00.
 */
export function isTimeRange(args: JsonValue[], nowMs: number): Outcome<boolean> {
  const checked = checkArguments('isTimeRange', args);
  if (!checked.ok) return checked;
  const local = localTime(nowMs, args[2] as string);
  if (!local.ok) return local;
  const start = parseClock(args[0] as string) as number;
  const end = parseClock(args[1] as string) as number;
  const t = local.value.seconds;
  let openedOn = local.value.weekday;
  if (start <= end) {
    if (t < start || t > end) return success(false);
  } else if (t < start) {
    if (t > end) return success(false);
    openedOn = (openedOn + 6) % 7;
  }
  const days = allowedDays(args);
  return success(days === null || days.has(openedOn));
}

/** `isDateRange(start, end, zone, days?)`: the local date in `zone` is within [start, end], both included. */
export function isDateRange(args: JsonValue[], nowMs: number): Outcome<boolean> {
  const checked = checkArguments('isDateRange', args);
  if (!checked.ok) return checked;
  const start = parseDate(args[0] as string) as number;
  const end = parseDate(args[1] as string) as number;
  if (start > end) return invalid('isDateRange start is after end');
  const local = localTime(nowMs, args[2] as string);
  if (!local.ok) return local;
  const { date, weekday } = local.value;
  const days = allowedDays(args);
  return success(date >= start && date <= end && (days === null || days.has(weekday)));
}
