import { describe, expect, it } from '@jest/globals';
import { naturalDayDeadline, shanghaiDateStamp, shanghaiMonth } from './natural-days.js';

/*
 * Deadlines and months are counted in Asia/Shanghai (UTC+8, no DST) whatever zone the process
 * runs in (the servers run in UTC). Jest does not let a test switch the process zone, so the
 * instants below are picked where the UTC calendar day and the Shanghai calendar day differ:
 * a computation in UTC (or in a non-Shanghai host zone) lands on the wrong day and fails.
 */
const at = (iso: string) => new Date(iso);

describe('a deadline of N natural days ends at 24:00 Shanghai time on the N-th day after the dispatch day', () => {
  it('a case dispatched at 23:30 on Nov 1 with 3 days is due at 24:00 on Nov 4 (Nov 5 00:00 +08:00)', () => {
    const due = naturalDayDeadline(at('2026-11-01T23:30:00+08:00'), 3);
    expect(due.toISOString()).toBe(at('2026-11-05T00:00:00+08:00').toISOString());
  });

  it('a case dispatched at 00:10 Shanghai (still the previous day in UTC) counts from the Shanghai day', () => {
    const dispatched = at('2026-11-02T00:10:00+08:00');
    expect(dispatched.getUTCDate()).toBe(1); // 2026-11-01T16:10Z: the UTC calendar says Nov 1
    const due = naturalDayDeadline(dispatched, 3);
    expect(due.toISOString()).toBe(at('2026-11-06T00:00:00+08:00').toISOString());
  });

  it('a case dispatched at 07:59 Shanghai and one dispatched at 08:01 (either side of UTC midnight) share a deadline', () => {
    const before = naturalDayDeadline(at('2026-11-10T07:59:00+08:00'), 3);
    const after = naturalDayDeadline(at('2026-11-10T08:01:00+08:00'), 3);
    expect(before.toISOString()).toBe(at('2026-11-14T00:00:00+08:00').toISOString());
    expect(after.toISOString()).toBe(before.toISOString());
  });

  it('a complex case (7 natural days) dispatched at 15:00 on Nov 29 is due at 24:00 on Dec 6', () => {
    const due = naturalDayDeadline(at('2026-11-29T15:00:00+08:00'), 7);
    expect(due.toISOString()).toBe(at('2026-12-07T00:00:00+08:00').toISOString());
  });

  it('a case dispatched at exactly 00:00 Shanghai still gets the whole dispatch day plus 3 days', () => {
    const due = naturalDayDeadline(at('2026-11-01T00:00:00+08:00'), 3);
    expect(due.toISOString()).toBe(at('2026-11-05T00:00:00+08:00').toISOString());
  });

  it('natural days run through weekends, month ends and year ends (no working-day skipping)', () => {
    // Fri 2026-12-25 → 7 natural days → end of Fri 2027-01-01.
    const due = naturalDayDeadline(at('2026-12-25T10:00:00+08:00'), 7);
    expect(due.toISOString()).toBe(at('2027-01-02T00:00:00+08:00').toISOString());
  });

  it('the Shanghai day is used even where the UTC day differs (16:00Z–23:59Z is the next Shanghai day)', () => {
    // 2026-03-07T20:00Z is 04:00 on Mar 8 in Shanghai: 3 days → end of Mar 11.
    expect(naturalDayDeadline(at('2026-03-07T20:00:00Z'), 3).toISOString()).toBe(at('2026-03-12T00:00:00+08:00').toISOString());
    // 2026-03-07T15:59Z is 23:59 on Mar 7 in Shanghai: 3 days → end of Mar 10.
    expect(naturalDayDeadline(at('2026-03-07T15:59:00Z'), 3).toISOString()).toBe(at('2026-03-11T00:00:00+08:00').toISOString());
  });

  it('the deadline is always a Shanghai midnight (16:00 UTC)', () => {
    for (const iso of ['2026-11-01T00:00:00Z', '2026-11-01T12:34:56Z', '2026-11-01T16:00:00Z', '2026-11-01T23:59:59Z']) {
      const due = naturalDayDeadline(at(iso), 3);
      expect(due.getUTCHours()).toBe(16);
      expect(due.getUTCMinutes() + due.getUTCSeconds() + due.getUTCMilliseconds()).toBe(0);
    }
  });
});

describe('shanghaiMonth names the calendar month an instant falls in, in Shanghai', () => {
  it('2026-11-30T16:30Z (00:30 on Dec 1 in Shanghai) is December', () => {
    expect(shanghaiMonth(at('2026-11-30T16:30:00Z'))).toBe('2026-12');
  });
  it('2026-11-30T15:59:59Z (23:59:59 on Nov 30 in Shanghai) is still November', () => {
    expect(shanghaiMonth(at('2026-11-30T15:59:59Z'))).toBe('2026-11');
  });
  it('the new year starts at 16:00Z on Dec 31', () => {
    expect(shanghaiMonth(at('2026-12-31T16:00:00Z'))).toBe('2027-01');
    expect(shanghaiMonth(at('2026-12-31T15:59:59Z'))).toBe('2026-12');
  });
});

describe('shanghaiDateStamp gives YYYYMMDD of the Shanghai calendar day', () => {
  it('2026-11-28T16:00Z is Nov 29 in Shanghai', () => {
    expect(shanghaiDateStamp(at('2026-11-28T16:00:00Z'))).toBe('20261129');
  });
  it('2026-11-28T15:59:59.999Z is still Nov 28 in Shanghai', () => {
    expect(shanghaiDateStamp(at('2026-11-28T15:59:59.999Z'))).toBe('20261128');
  });
  it('single-digit months and days are zero-padded', () => {
    expect(shanghaiDateStamp(at('2027-03-05T12:00:00+08:00'))).toBe('20270305');
  });
});
