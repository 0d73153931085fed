import { AppError, shanghaiMonth } from '#shared';
import type { UnitType } from '../projection/case-state.js';

export const UNIT_TYPES: UnitType[] = ['company', 'authority', 'city'];
export const UNIT_TYPE_LABELS: Record<UnitType, string> = { company: '供热企业', authority: '供热主管单位', city: '城市' };

/** The earliest month the API answers for: anything before is a typo, not a question. */
export const EARLIEST_MONTH = '2000-01';

export function parseUnitType(value: string | undefined, field = 'unitType'): UnitType {
  if (!UNIT_TYPES.includes(value as UnitType)) {
    throw new AppError('INVALID_UNIT_TYPE', `单位类型（${field}）只能是 ${UNIT_TYPES.join('、')}（企业、主管单位、城市）`, 400, field);
  }
  return value as UnitType;
}

/** The month asked for (YYYY-MM, Asia/Shanghai), default the current one; never in the future. */
export function resolveMonth(month: string | undefined, now: Date): string {
  const current = shanghaiMonth(now);
  const wanted = month ?? current;
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(wanted)) {
    throw new AppError('INVALID_MONTH', '月份（month）格式应为 YYYY-MM，例如 2026-11', 400, 'month');
  }
  if (wanted < EARLIEST_MONTH) {
    throw new AppError('MONTH_OUT_OF_RANGE', `月份（month）${wanted} 超出范围：最早可查询 ${EARLIEST_MONTH}，最晚 ${current}`, 400, 'month');
  }
  if (wanted > current) throw new AppError('FUTURE_MONTH', `月份（month）${wanted} 尚未到来，最晚可查询 ${current}`, 400, 'month');
  return wanted;
}

/** A whole number query parameter within [min, max], or the default when absent. */
export function parseIntParam(value: string | undefined, field: string, label: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new AppError('INVALID_PARAMETER', `${label}（${field}）应为 ${min} 到 ${max} 之间的整数`, 400, field);
  }
  return n;
}
