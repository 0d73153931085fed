import { describe, expect, it } from '@jest/globals';
import type { UnitMonthCounts } from '../indicators/indicator-formulas.js';
import { ZERO_COUNTS } from './bulletin-data-source.js';
import type { UnitCountsRow } from './bulletin-data-source.js';
import { diffSnapshots, sameFigures } from './bulletin-diff.js';
import { buildSnapshot } from './bulletin-snapshot.js';

const row = (unitType: UnitCountsRow['unitType'], unitId: string, c: Partial<UnitMonthCounts>): UnitCountsRow => ({ unitType, unitId, counts: { ...ZERO_COUNTS, ...c } });

/** One company HC0001 under authority AU210102 in 沈阳市, plus HC0002 elsewhere. */
function month(hc1: Partial<UnitMonthCounts>, hc2: Partial<UnitMonthCounts> = { dispatched: 5, closed: 5 }): UnitCountsRow[] {
  const c1 = { ...ZERO_COUNTS, ...hc1 };
  const c2 = { ...ZERO_COUNTS, ...hc2 };
  return [
    row('company', 'HC0001', c1),
    row('company', 'HC0002', c2),
    row('authority', 'AU210102', c1),
    row('authority', 'AU210202', c2),
    row('city', '210100', c1),
    row('city', '210200', c2),
  ];
}

const v1Counts = { dispatched: 12, closed: 10, withFeedback: 11, rated: 8, satisfied: 6, dissatisfied: 2 };

describe('version N+1 lists what changed since version N, unit by unit, old → new', () => {
  const v1 = buildSnapshot('2026-11', month(v1Counts), new Date('2026-12-01T06:00:00+08:00'));

  it('a late rating changes the company, its authority, its city and the province — and nothing else', () => {
    // A 基本满意 rating arrived after version 1.
    const v2 = buildSnapshot('2026-11', month({ ...v1Counts, rated: 9, basicallySatisfied: 1 }), new Date('2026-12-05T10:00:00+08:00'));
    const changes = diffSnapshots(v1, v2, 1);
    expect(changes.sinceVersion).toBe(1);
    expect(changes.units.map((u) => `${u.scope}:${u.id}`)).toEqual(['province:210000', 'city:210100', 'company:HC0001', 'authority:AU210102']);
    const hc1 = changes.units.find((u) => u.id === 'HC0001')!;
    expect(hc1.fields).toEqual([
      { key: 'rated', label: '已评价件数', old: 8, new: 9 },
      { key: 'basicallySatisfied', label: '基本满意', old: 0, new: 1 },
      { key: 'satisfactionRate', label: '满意率', old: 75, new: 77.8 },
    ]);
  });

  it('an approved reconsideration moves the satisfaction rate and is listed with it', () => {
    const v2 = buildSnapshot('2026-11', month({ ...v1Counts, approvedReconsiderations: 1 }), new Date());
    const hc1 = diffSnapshots(v1, v2, 1).units.find((u) => u.id === 'HC0001')!;
    expect(hc1.fields).toEqual([
      { key: 'approvedReconsiderations', label: '复议通过件数', old: 0, new: 1 },
      { key: 'satisfactionRate', label: '满意率', old: 75, new: 85.7 },
    ]);
  });

  it('a unit that had no case in version N appears with its counts from zero', () => {
    const rows = [...month(v1Counts), row('company', 'HC0003', { dispatched: 1 })];
    const v2 = buildSnapshot('2026-11', rows, new Date());
    const added = diffSnapshots(v1, v2, 1).units.find((u) => u.id === 'HC0003')!;
    expect(added.fields).toEqual([
      { key: 'dispatched', label: '分转件数', old: 0, new: 1 },
      { key: 'feedbackRate', label: '反馈率', old: null, new: 0 },
      { key: 'onTimeDispatchRate', label: '按时分转率', old: null, new: 0 },
      { key: 'completionRate', label: '办结率', old: null, new: 0 },
    ]);
  });

  it('the same counters generated later are the same figures (no new version), whatever the generation time', () => {
    const again = buildSnapshot('2026-11', month(v1Counts), new Date('2027-01-15T00:00:00+08:00'));
    expect(sameFigures(v1, again)).toBe(true);
    expect(diffSnapshots(v1, again, 1).units).toEqual([]);
  });

  it('the order rows arrive in does not matter', () => {
    const shuffled = buildSnapshot('2026-11', month(v1Counts).reverse(), new Date());
    expect(sameFigures(v1, shuffled)).toBe(true);
  });

  it('any moved counter is a change, even one no indicator shows (a 不满意 on a unit already at 0 %)', () => {
    const base = buildSnapshot('2026-11', month({ dispatched: 10, rated: 1, dissatisfied: 1 }), new Date());
    const later = buildSnapshot('2026-11', month({ dispatched: 10, rated: 2, dissatisfied: 2 }), new Date());
    expect(sameFigures(base, later)).toBe(false);
    const hc1 = diffSnapshots(base, later, 3).units.find((u) => u.id === 'HC0001')!;
    expect(hc1.fields.map((f) => f.key)).toEqual(['rated', 'dissatisfied']);
  });
});
