import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';
import { SHANGHAI } from '#shared';
import type { BulletinChanges, FieldChange } from './bulletin-diff.js';
import { indicatorDefinitions } from './bulletin-snapshot.js';
import type { BulletinSnapshot, IndicatorDefinition, IndicatorKey, UnitFigures } from './bulletin-snapshot.js';

/** What the three formats render: the figures, the version, and what changed since the previous one. */
export interface BulletinDocument {
  snapshot: BulletinSnapshot;
  /** null: a draft (not stored, not published). */
  version: number | null;
  createdBy: string;
  changes: BulletinChanges | null;
}

export const BULLETIN_TITLE = '辽宁省供热直通车月度通报';

/** Who published, as recorded: `system:schedule` (the monthly schedule) or `<role>:<user id>`. */
export const SCHEDULE_PUBLISHER = 'system:schedule';

export function publisherLabel(createdBy: string): string {
  if (createdBy === SCHEDULE_PUBLISHER) return '系统按期生成（每月 1 日 06:00）';
  const [role, ...rest] = createdBy.split(':');
  const who = rest.join(':');
  return role === 'province' ? `省级用户 ${who}` : createdBy;
}

export function monthLabel(month: string): string {
  const [y, m] = month.split('-');
  return `${y}年${Number(m)}月`;
}

export function versionLabel(version: number | null): string {
  return version === null ? '草稿（未发布，仅供预览）' : `第 ${version} 版`;
}

/** e.g. 2026-12-01 06:00:03（北京时间）. */
export function shanghaiTime(iso: string): string {
  return `${format(new TZDate(new Date(iso).getTime(), SHANGHAI), 'yyyy-MM-dd HH:mm:ss')}（北京时间）`;
}

export function formatValue(value: number | null, unit: IndicatorDefinition['unit']): string {
  if (value === null) return '无数据';
  return unit === '%' ? `${value.toFixed(1)}%` : `${value.toFixed(1)} 天`;
}

/** The counts behind one indicator of a unit, as written next to it: "已反馈 45 / 分转 50". */
export function countsBehind(u: UnitFigures, key: IndicatorKey): string {
  const c = u.counts;
  switch (key) {
    case 'feedbackRate':
      return `${c.withFeedback}/${c.dispatched}`;
    case 'handlingDays':
      return `${round1(c.feedbackDaysSum)}/${c.withFeedback}`;
    case 'onTimeDispatchRate':
      return `${c.onTimeDispatched}/${c.dispatched}`;
    case 'completionRate':
      return `${c.closed}/${c.dispatched}`;
    case 'satisfactionRate': {
      const base = Math.max(0, c.rated - c.approvedReconsiderations);
      const deduction = c.failedSpotChecks > 0 ? ` −${c.failedSpotChecks}` : '';
      return `${c.satisfied + c.basicallySatisfied}/${base}${deduction}`;
    }
  }
}

/** What each "n/d" means, per indicator (legend of the tables). */
export const COUNTS_LEGEND: Record<IndicatorKey, string> = {
  feedbackRate: '已反馈件数/分转件数',
  handlingDays: '反馈用时合计（天）/已反馈件数',
  onTimeDispatchRate: '按时分转件数/分转件数',
  completionRate: '办结件数/分转件数',
  satisfactionRate: '(满意+基本满意)/(已评价−复议通过)，“−n”为抽查不合格扣减的百分点',
};

/** A changed field's old or new value as shown: indicators with their unit, counts as numbers. */
export function changeValueText(field: FieldChange, value: number | null): string {
  const d = indicatorDefinitions().find((x) => x.key === field.key);
  if (d) return formatValue(value, d.unit);
  return value === null ? '无数据' : String(value);
}

function round1(x: number): string {
  return (Math.round(x * 10) / 10).toFixed(1);
}

export type BulletinFormat = 'html' | 'pdf' | 'xlsx';

export const CONTENT_TYPES: Record<BulletinFormat, string> = {
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** ASCII fallback and the Chinese display name (RFC 5987 filename*). */
export function fileNames(month: string, version: number | null, ext: BulletinFormat): { ascii: string; display: string } {
  const v = version === null ? 'draft' : `v${version}`;
  const zhVersion = version === null ? '草稿' : `第${version}版`;
  return { ascii: `bulletin-${month}-${v}.${ext}`, display: `${BULLETIN_TITLE}-${monthLabel(month)}-${zhVersion}.${ext}` };
}
