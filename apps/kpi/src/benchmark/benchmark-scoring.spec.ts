import { describe, expect, it } from '@jest/globals';
import type { AppError } from '#shared';
import { ZERO_COUNTS } from '../bulletins/bulletin-data-source.js';
import type { UnitMonthCounts } from '../indicators/indicator-formulas.js';
import { checkWeights, DEFAULT_WEIGHTS, parseSeason, rankCompanies, rateCompany, userEvaluation } from './benchmark-scoring.js';
import type { DimensionKey, DimensionScore, Weights } from './benchmark-scoring.js';

const NOW = new Date('2027-01-10T00:00:00Z');
const counts = (c: Partial<UnitMonthCounts>): UnitMonthCounts => ({ ...ZERO_COUNTS, ...c });
const score = (s: number): DimensionScore => ({ score: s, evidence: '现场检查记录', assessedBy: 'province:p', assessedAt: NOW.toISOString() });
const ENTERED: DimensionKey[] = ['basic_requirements', 'heating_quality', 'service_quality', 'facilities', 'safety', 'energy_efficiency', 'smart_heating'];
const allEntered = (s: number) => Object.fromEntries(ENTERED.map((k) => [k, score(s)])) as Record<DimensionKey, DimensionScore>;

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected a refusal');
}

describe('weights: eight dimensions per season, whole numbers, summing to 100', () => {
  it('the default weights sum to 100', () => {
    expect(Object.values(DEFAULT_WEIGHTS).reduce((a, b) => a + b, 0)).toBe(100);
    expect(checkWeights(DEFAULT_WEIGHTS)).toEqual(DEFAULT_WEIGHTS);
  });

  it('a set not summing to 100 is refused, saying the sum', () => {
    const e = refusal(() => checkWeights({ ...DEFAULT_WEIGHTS, safety: 15 }));
    expect(e).toMatchObject({ code: 'WEIGHTS_SUM', status: 400, field: 'weights' });
    expect(e.message).toContain('105');
  });

  it('a missing dimension, an unknown one or a fraction is refused, naming it', () => {
    const { smart_heating: _dropped, ...seven } = DEFAULT_WEIGHTS;
    expect(refusal(() => checkWeights(seven)).field).toBe('weights.smart_heating');
    expect(refusal(() => checkWeights({ ...DEFAULT_WEIGHTS, luck: 0 })).field).toBe('weights.luck');
    expect(refusal(() => checkWeights({ ...DEFAULT_WEIGHTS, safety: 9.5, smart_heating: 5.5 })).field).toBe('weights.safety');
  });
});

describe('seasons', () => {
  it('2026-2027 covers October 2026 to April 2027', () => {
    expect(parseSeason('2026-2027', NOW).months).toEqual(['2026-10', '2026-11', '2026-12', '2027-01', '2027-02', '2027-03', '2027-04']);
  });

  it('a season must be two adjacent years from 2020-2021 on', () => {
    expect(refusal(() => parseSeason('2026-2028', NOW))).toMatchObject({ code: 'INVALID_SEASON', field: 'season' });
    expect(refusal(() => parseSeason('2019-2020', NOW))).toMatchObject({ code: 'SEASON_OUT_OF_RANGE', field: 'season' });
    expect(refusal(() => parseSeason(undefined, NOW)).field).toBe('season');
  });
});

describe('用户评议 = the season satisfaction rate (from the data, never entered)', () => {
  it('is the satisfaction rate of the season counts', () => {
    const ue = userEvaluation(counts({ dispatched: 100, closed: 98, rated: 80, satisfied: 60, basicallySatisfied: 14, dissatisfied: 6 }));
    expect(ue).toMatchObject({ score: 92.5, satisfactionRate: 92.5, completionRate: 98, dispatched: 100, rated: 80 });
    expect(ue.note).toContain('74/80');
  });

  it('fewer than 10 dispatched cases, or no rating, give no score (the rating is incomplete)', () => {
    expect(userEvaluation(counts({ dispatched: 9, rated: 9, satisfied: 9 })).score).toBeNull();
    expect(userEvaluation(counts({ dispatched: 50 })).score).toBeNull();
  });
});

describe('total and ranking', () => {
  const season = counts({ dispatched: 100, closed: 100, rated: 100, satisfied: 90, dissatisfied: 10 }); // 90 %

  it('the total is Σ score × weight ÷ 100, one decimal', () => {
    const r = rateCompany('HC0001', DEFAULT_WEIGHTS, allEntered(80), season);
    // 80 × 80 % of the weight + 90 × 20 % (用户评议) = 64 + 18
    expect(r.total).toBe(82);
    expect(r.dimensions.find((d) => d.key === 'user_evaluation')).toMatchObject({ score: 90, weighted: 18, source: 'data' });
    expect(r.dimensions.find((d) => d.key === 'heating_quality')).toMatchObject({ score: 80, weight: 20, weighted: 16, evidence: '现场检查记录' });
  });

  it('a weighted dimension without a score leaves the rating incomplete (no total, no rank), naming what is missing', () => {
    const { safety: _none, ...six } = allEntered(90);
    const r = rateCompany('HC0002', DEFAULT_WEIGHTS, six, season);
    expect(r).toMatchObject({ total: null, complete: false, missing: ['安全管理'] });
  });

  it('a dimension weighted 0 needs no score', () => {
    const weights: Weights = { ...DEFAULT_WEIGHTS, smart_heating: 0, safety: 15 };
    const { smart_heating: _none, ...six } = allEntered(90);
    expect(rateCompany('HC0003', weights, six, season).complete).toBe(true);
  });

  it('ranks by total; equal totals by season completion rate, then satisfaction; incomplete ratings last, unranked', () => {
    const lowCompletion = counts({ dispatched: 100, closed: 90, rated: 100, satisfied: 90, dissatisfied: 10 });
    const ranked = rankCompanies([
      rateCompany('HC0001', DEFAULT_WEIGHTS, allEntered(80), lowCompletion),
      rateCompany('HC0002', DEFAULT_WEIGHTS, allEntered(80), season),
      rateCompany('HC0003', DEFAULT_WEIGHTS, allEntered(95), season),
      rateCompany('HC0004', DEFAULT_WEIGHTS, {}, season),
      rateCompany('HC0005', DEFAULT_WEIGHTS, allEntered(80), season),
    ]);
    expect(ranked.map((r) => [r.companyId, r.rank, r.total])).toEqual([
      ['HC0003', 1, 94],
      ['HC0002', 2, 82],
      ['HC0005', 2, 82],
      ['HC0001', 4, 82],
      ['HC0004', null, null],
    ]);
  });
});
