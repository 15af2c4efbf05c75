import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compilePolicies, evaluatePolicies } from '../../src/core/policy/evaluate.js';
import { isDateRange, isTimeRange, parseClock, parseDate } from '../../src/core/policy/time.js';
import type { JsonValue } from '../../src/core/policy/types.js';

const at = (iso: string) => Date.parse(iso);

function timeRange(args: JsonValue[], iso: string): boolean | string {
  const r = isTimeRange(args, at(iso));
  return r.ok ? r.value : r.result;
}

function dateRange(args: JsonValue[], iso: string): boolean | string {
  const r = isDateRange(args, at(iso));
  return r.ok ? r.value : r.result;
}

describe('isTimeRange', () => {
  const office = ['09:00:00', '17:00:00', 'America/New_York'];
  test('local time in the zone, both ends included', () => {
    assert.equal(timeRange(office, '2026-01-05T14:30:00Z'), true); // 09:30 EST
    assert.equal(timeRange(office, '2026-01-05T13:59:59Z'), false); // 08:59:59
    assert.equal(timeRange(office, '2026-01-05T14:00:00Z'), true); // 09:00:00
    assert.equal(timeRange(office, '2026-01-05T22:00:00Z'), true); // 17:00:00
    assert.equal(timeRange(office, '2026-01-05T22:00:01Z'), false); // 17:00:01
  });
  test('days: the local weekday must be listed', () => {
    assert.equal(timeRange([...office, ['MON', 'TUE']], '2026-01-05T14:30:00Z'), true);
    assert.equal(timeRange([...office, ['tue']], '2026-01-05T14:30:00Z'), false);
  });
  test('the weekday is the zone’s, not UTC’s', () => {
    const allDay = ['00:00:00', '23:59:59'];
    // 2026-01-02T03:00Z is Friday in UTC, Thursday 22:00 in New York, Friday 16:00 in Auckland.
    assert.equal(timeRange([...allDay, 'America/New_York', ['THU']], '2026-01-02T03:00:00Z'), true);
    assert.equal(timeRange([...allDay, 'UTC', ['THU']], '2026-01-02T03:00:00Z'), false);
    assert.equal(timeRange([...allDay, 'Pacific/Auckland', ['FRI']], '2026-01-02T03:00:00Z'), true);
  });
  test('half-hour offsets', () => {
    assert.equal(timeRange(['09:00:00', '17:00:00', 'Asia/Kolkata'], '2026-01-05T03:30:00Z'), true);
    assert.equal(timeRange(['09:00:00', '17:00:00', 'Asia/Kolkata'], '2026-01-05T03:29:59Z'), false);
  });
  test('ranges that cross midnight; the hours after midnight belong to the opening day', () => {
    const night = ['22:00:00', '06:00:00', 'Europe/London'];
    assert.equal(timeRange(night, '2026-01-09T23:30:00Z'), true); // Fri 23:30
    assert.equal(timeRange(night, '2026-01-10T02:00:00Z'), true); // Sat 02:00
    assert.equal(timeRange(night, '2026-01-10T06:00:00Z'), true); // Sat 06:00
    assert.equal(timeRange(night, '2026-01-10T06:00:01Z'), false);
    assert.equal(timeRange(night, '2026-01-10T12:00:00Z'), false);
    assert.equal(timeRange(night, '2026-01-10T21:59:59Z'), false);
    assert.equal(timeRange([...night, ['FRI']], '2026-01-10T02:00:00Z'), true);
    assert.equal(timeRange([...night, ['SAT']], '2026-01-10T02:00:00Z'), false);
    assert.equal(timeRange([...night, ['FRI']], '2026-01-09T23:30:00Z'), true);
  });
  test('daylight saving time: New York', () => {
    const early = ['03:00:00', '04:00:00', 'America/New_York'];
    assert.equal(timeRange(early, '2026-03-08T06:30:00Z'), false); // 01:30 EST
    assert.equal(timeRange(early, '2026-03-08T07:30:00Z'), true); // 03:30 EDT, one hour later
    assert.equal(timeRange(office, '2026-07-01T13:30:00Z'), true); // 09:30 EDT
    assert.equal(timeRange(office, '2026-01-07T13:30:00Z'), false); // 08:30 EST
    // 01:30 happens twice on 2026-11-01; both count.
    const repeated = ['01:00:00', '01:59:59', 'America/New_York'];
    assert.equal(timeRange(repeated, '2026-11-01T05:30:00Z'), true);
    assert.equal(timeRange(repeated, '2026-11-01T06:30:00Z'), true);
  });
  test('daylight saving time: London and Lord Howe (30-minute shift)', () => {
    const small = ['00:00:00', '01:59:59', 'Europe/London'];
    assert.equal(timeRange(small, '2026-03-29T00:30:00Z'), true); // 00:30 GMT
    assert.equal(timeRange(small, '2026-03-29T01:30:00Z'), false); // 02:30 BST
    assert.equal(timeRange(['01:30:00', '01:59:59', 'Australia/Lord_Howe'], '2026-04-04T14:45:00Z'), true);
    assert.equal(timeRange(['02:00:00', '02:00:00', 'Australia/Lord_Howe'], '2026-04-05T15:30:00Z'), true);
  });
  test('hh:mm is accepted', () => {
    assert.equal(timeRange(['09:00', '17:00', 'America/New_York'], '2026-01-05T14:30:00Z'), true);
  });
  test('an unknown zone is an ERROR; wrong arguments are INVALID', () => {
    assert.equal(timeRange(['09:00:00', '17:00:00', 'Mars/Olympus'], '2026-01-05T14:30:00Z'), 'ERROR');
    assert.equal(timeRange(['09:00:00', '17:00:00', 'UTC', 'MON'], '2026-01-05T14:30:00Z'), 'INVALID');
    assert.equal(timeRange(['9am', '17:00:00', 'UTC'], '2026-01-05T14:30:00Z'), 'INVALID');
    assert.equal(timeRange([900, '17:00:00', 'UTC'], '2026-01-05T14:30:00Z'), 'INVALID');
    assert.equal(timeRange(['09:00:00', '17:00:00', 42], '2026-01-05T14:30:00Z'), 'INVALID');
    assert.equal(isTimeRange(['09:00:00', '17:00:00', 'UTC'], Number.NaN).ok, false);
  });
});

describe('isDateRange', () => {
  const christmas = ['12/24/26', '12/26/26', 'Europe/London'];
  test('local date in the zone, both ends included', () => {
    assert.equal(dateRange(christmas, '2026-12-23T23:59:59Z'), false);
    assert.equal(dateRange(christmas, '2026-12-24T00:00:00Z'), true);
    assert.equal(dateRange(christmas, '2026-12-26T23:59:59Z'), true);
    assert.equal(dateRange(christmas, '2026-12-27T00:00:00Z'), false);
  });
  test('the date is the zone’s', () => {
    const la = ['12/24/26', '12/26/26', 'America/Los_Angeles'];
    assert.equal(dateRange(la, '2026-12-27T05:00:00Z'), true); // Sat 12/26 21:00 PST
    assert.equal(dateRange(la, '2026-12-24T07:59:59Z'), false); // Wed 12/23 23:59:59 PST
  });
  test('days filter by local weekday (2026-12-24 is a Thursday)', () => {
    assert.equal(dateRange([...christmas, ['THU']], '2026-12-24T12:00:00Z'), true);
    assert.equal(dateRange([...christmas, ['FRI', 'SAT']], '2026-12-24T12:00:00Z'), false);
    assert.equal(dateRange([...christmas, ['FRI', 'SAT']], '2026-12-25T12:00:00Z'), true);
  });
  test('four-digit years and ranges across a year end', () => {
    assert.equal(dateRange(['12/31/2026', '01/01/2027', 'UTC'], '2027-01-01T10:00:00Z'), true);
    assert.equal(dateRange(['12/31/2026', '01/01/2027', 'UTC'], '2027-01-02T10:00:00Z'), false);
  });
  test('bad arguments are INVALID, an unknown zone is an ERROR', () => {
    assert.equal(dateRange(['12/26/26', '12/24/26', 'UTC'], '2026-12-25T00:00:00Z'), 'INVALID');
    assert.equal(dateRange(['2026-12-24', '12/26/26', 'UTC'], '2026-12-25T00:00:00Z'), 'INVALID');
    assert.equal(dateRange(['02/29/26', '03/01/26', 'UTC'], '2026-02-28T00:00:00Z'), 'INVALID');
    assert.equal(dateRange(['12/24/26', '12/26/26', 'Nowhere/City'], '2026-12-25T00:00:00Z'), 'ERROR');
  });
});

describe('time helpers in policies', () => {
  const run = (expression: string, iso: string, attrs: Record<string, JsonValue> = {}) =>
    evaluatePolicies(
      compilePolicies([
        {
          id: 'p',
          name: 'p',
          enabled: true,
          expression,
          actions: [{ type: 'SEND_MESSAGE', payload: { message: 'x' } }],
        },
      ]),
      (name) => (name in attrs ? { found: true, value: attrs[name] as JsonValue } : { found: false }),
      at(iso),
    ).results[0];

  test('business hours', () => {
    const src = "isTimeRange('09:00:00','17:00:00','America/New_York',['MON','TUE','WED','THU','FRI'])";
    assert.equal(run(src, '2026-01-05T14:30:00Z')?.result, 'TRUE');
    assert.equal(run(src, '2026-01-10T14:30:00Z')?.result, 'FALSE'); // Saturday
    assert.equal(run(`not ${src}`, '2026-01-10T14:30:00Z')?.result, 'TRUE');
  });
  test('an unknown zone from an attribute is an ERROR for that policy', () => {
    const entry = run("isTimeRange('09:00:00','17:00:00', custom.tz)", '2026-01-05T14:30:00Z', {
      'custom.tz': 'Not/AZone',
    });
    assert.deepEqual([entry?.result, entry?.reason], ['ERROR', 'unknown time zone Not/AZone']);
  });
  test('holidays', () => {
    const src = "isDateRange('12/24/26','12/26/26','Europe/London') and custom.open";
    assert.equal(run(src, '2026-12-25T10:00:00Z', { 'custom.open': true })?.result, 'TRUE');
  });
});

describe('time formats', () => {
  test('parseClock', () => {
    assert.equal(parseClock('00:00:00'), 0);
    assert.equal(parseClock('23:59:59'), 86399);
    assert.equal(parseClock('12:30'), 45000);
    for (const bad of ['24:00:00', '9:00:00', '12:60:00', '12:00:60', '12:00:00 ', '']) {
      assert.equal(parseClock(bad), null, bad);
    }
  });
  test('parseDate', () => {
    assert.equal(parseDate('12/24/26'), 20261224);
    assert.equal(parseDate('1/5/2027'), 20270105);
    assert.equal(parseDate('02/29/28'), 20280229);
    for (const bad of ['02/29/26', '13/01/26', '00/10/26', '12/32/26', '12-24-26', '12/24/026']) {
      assert.equal(parseDate(bad), null, bad);
    }
  });
});
