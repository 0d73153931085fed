import { TZDate } from '@date-fns/tz';
import { addDays, format, startOfDay } from 'date-fns';

/** Deadlines and months are counted in Liaoning's local time, whatever the server's zone. */
export const SHANGHAI = 'Asia/Shanghai';

/**
 * Due time of a case handled within `days` natural days (自然日): the end of the `days`-th day
 * after the day it was dispatched on, in Asia/Shanghai. Dispatched 23:30 on Nov 1 with 3 days →
 * due at 24:00 on Nov 4 (= Nov 5 00:00).
 */
export function naturalDayDeadline(dispatchedAt: Date, days: number): Date {
  const local = new TZDate(dispatchedAt.getTime(), SHANGHAI);
  return new Date(addDays(startOfDay(local), days + 1).getTime());
}

/** The calendar month (YYYY-MM) an instant falls in, in Asia/Shanghai. */
export function shanghaiMonth(at: Date): string {
  return format(new TZDate(at.getTime(), SHANGHAI), 'yyyy-MM');
}

/** The calendar date (YYYYMMDD) an instant falls on, in Asia/Shanghai. */
export function shanghaiDateStamp(at: Date): string {
  return format(new TZDate(at.getTime(), SHANGHAI), 'yyyyMMdd');
}
