import type { DispatchCase } from '../cases/dispatch-case.entity.js';
import { HANDLING_STATUSES } from '../cases/dispatch-case.entity.js';

const HOUR_MS = 3600 * 1000;

/** Reminders go to the company this long before the deadline. */
export const REMINDER_LEADS = [
  { step: 'reminder_24h', leadMs: 24 * HOUR_MS },
  { step: 'reminder_4h', leadMs: 4 * HOUR_MS },
] as const;

export type DeadlineStep = 'reminder_24h' | 'reminder_4h' | 'overdue' | 'dispatch_overdue';

type DeadlineFields = Pick<DispatchCase, 'status' | 'dueAt' | 'dispatchLimitAt' | 'dispatchOverdueAt' | 'reminded24hAt' | 'reminded4hAt' | 'overdueAt'>;

/**
 * What the deadline monitor owes a case at `now` — each at most once:
 * - a case still in the manual queue 2 hours after intake is late in dispatch;
 * - a handled case gets a reminder 24 h and 4 h before its deadline (only the nearest one if the
 *   monitor comes late, e.g. after a pause or a re-dispatch with little time left);
 * - at the deadline without a result it is overdue (and no reminder is sent any more).
 */
export function deadlineStepsDue(c: DeadlineFields, now: Date): DeadlineStep[] {
  const t = now.getTime();
  if (c.status === 'awaiting_manual_dispatch') {
    return !c.dispatchOverdueAt && c.dispatchLimitAt.getTime() <= t ? ['dispatch_overdue'] : [];
  }
  if (!HANDLING_STATUSES.includes(c.status) || !c.dueAt || c.overdueAt) return [];
  const left = c.dueAt.getTime() - t;
  if (left <= 0) return ['overdue'];
  if (left <= REMINDER_LEADS[1].leadMs) return c.reminded4hAt ? [] : ['reminder_4h'];
  if (left <= REMINDER_LEADS[0].leadMs) return c.reminded24hAt ? [] : ['reminder_24h'];
  return [];
}
