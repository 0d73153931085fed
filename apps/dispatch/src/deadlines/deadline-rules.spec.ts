import { describe, expect, it } from '@jest/globals';
import { naturalDayDeadline } from '#shared';
import { deadlineStepsDue } from './deadline-rules.js';

const dispatchedAt = new Date('2026-11-29T10:00:00+08:00');
const dueAt = naturalDayDeadline(dispatchedAt, 3); // 2026-12-03T00:00+08:00
const at = (iso: string) => new Date(iso);
const handled = {
  status: 'signed' as const,
  dueAt,
  dispatchLimitAt: at('2026-11-29T12:00:00+08:00'),
  dispatchOverdueAt: null,
  reminded24hAt: null,
  reminded4hAt: null,
  overdueAt: null,
};

describe('deadline steps (3 natural days, Asia/Shanghai): reminders 24 h and 4 h before, overdue at the deadline', () => {
  it('a case dispatched on Nov 29 10:00 Shanghai is due at 24:00 on Dec 2', () => {
    expect(dueAt.toISOString()).toBe(at('2026-12-03T00:00:00+08:00').toISOString());
  });

  it('more than 24 h before the deadline nothing is due', () => {
    expect(deadlineStepsDue(handled, at('2026-12-01T23:59:00+08:00'))).toEqual([]);
  });

  it('24 h before: the 24-hour reminder', () => {
    expect(deadlineStepsDue(handled, at('2026-12-02T00:00:00+08:00'))).toEqual(['reminder_24h']);
  });

  it('the 24-hour reminder is sent once', () => {
    expect(deadlineStepsDue({ ...handled, reminded24hAt: at('2026-12-02T00:00:00+08:00') }, at('2026-12-02T08:00:00+08:00'))).toEqual([]);
  });

  it('4 h before: the 4-hour reminder, once', () => {
    const reminded = { ...handled, reminded24hAt: at('2026-12-02T00:00:00+08:00') };
    expect(deadlineStepsDue(reminded, at('2026-12-02T20:00:00+08:00'))).toEqual(['reminder_4h']);
    expect(deadlineStepsDue({ ...reminded, reminded4hAt: at('2026-12-02T20:00:00+08:00') }, at('2026-12-02T21:00:00+08:00'))).toEqual([]);
  });

  it('a monitor that comes late with 3 h left sends only the 4-hour reminder, not both', () => {
    expect(deadlineStepsDue(handled, at('2026-12-02T21:00:00+08:00'))).toEqual(['reminder_4h']);
  });

  it('at the deadline (24:00 Shanghai) the case is overdue, and no reminder is sent any more', () => {
    expect(deadlineStepsDue(handled, at('2026-12-03T00:00:00+08:00'))).toEqual(['overdue']);
  });

  it('an overdue case is marked once', () => {
    expect(deadlineStepsDue({ ...handled, overdueAt: at('2026-12-03T00:00:00+08:00') }, at('2026-12-04T00:00:00+08:00'))).toEqual([]);
  });

  it('a closed case is never overdue', () => {
    expect(deadlineStepsDue({ ...handled, status: 'closed' }, at('2026-12-10T00:00:00+08:00'))).toEqual([]);
  });

  it('a returned case waiting for the authority still runs against its deadline', () => {
    expect(deadlineStepsDue({ ...handled, status: 'return_requested' }, at('2026-12-03T00:00:00+08:00'))).toEqual(['overdue']);
  });

  it('a case still in the manual queue 2 hours after intake is late in dispatch, once', () => {
    const queued = { ...handled, status: 'awaiting_manual_dispatch' as const, dueAt: null };
    expect(deadlineStepsDue(queued, at('2026-11-29T11:59:59+08:00'))).toEqual([]);
    expect(deadlineStepsDue(queued, at('2026-11-29T12:00:00+08:00'))).toEqual(['dispatch_overdue']);
    expect(deadlineStepsDue({ ...queued, dispatchOverdueAt: at('2026-11-29T12:00:00+08:00') }, at('2026-11-29T13:00:00+08:00'))).toEqual([]);
  });
});
