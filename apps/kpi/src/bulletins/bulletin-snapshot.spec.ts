import { describe, expect, it } from '@jest/globals';
import type { UnitMonthCounts } from '../indicators/indicator-formulas.js';
import { ZERO_COUNTS } from './bulletin-data-source.js';
import type { UnitCountsRow } from './bulletin-data-source.js';
import { buildSnapshot, redAndBlack } from './bulletin-snapshot.js';
import type { BulletinSnapshot, RankedUnit } from './bulletin-snapshot.js';

const AT = new Date('2026-12-01T06:00:00+08:00');
const counts = (c: Partial<UnitMonthCounts>): UnitMonthCounts => ({ ...ZERO_COUNTS, ...c });
const row = (unitType: UnitCountsRow['unitType'], unitId: string, c: Partial<UnitMonthCounts>): UnitCountsRow => ({ unitType, unitId, counts: counts(c) });

/** A company with `dispatched` cases of which `happy` of `rated` were 满意/基本满意. */
function company(id: string, dispatched: number, rated: number, happy: number, extra: Partial<UnitMonthCounts> = {}): UnitCountsRow {
  return row('company', id, { dispatched, closed: dispatched, withFeedback: dispatched, rated, satisfied: happy, dissatisfied: rated - happy, ...extra });
}

const byId = (s: BulletinSnapshot, id: string): RankedUnit => [...s.companies, ...s.authorities].find((u) => u.id === id)!;

describe('bulletin figures: province, cities and units from the month counters', () => {
  it('the province is the sum of the cities, and every indicator comes with the counts it was computed from', () => {
    const s = buildSnapshot(
      '2026-11',
      [row('city', '210100', { dispatched: 30, closed: 27, rated: 20, satisfied: 15, basicallySatisfied: 3, dissatisfied: 2 }), row('city', '210200', { dispatched: 10, closed: 10, rated: 5, satisfied: 5 })],
      AT,
    );
    expect(s.province.counts).toMatchObject({ dispatched: 40, closed: 37, rated: 25, satisfied: 20, basicallySatisfied: 3 });
    expect(s.province.values.completionRate).toBe(92.5);
    expect(s.province.values.satisfactionRate).toBe(92);
    expect(s.generatedAt).toBe(AT.toISOString());
  });

  it('all 14 Liaoning cities are listed with their names, also those without a case (无数据, not 0 %)', () => {
    const s = buildSnapshot('2026-11', [row('city', '210100', { dispatched: 3 })], AT);
    expect(s.cities).toHaveLength(14);
    expect(s.cities[0]).toMatchObject({ id: '210100', name: '沈阳市' });
    const dalian = s.cities.find((c) => c.id === '210200')!;
    expect(dalian.name).toBe('大连市');
    expect(dalian.values.satisfactionRate).toBeNull();
  });

  it('a city code the events carry that is not a Liaoning city is still listed, named as unknown', () => {
    const s = buildSnapshot('2026-11', [row('city', '999900', { dispatched: 1 })], AT);
    expect(s.cities.at(-1)).toMatchObject({ id: '999900', name: '未知城市（999900）' });
    expect(s.province.counts.dispatched).toBe(1);
  });

  it('an authority shows the area its registry id names (AU + GB/T 2260 code)', () => {
    const s = buildSnapshot('2026-11', [row('authority', 'AU210102', { dispatched: 1 }), row('authority', 'AU-X', { dispatched: 1 })], AT);
    expect(byId(s, 'AU210102').name).toBe('沈阳市和平区');
    expect(byId(s, 'AU-X').name).toBe('');
  });
});

describe('rankings: by each indicator, among units with at least 10 dispatched cases', () => {
  const rows = [
    company('HC0001', 20, 10, 9), // 90.0 %
    company('HC0002', 20, 10, 10), // 100 %
    company('HC0003', 20, 10, 9), // 90.0 % (tie with HC0001)
    company('HC0004', 9, 9, 9), // 100 % but only 9 dispatched: not ranked
    company('HC0005', 20, 0, 0), // no rating: no satisfaction rank
  ];
  const s = buildSnapshot('2026-11', rows, AT);

  it('equal values share a rank (1, 2, 2): competition ranking', () => {
    expect(byId(s, 'HC0002').ranks.satisfactionRate).toBe(1);
    expect(byId(s, 'HC0001').ranks.satisfactionRate).toBe(2);
    expect(byId(s, 'HC0003').ranks.satisfactionRate).toBe(2);
  });

  it('a unit under the minimum is listed with its figures but ranked by nothing', () => {
    const small = byId(s, 'HC0004');
    expect(small.eligible).toBe(false);
    expect(small.values.satisfactionRate).toBe(100);
    expect(Object.values(small.ranks).every((r) => r === null)).toBe(true);
  });

  it('a unit without ratings has no satisfaction rank, but ranks by the other indicators', () => {
    expect(byId(s, 'HC0005').ranks.satisfactionRate).toBeNull();
    expect(byId(s, 'HC0005').ranks.completionRate).toBe(1);
  });

  it('handling days rank fewer-first; rates rank higher-first', () => {
    const t = buildSnapshot('2026-11', [company('HC0001', 10, 0, 0, { feedbackDaysSum: 10 }), company('HC0002', 10, 0, 0, { feedbackDaysSum: 30 })], AT);
    expect(byId(t, 'HC0001').ranks.handlingDays).toBe(1);
    expect(byId(t, 'HC0002').ranks.handlingDays).toBe(2);
  });

  it('companies are listed in satisfaction-rank order, the unranked after them', () => {
    expect(s.companies.map((u) => u.id)).toEqual(['HC0002', 'HC0001', 'HC0003', 'HC0005', 'HC0004']);
  });

  it('the bulletin names the ranking rule with its threshold', () => {
    expect(s.rules.minDispatchedForRanking).toBe(10);
    expect(s.rules.text.join('')).toContain('不少于 10 件');
    const custom = buildSnapshot('2026-11', rows, AT, { minDispatchedForRanking: 5, listSize: { company: 10, authority: 5 } });
    expect(byId(custom, 'HC0004').ranks.satisfactionRate).toBe(1);
    expect(custom.rules.text.join('')).toContain('不少于 5 件');
  });
});

describe('红榜/黑榜: top and bottom by satisfaction among eligible units', () => {
  const many = Array.from({ length: 30 }, (_, i) => company(`HC${String(i + 1).padStart(4, '0')}`, 20, 100, 70 + i)); // 70 % … 99 %
  const s = buildSnapshot('2026-11', many, AT);

  it('红榜 holds the 10 best companies, best first; 黑榜 the 10 worst, worst first', () => {
    expect(s.redList.company.map((x) => x.satisfactionRate)).toEqual([99, 98, 97, 96, 95, 94, 93, 92, 91, 90]);
    expect(s.blackList.company.map((x) => x.satisfactionRate)).toEqual([70, 71, 72, 73, 74, 75, 76, 77, 78, 79]);
    expect(s.redList.company[0]).toMatchObject({ position: 1, id: 'HC0030', dispatched: 20, rated: 100 });
  });

  it('a unit is never on both lists: with 5 eligible units each list takes 2', () => {
    const few = buildSnapshot('2026-11', many.slice(0, 5), AT);
    expect(few.redList.company.map((x) => x.id)).toEqual(['HC0005', 'HC0004']);
    expect(few.blackList.company.map((x) => x.id)).toEqual(['HC0001', 'HC0002']);
  });

  it('units under the minimum or without a satisfaction rate are on neither list', () => {
    const t = buildSnapshot('2026-11', [company('HC0001', 9, 9, 9), company('HC0002', 20, 0, 0), company('HC0003', 20, 10, 10), company('HC0004', 20, 10, 5)], AT);
    expect(t.redList.company.map((x) => x.id)).toEqual(['HC0003']);
    expect(t.blackList.company.map((x) => x.id)).toEqual(['HC0004']);
  });

  it('equal satisfaction is decided by completion rate, then on-time dispatch, feedback rate, handling days, id', () => {
    const units = buildSnapshot(
      '2026-11',
      [
        company('HC0001', 20, 10, 9, { closed: 18 }),
        company('HC0002', 20, 10, 9, { closed: 20, onTimeDispatched: 10 }),
        company('HC0003', 20, 10, 9, { closed: 20, onTimeDispatched: 20 }),
        company('HC0004', 20, 10, 9, { closed: 20, onTimeDispatched: 20 }),
      ],
      AT,
    ).companies;
    expect(redAndBlack(units, 2).red.map((x) => x.id)).toEqual(['HC0003', 'HC0004']);
    expect(redAndBlack(units, 2).black.map((x) => x.id)).toEqual(['HC0001', 'HC0002']);
  });

  it('authorities get their own lists of 5', () => {
    const authorities = Array.from({ length: 12 }, (_, i) => row('authority', `AU2101${String(i + 2).padStart(2, '0')}`, { dispatched: 50, rated: 100, satisfied: 80 + i }));
    const t = buildSnapshot('2026-11', authorities, AT);
    expect(t.redList.authority).toHaveLength(5);
    expect(t.blackList.authority).toHaveLength(5);
    expect(t.redList.authority[0].satisfactionRate).toBe(91);
  });
});
