import { DAY_MS } from '../projection/case-state.js';
import type { UnitType } from '../projection/case-state.js';
import type { UnitMonth } from '../events/kpi-entities.js';
import { computeIndicators } from './indicator-formulas.js';
import type { FiveIndicators, UnitMonthCounts } from './indicator-formulas.js';

/** One unit's month: the counts and the five indicators computed from them. */
export interface UnitFigures {
  unitType: UnitType;
  unitId: string;
  counts: UnitMonthCounts;
  indicators: FiveIndicators;
}

/** The counters of a (unit, month) row; a month with no cases has all zero. */
export function countsOf(row: UnitMonth | null): UnitMonthCounts {
  return {
    dispatched: row?.dispatched ?? 0,
    onTimeDispatched: row?.onTimeDispatched ?? 0,
    withFeedback: row?.withFeedback ?? 0,
    feedbackDaysSum: (row?.feedbackMsSum ?? 0) / DAY_MS,
    closed: row?.closed ?? 0,
    rated: row?.rated ?? 0,
    satisfied: row?.satisfied ?? 0,
    basicallySatisfied: row?.basicallySatisfied ?? 0,
    dissatisfied: row?.dissatisfied ?? 0,
    approvedReconsiderations: row?.approvedReconsiderations ?? 0,
    failedSpotChecks: row?.failedSpotChecks ?? 0,
  };
}

export function figuresOf(unitType: UnitType, unitId: string, row: UnitMonth | null): UnitFigures {
  const counts = countsOf(row);
  return { unitType, unitId, counts, indicators: computeIndicators(counts) };
}
