import { describe, expect, it } from '@jest/globals';
import type { Category } from '#shared';
import type { WarningThresholds } from '../kpi-settings.js';
import { OverdueWaveRule } from './overdue-wave-rule.js';
import { SatisfactionDipRule } from './satisfaction-dip-rule.js';
import { SurgeRule } from './surge-rule.js';
import { WarningDetector } from './warning-detector.js';
import type { HouseholdSignal, OverdueSignal, RatingSignal } from './warning-signals.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
/** 2026-12-10 20:00 Asia/Shanghai. */
const NOW = Date.parse('2026-12-10T20:00:00+08:00');
const LONG_AGO = NOW - 30 * DAY;

const THRESHOLDS: WarningThresholds = {
  surge: { windowMinutes: 30, minHouseholds: 5, minHouseholdsDistrict: 20, ratio: 3, baselineDays: 7 },
  overdueWave: { windowMinutes: 60, minCases: 5 },
  satisfactionDip: { lastRatings: 20, dropPoints: 15, minMonthRatings: 40 },
  cooldownMinutes: 60,
};

function household(n: number, at: number, o: Partial<HouseholdSignal> = {}): HouseholdSignal {
  return {
    kind: 'household',
    subjectType: 'station',
    subjectId: 'ST0001',
    subjectName: '金地换热站',
    household: `room-${n}`,
    category: 'too_cold' as Category,
    at,
    cityCode: '210100',
    districtCode: '210102',
    authorityId: 'AU210102',
    companyId: 'HC0001',
    ...o,
  };
}

describe('surge: at least N households within T minutes, and at least R times the same window of the previous 7 days', () => {
  const rule = (historyStart = LONG_AGO) => new SurgeRule('station', THRESHOLDS.surge, () => historyStart);

  it('4 households in 30 minutes do not warn; the 5th does, with the reason in Chinese', () => {
    const r = rule();
    for (let i = 0; i < 4; i++) expect(r.observe(household(i, NOW - i * MIN), NOW)).toBeNull();
    const c = r.observe(household(4, NOW), NOW);
    expect(c).toMatchObject({ rule: 'surge', subjectType: 'station', subjectId: 'ST0001', cityCode: '210100', figures: { households: 5, baselineMean: 0, windowMinutes: 30 } });
    expect(c!.reason).toBe('过去30分钟内 金地换热站 有 5 户反映室温不达标，近7日同时段无人反映（阈值：至少 5 户，且不低于均值的 3 倍）');
  });

  it('one household calling five times is one household', () => {
    const r = rule();
    for (let i = 0; i < 5; i++) expect(r.observe(household(1, NOW - i * MIN), NOW)).toBeNull();
  });

  it('households older than the window do not count (30 minutes, the edge excluded)', () => {
    const r = rule();
    for (let i = 0; i < 4; i++) r.observe(household(i, NOW - 30 * MIN), NOW);
    expect(r.observe(household(9, NOW), NOW)).toBeNull();
  });

  it('a station that usually has 4 households at this hour needs 12 (3 × its mean) to warn, and the reason says how many times', () => {
    const r = rule();
    for (let d = 1; d <= 7; d++) for (let i = 0; i < 4; i++) r.observe(household(100 * d + i, NOW - d * DAY - i * MIN), NOW - d * DAY);
    for (let i = 0; i < 11; i++) expect(r.observe(household(i, NOW - i * MIN), NOW)).toBeNull();
    const c = r.observe(household(11, NOW), NOW);
    expect(c!.figures).toMatchObject({ households: 12, baselineMean: 4, times: 3, baselineDays: 7 });
    expect(c!.reason).toContain('有 12 户反映室温不达标，为近7日同时段均值 4 户的 3 倍');
  });

  it('days before the board holds events are not a quiet baseline: with none, N alone applies and the reason says so', () => {
    const r = rule(NOW - 2 * 3600 * 1000);
    for (let i = 0; i < 4; i++) r.observe(household(i, NOW), NOW);
    const c = r.observe(household(4, NOW), NOW);
    expect(c!.figures.baselineDays).toBe(0);
    expect(c!.reason).toContain('尚无近7日同时段的记录可比');
  });

  it('a district needs its own, larger number of households (20 by default)', () => {
    const r = new SurgeRule('district', THRESHOLDS.surge, () => LONG_AGO);
    const d = (n: number) => household(n, NOW, { subjectType: 'district', subjectId: '210102', subjectName: '沈阳市和平区' });
    for (let i = 0; i < 19; i++) expect(r.observe(d(i), NOW)).toBeNull();
    expect(r.observe(d(19), NOW)!.reason).toMatch(/^过去30分钟内 沈阳市和平区（区县） 有 20 户/);
  });

  it('mixed categories are listed in the reason, the most frequent first', () => {
    const r = rule();
    const cats: Category[] = ['too_cold', 'too_cold', 'too_cold', 'heating_cut_off', 'pipe_leak'];
    let c = null;
    cats.forEach((category, i) => (c = r.observe(household(i, NOW, { category }), NOW)));
    expect(c!.reason).toContain('有 5 户反映问题（室温不达标 3 户、停热 1 户、管网漏水 1 户）');
    expect(c!.figures.topCategory).toBe('too_cold');
  });

  it('complaints stamped a minute ahead of this server’s clock (clock skew) still count', () => {
    const r = rule();
    for (let i = 0; i < 4; i++) r.observe(household(i, NOW + MIN), NOW);
    expect(r.observe(household(4, NOW + MIN), NOW)).not.toBeNull();
  });

  it('an event arriving late still lands in its window', () => {
    const r = rule();
    for (let i = 1; i <= 4; i++) r.observe(household(i, NOW - i * MIN), NOW);
    expect(r.observe(household(0, NOW - 20 * MIN), NOW)).not.toBeNull();
  });
});

describe('overdue wave: at least K cases of one company overdue within T minutes', () => {
  const overdue = (caseId: string, at: number): OverdueSignal => ({ kind: 'overdue', companyId: 'HC0001', caseId, at, authorityId: 'AU210102', cityCode: '210100' });

  it('4 overdue cases do not warn; the 5th within the hour does, naming the company', () => {
    const r = new OverdueWaveRule(THRESHOLDS.overdueWave);
    for (let i = 0; i < 4; i++) expect(r.observe(overdue(`c${i}`, NOW - i * MIN), NOW)).toBeNull();
    const c = r.observe(overdue('c4', NOW), NOW);
    expect(c).toMatchObject({ rule: 'overdue_wave', subjectType: 'company', subjectId: 'HC0001', authorityId: 'AU210102', figures: { overdueCases: 5 } });
    expect(c!.reason).toBe('过去60分钟内 供热企业 HC0001 有 5 件工单超期未反馈（阈值 5 件），请督办');
  });

  it('cases overdue more than an hour apart are no wave; the same case twice is one case', () => {
    const r = new OverdueWaveRule(THRESHOLDS.overdueWave);
    for (let i = 0; i < 4; i++) r.observe(overdue(`c${i}`, NOW - 61 * MIN), NOW - 61 * MIN);
    expect(r.observe(overdue('c9', NOW), NOW)).toBeNull();
    for (let i = 0; i < 4; i++) expect(r.observe(overdue('c10', NOW), NOW)).toBeNull();
  });
});

describe('satisfaction dip: the last N ratings at least X points below the month so far', () => {
  const rating = (i: number, satisfied: boolean, at = NOW - (100 - i) * MIN): RatingSignal => ({ kind: 'rating', companyId: 'HC0001', surveyId: `s${i}`, satisfied, at, authorityId: 'AU210102' });

  it('40 satisfied ratings, then dissatisfied ones: the 6th makes the last 20 (70 %) 17 points below the month (40 ÷ 46 = 87 %)', () => {
    const r = new SatisfactionDipRule(THRESHOLDS.satisfactionDip);
    for (let i = 0; i < 40; i++) expect(r.observe(rating(i, true), NOW)).toBeNull();
    // k dissatisfied: last 20 = (20 − k) ÷ 20, month = 40 ÷ (40 + k); k = 5: 75 % vs 88.9 % (13.9 points), k = 6: 70 % vs 87.0 %.
    for (let k = 0; k < 5; k++) expect(r.observe(rating(40 + k, false), NOW)).toBeNull();
    const c = r.observe(rating(45, false), NOW);
    expect(c).toMatchObject({ rule: 'satisfaction_dip', subjectType: 'company', subjectId: 'HC0001', authorityId: 'AU210102' });
    expect(c!.figures).toMatchObject({ recentRatings: 20, recentRate: 70, monthRatings: 46, monthRate: 87, dropPoints: 17 });
    expect(c!.reason).toBe('供热企业 HC0001 最近 20 个评价的满意率为 70.0%，本月累计为 87.0%（共 46 个评价），低了 17.0 个百分点（阈值 15 个百分点）');
  });

  it('with fewer than M ratings in the month nothing is said, however bad the recent ones', () => {
    const r = new SatisfactionDipRule(THRESHOLDS.satisfactionDip);
    for (let i = 0; i < 39; i++) expect(r.observe(rating(i, i < 20), NOW)).toBeNull();
  });

  it('a rating counted twice (same survey) is one rating', () => {
    const r = new SatisfactionDipRule(THRESHOLDS.satisfactionDip);
    for (let i = 0; i < 39; i++) r.observe(rating(i, true), NOW);
    for (let i = 0; i < 10; i++) expect(r.observe(rating(39, false), NOW)).toBeNull();
  });

  it('ratings of last month do not count for this month (Asia/Shanghai months)', () => {
    const r = new SatisfactionDipRule(THRESHOLDS.satisfactionDip);
    const lastMonth = Date.parse('2026-11-30T23:30:00+08:00');
    for (let i = 0; i < 60; i++) r.observe(rating(i, true, lastMonth), NOW);
    for (let i = 60; i < 80; i++) expect(r.observe(rating(i, false), NOW)).toBeNull();
  });
});

describe('a rule does not warn twice about the same subject within the cooldown (60 minutes)', () => {
  it('the surge goes on: one warning; after the cooldown, the next household warns again', () => {
    const d = new WarningDetector(THRESHOLDS, () => LONG_AGO);
    const raised: number[] = [];
    for (let i = 0; i < 10; i++) if (d.observe(household(i, NOW), NOW)) raised.push(i);
    expect(raised).toEqual([4]);
    const later = NOW + 61 * MIN;
    for (let i = 20; i < 25; i++) if (d.observe(household(i, later), later)) raised.push(i);
    expect(raised).toEqual([4, 24]);
  });

  it('a warning stored earlier (another replica, before a restart) starts the cooldown', () => {
    const d = new WarningDetector(THRESHOLDS, () => LONG_AGO);
    d.remember({ rule: 'surge', subjectType: 'station', subjectId: 'ST0001' }, NOW - 10 * MIN);
    for (let i = 0; i < 10; i++) expect(d.observe(household(i, NOW), NOW)).toBeNull();
  });

  it('the start-up replay (emit off) teaches the rules but raises nothing', () => {
    const d = new WarningDetector(THRESHOLDS, () => LONG_AGO);
    for (let i = 0; i < 10; i++) expect(d.observe(household(i, NOW), NOW, false)).toBeNull();
    expect(d.observe(household(10, NOW), NOW)).not.toBeNull();
  });

  it('the same household count in another community is another subject', () => {
    const d = new WarningDetector(THRESHOLDS, () => LONG_AGO);
    for (let i = 0; i < 5; i++) d.observe(household(i, NOW, { subjectType: 'community', subjectId: '210102|金地小区', subjectName: '金地小区' }), NOW);
    let other = null;
    for (let i = 0; i < 5; i++) other = d.observe(household(i, NOW, { subjectType: 'community', subjectId: '210102|银河小区', subjectName: '银河小区' }), NOW) ?? other;
    expect(other).toMatchObject({ subjectId: '210102|银河小区' });
  });
});
