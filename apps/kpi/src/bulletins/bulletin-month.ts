import { AppError, shanghaiMonth } from '#shared';

/** The platform's first month: no bulletin before it. */
export const FIRST_BULLETIN_MONTH = '2020-01';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/** The month whose bulletin is due at `now`: the previous month, from the 1st at 06:00 Asia/Shanghai on. */
export function dueBulletinMonth(now: Date): string {
  return previousMonth(shanghaiMonth(new Date(now.getTime() - 6 * 3600 * 1000)));
}

/**
 * A bulletin is for a finished month (Asia/Shanghai) from 2020-01 on; the month in progress only
 * as a draft (not stored, not published). Refusals are 400s naming `month`.
 */
export function checkBulletinMonth(value: unknown, now: Date, draft: boolean): string {
  if (typeof value !== 'string' || !MONTH.test(value)) {
    throw new AppError('INVALID_MONTH', '月份（month）格式应为 YYYY-MM，例如 2026-11', 400, 'month');
  }
  if (value < FIRST_BULLETIN_MONTH) {
    throw new AppError('MONTH_OUT_OF_RANGE', `月份（month）${value} 早于平台启用时间，最早为 ${FIRST_BULLETIN_MONTH}`, 400, 'month');
  }
  const current = shanghaiMonth(now);
  if (value > current) {
    throw new AppError('MONTH_OUT_OF_RANGE', `月份（month）${value} 尚未到来，当前为 ${current}`, 400, 'month');
  }
  if (value === current && !draft) {
    throw new AppError(
      'MONTH_NOT_ENDED',
      `月份（month）${value} 尚未结束：月度通报只针对已结束的月份；预览本月数据请加 ?draft=true（草稿不保存、不发布）`,
      400,
      'month',
    );
  }
  return value;
}

/** `?draft=` as a boolean (absent = false). */
export function parseDraft(value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new AppError('VALIDATION_FAILED', `草稿（draft）只能是 true 或 false，收到“${value}”`, 400, 'draft');
}
