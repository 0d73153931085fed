import { describe, expect, it } from '@jest/globals';
import { AppError } from '#shared';
import { checkBulletinMonth, dueBulletinMonth, parseDraft, previousMonth } from './bulletin-month.js';

const NOW = new Date('2026-12-15T12:00:00+08:00');

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected a refusal');
}

describe('a bulletin is for a finished month from 2020-01 on (Asia/Shanghai); the current month only as a draft', () => {
  it('a finished month is accepted', () => {
    expect(checkBulletinMonth('2026-11', NOW, false)).toBe('2026-11');
    expect(checkBulletinMonth('2020-01', NOW, false)).toBe('2020-01');
  });

  it('a wrong format is a 400 naming month, in Chinese', () => {
    for (const bad of ['2026-13', '2026-1', '202611', 'November', undefined, 202611]) {
      const e = refusal(() => checkBulletinMonth(bad, NOW, false));
      expect(e).toMatchObject({ code: 'INVALID_MONTH', status: 400, field: 'month' });
      expect(e.message).toContain('月份（month）');
    }
  });

  it('before 2020-01 is out of range', () => {
    expect(refusal(() => checkBulletinMonth('2019-12', NOW, false))).toMatchObject({ code: 'MONTH_OUT_OF_RANGE', status: 400, field: 'month' });
  });

  it('the month in progress is refused unless it is a draft', () => {
    const e = refusal(() => checkBulletinMonth('2026-12', NOW, false));
    expect(e).toMatchObject({ code: 'MONTH_NOT_ENDED', status: 400, field: 'month' });
    expect(e.message).toContain('draft=true');
    expect(checkBulletinMonth('2026-12', NOW, true)).toBe('2026-12');
  });

  it('a future month is refused even as a draft', () => {
    expect(refusal(() => checkBulletinMonth('2027-01', NOW, true))).toMatchObject({ code: 'MONTH_OUT_OF_RANGE', field: 'month' });
  });

  it('months end at midnight Shanghai time, not UTC: 2026-11-30T16:30Z is already December', () => {
    const justAfter = new Date('2026-11-30T16:30:00Z');
    expect(checkBulletinMonth('2026-11', justAfter, false)).toBe('2026-11');
    expect(refusal(() => checkBulletinMonth('2026-12', justAfter, false)).code).toBe('MONTH_NOT_ENDED');
  });

  it('draft is true or false', () => {
    expect(parseDraft(undefined)).toBe(false);
    expect(parseDraft('true')).toBe(true);
    expect(refusal(() => parseDraft('yes'))).toMatchObject({ code: 'VALIDATION_FAILED', field: 'draft' });
  });
});

describe('the schedule: the previous month is due from the 1st at 06:00 Asia/Shanghai', () => {
  it('05:59 on Dec 1 (Shanghai) the due month is still October; at 06:00 it is November', () => {
    expect(dueBulletinMonth(new Date('2026-12-01T05:59:59+08:00'))).toBe('2026-10');
    expect(dueBulletinMonth(new Date('2026-12-01T06:00:00+08:00'))).toBe('2026-11');
    expect(dueBulletinMonth(new Date('2026-12-20T23:00:00+08:00'))).toBe('2026-11');
  });

  it('January 1st 06:00 makes December of the previous year due', () => {
    expect(dueBulletinMonth(new Date('2027-01-01T06:00:00+08:00'))).toBe('2026-12');
    expect(previousMonth('2027-01')).toBe('2026-12');
  });
});
