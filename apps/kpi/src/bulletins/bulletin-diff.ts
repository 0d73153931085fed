import { computeIndicators } from '../indicators/indicator-formulas.js';
import type { UnitMonthCounts } from '../indicators/indicator-formulas.js';
import { COUNT_KEYS, ZERO_COUNTS } from './bulletin-data-source.js';
import { indicatorDefinitions, valuesOf } from './bulletin-snapshot.js';
import type { BulletinSnapshot, UnitFigures } from './bulletin-snapshot.js';

/*
 * "Changes since version N−1": late events (a rating, a feedback, an approved reconsideration
 * arriving after the month's bulletin) move a unit's counters; a new version lists, per unit, each
 * counter and indicator that moved, old → new. Two snapshots with no such change are the same
 * bulletin (no new version).
 */

export const COUNT_LABELS: Record<keyof UnitMonthCounts, string> = {
  dispatched: '分转件数',
  onTimeDispatched: '按时分转件数',
  withFeedback: '已反馈件数',
  feedbackDaysSum: '反馈用时合计（天）',
  closed: '办结件数',
  rated: '已评价件数',
  satisfied: '满意',
  basicallySatisfied: '基本满意',
  dissatisfied: '不满意',
  approvedReconsiderations: '复议通过件数',
  failedSpotChecks: '抽查不合格件数',
};

export type ChangeScope = 'province' | 'city' | 'company' | 'authority';

export const SCOPE_LABELS: Record<ChangeScope, string> = { province: '全省', city: '城市', company: '企业', authority: '主管单位' };

export interface FieldChange {
  key: string;
  label: string;
  old: number | null;
  new: number | null;
}

export interface UnitChange {
  scope: ChangeScope;
  id: string;
  name: string;
  fields: FieldChange[];
}

export interface BulletinChanges {
  sinceVersion: number;
  units: UnitChange[];
}

function unitChange(scope: ChangeScope, before: UnitFigures | undefined, after: UnitFigures | undefined): UnitChange | null {
  const unit = (after ?? before)!;
  const oldCounts = before?.counts ?? ZERO_COUNTS;
  const newCounts = after?.counts ?? ZERO_COUNTS;
  const fields: FieldChange[] = [];
  for (const k of COUNT_KEYS) {
    if (oldCounts[k] !== newCounts[k]) fields.push({ key: k, label: COUNT_LABELS[k], old: oldCounts[k], new: newCounts[k] });
  }
  if (fields.length === 0) return null;
  const oldValues = before?.values ?? valuesOf(computeIndicators(oldCounts));
  const newValues = after?.values ?? valuesOf(computeIndicators(newCounts));
  for (const d of indicatorDefinitions()) {
    if (oldValues[d.key] !== newValues[d.key]) fields.push({ key: d.key, label: d.label, old: oldValues[d.key], new: newValues[d.key] });
  }
  return { scope, id: unit.id, name: unit.name, fields };
}

function diffList(scope: ChangeScope, before: UnitFigures[], after: UnitFigures[]): UnitChange[] {
  const old = new Map(before.map((u) => [u.id, u]));
  const now = new Map(after.map((u) => [u.id, u]));
  const ids = [...new Set([...old.keys(), ...now.keys()])].sort();
  return ids.map((id) => unitChange(scope, old.get(id), now.get(id))).filter((c): c is UnitChange => c !== null);
}

/** What moved from `before` to `after`, unit by unit (province, cities, companies, authorities). */
export function diffSnapshots(before: BulletinSnapshot, after: BulletinSnapshot, sinceVersion: number): BulletinChanges {
  const province = unitChange('province', before.province, after.province);
  return {
    sinceVersion,
    units: [
      ...(province ? [province] : []),
      ...diffList('city', before.cities, after.cities),
      ...diffList('company', before.companies, after.companies),
      ...diffList('authority', before.authorities, after.authorities),
    ],
  };
}

/** Same counters for every unit: the same bulletin (rankings and indicators follow from the counters). */
export function sameFigures(a: BulletinSnapshot, b: BulletinSnapshot): boolean {
  return diffSnapshots(a, b, 0).units.length === 0;
}
