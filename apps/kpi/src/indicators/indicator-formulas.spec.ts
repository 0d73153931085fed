import { describe, expect, it } from '@jest/globals';
import { computeIndicators } from './indicator-formulas.js';
import type { UnitMonthCounts } from './indicator-formulas.js';

/*
 * DOMAIN.md §4: five indicators per unit and month. Rates are percentages with one decimal,
 * handling days a mean with one decimal; a figure with nothing to divide by is null (无数据),
 * never 0 % or 100 %.
 */
const NONE: UnitMonthCounts = {
  dispatched: 0,
  onTimeDispatched: 0,
  withFeedback: 0,
  feedbackDaysSum: 0,
  closed: 0,
  rated: 0,
  satisfied: 0,
  basicallySatisfied: 0,
  dissatisfied: 0,
  approvedReconsiderations: 0,
  failedSpotChecks: 0,
};
const counts = (c: Partial<UnitMonthCounts>): UnitMonthCounts => ({ ...NONE, ...c });

/** True when x is written with at most one decimal (no floating-point tail like 63.099999999999994). */
const oneDecimal = (x: number | null) => x !== null && /^\d+(\.\d)?$/.test(String(x));

describe('反馈率 = cases with a feedback ÷ cases dispatched × 100, one decimal', () => {
  it('45 of 50 dispatched with feedback is 90.0 %', () => {
    const r = computeIndicators(counts({ dispatched: 50, withFeedback: 45 })).feedbackRate;
    expect(r).toMatchObject({ value: 90, numerator: 45, denominator: 50 });
  });

  it('2 of 3 is 66.7 % (rounded to one decimal)', () => {
    expect(computeIndicators(counts({ dispatched: 3, withFeedback: 2 })).feedbackRate.value).toBe(66.7);
  });

  it('1 of 8 is 12.5 %, 1 of 7 is 14.3 %', () => {
    expect(computeIndicators(counts({ dispatched: 8, withFeedback: 1 })).feedbackRate.value).toBe(12.5);
    expect(computeIndicators(counts({ dispatched: 7, withFeedback: 1 })).feedbackRate.value).toBe(14.3);
  });

  it('nothing dispatched gives null, not 0 % or 100 %', () => {
    expect(computeIndicators(NONE).feedbackRate).toMatchObject({ value: null, denominator: 0 });
  });
});

describe('办件天数 = mean of (feedback time − dispatch time) in days over cases with feedback, one decimal', () => {
  it('three feedbacks taking 1, 2 and 4.5 days in all (7.5) average 2.5 days', () => {
    const r = computeIndicators(counts({ dispatched: 5, withFeedback: 3, feedbackDaysSum: 7.5 })).handlingDays;
    expect(r).toMatchObject({ value: 2.5, numerator: 7.5, denominator: 3 });
  });

  it('a mean of 10 days over 3 cases is 3.3 days', () => {
    expect(computeIndicators(counts({ dispatched: 3, withFeedback: 3, feedbackDaysSum: 10 })).handlingDays.value).toBe(3.3);
  });

  it('is counted over cases with a feedback only, not over all dispatched cases', () => {
    const r = computeIndicators(counts({ dispatched: 100, withFeedback: 2, feedbackDaysSum: 3 })).handlingDays;
    expect(r.value).toBe(1.5);
  });

  it('no feedback yet gives null, even when cases were dispatched', () => {
    expect(computeIndicators(counts({ dispatched: 4 })).handlingDays.value).toBeNull();
  });
});

describe('按时分转率 = cases reaching their handling company within the limit ÷ cases dispatched × 100', () => {
  it('1,249 of 1,250 on time is 99.9 %', () => {
    const r = computeIndicators(counts({ dispatched: 1250, onTimeDispatched: 1249 })).onTimeDispatchRate;
    expect(r).toMatchObject({ value: 99.9, numerator: 1249, denominator: 1250 });
  });

  it('nothing dispatched gives null', () => {
    expect(computeIndicators(NONE).onTimeDispatchRate.value).toBeNull();
  });
});

describe('办结率 = cases closed ÷ cases dispatched × 100', () => {
  it('979 of 1,000 closed is 97.9 %', () => {
    const r = computeIndicators(counts({ dispatched: 1000, closed: 979 })).completionRate;
    expect(r).toMatchObject({ value: 97.9, numerator: 979, denominator: 1000 });
  });

  it('all closed is 100 %', () => {
    expect(computeIndicators(counts({ dispatched: 12, closed: 12 })).completionRate.value).toBe(100);
  });

  it('nothing dispatched gives null', () => {
    expect(computeIndicators(NONE).completionRate.value).toBeNull();
  });
});

describe('满意率 = (满意 + 基本满意) ÷ (rated − approved reconsiderations) × 100', () => {
  it('800 满意 + 123 基本满意 of 1,000 rated is 92.3 %', () => {
    const r = computeIndicators(counts({ rated: 1000, satisfied: 800, basicallySatisfied: 123, dissatisfied: 77 })).satisfactionRate;
    expect(r).toMatchObject({ value: 92.3, numerator: 923, denominator: 1000 });
  });

  it('基本满意 counts as satisfied: 0 满意 + 5 基本满意 of 5 is 100 %', () => {
    expect(computeIndicators(counts({ rated: 5, basicallySatisfied: 5 })).satisfactionRate.value).toBe(100);
  });

  it('不满意 does not count: 9 满意 + 1 不满意 is 90 %', () => {
    expect(computeIndicators(counts({ rated: 10, satisfied: 9, dissatisfied: 1 })).satisfactionRate.value).toBe(90);
  });

  it('nothing rated gives null', () => {
    expect(computeIndicators(counts({ dispatched: 10, closed: 10 })).satisfactionRate.value).toBeNull();
  });
});

describe('approved reconsiderations leave the satisfaction base', () => {
  it('8 satisfied of 10 rated with 2 approved reconsiderations (bad ratings found unreasonable) is 8 ÷ 8 = 100 %', () => {
    const r = computeIndicators(counts({ rated: 10, satisfied: 8, dissatisfied: 2, approvedReconsiderations: 2 })).satisfactionRate;
    expect(r).toMatchObject({ value: 100, numerator: 8, denominator: 8 });
  });

  it('90 satisfied of 100 rated with 4 approved is 93.8 % (90 ÷ 96), not 90 %', () => {
    expect(computeIndicators(counts({ rated: 100, satisfied: 90, dissatisfied: 10, approvedReconsiderations: 4 })).satisfactionRate.value).toBe(93.8);
  });

  it('when every rating was reconsidered away, nothing is left to rate: null', () => {
    const r = computeIndicators(counts({ rated: 3, dissatisfied: 3, approvedReconsiderations: 3 })).satisfactionRate;
    expect(r.value).toBeNull();
    expect(r.denominator).toBe(0);
  });
});

describe('each failed province spot-check costs 1 percentage point of the satisfaction rate', () => {
  it('92.3 % with 2 failed spot-checks is 90.3 %', () => {
    const r = computeIndicators(counts({ rated: 1000, satisfied: 923, dissatisfied: 77, failedSpotChecks: 2 })).satisfactionRate;
    expect(r.value).toBe(90.3);
  });

  it('the deduction is in points, not a share: 50 % with 1 failed is 49 %, not 49.5 %', () => {
    expect(computeIndicators(counts({ rated: 2, satisfied: 1, dissatisfied: 1, failedSpotChecks: 1 })).satisfactionRate.value).toBe(49);
  });

  it('the figure after the deduction still has one decimal: 64.1 % with 1 failed is exactly 63.1', () => {
    const r = computeIndicators(counts({ rated: 1000, satisfied: 641, dissatisfied: 359, failedSpotChecks: 1 })).satisfactionRate;
    expect(r.value).toBe(63.1);
  });

  it('deductions never leave a figure with a floating-point tail, for any rate and up to 5 failed checks', () => {
    for (let satisfied = 0; satisfied <= 1000; satisfied += 1) {
      for (let failed = 1; failed <= 5; failed++) {
        const value = computeIndicators(counts({ rated: 1000, satisfied, dissatisfied: 1000 - satisfied, failedSpotChecks: failed })).satisfactionRate.value;
        expect(oneDecimal(value)).toBe(true);
      }
    }
  });
});

describe('the satisfaction rate is never negative', () => {
  it('0.5 % with 3 failed spot-checks is 0, not −2.5', () => {
    const r = computeIndicators(counts({ rated: 200, satisfied: 1, dissatisfied: 199, failedSpotChecks: 3 })).satisfactionRate;
    expect(r.value).toBe(0);
  });

  it('more approved reconsiderations than ratings gives null and a base of 0, not a negative base', () => {
    const r = computeIndicators(counts({ rated: 1, dissatisfied: 1, approvedReconsiderations: 2 })).satisfactionRate;
    expect(r.value).toBeNull();
    expect(r.denominator).toBe(0);
  });
});

describe('every figure carries what it was computed from (recomputable from the case events)', () => {
  it('each indicator states its formula, numerator and denominator', () => {
    const all = computeIndicators(counts({ dispatched: 10, onTimeDispatched: 9, withFeedback: 8, feedbackDaysSum: 12, closed: 7, rated: 6, satisfied: 5, dissatisfied: 1 }));
    for (const indicator of Object.values(all)) {
      expect(indicator.formula.length).toBeGreaterThan(0);
      if (indicator.value !== null && indicator !== all.handlingDays) {
        expect(indicator.value).toBe(Math.round((indicator.numerator / indicator.denominator) * 1000) / 10);
      }
    }
    expect(all.handlingDays.value).toBe(Math.round((all.handlingDays.numerator / all.handlingDays.denominator) * 10) / 10);
  });
});
