import type { FiveIndicators } from '../indicators/indicator-formulas.js';
import type { UnitFigures } from '../indicators/unit-figures.js';

/*
 * Rankings and the red/black list (红榜/黑榜), pure functions over a month's unit figures.
 * See docs/kpi.md for the rules with examples.
 */

export const INDICATOR_KEYS = ['satisfactionRate', 'completionRate', 'feedbackRate', 'onTimeDispatchRate', 'handlingDays'] as const satisfies ReadonlyArray<keyof FiveIndicators>;
export type IndicatorKey = (typeof INDICATOR_KEYS)[number];

export const INDICATOR_LABELS: Record<IndicatorKey, string> = {
  satisfactionRate: '满意率',
  completionRate: '办结率',
  feedbackRate: '反馈率',
  onTimeDispatchRate: '按时分转率',
  handlingDays: '办件天数',
};

/** Rates: higher is better. Handling days: fewer is better. */
export function lowerIsBetter(indicator: IndicatorKey): boolean {
  return indicator === 'handlingDays';
}

/** Better first; a figure with no data (null) after every figure. */
function compareBy(indicator: IndicatorKey, a: UnitFigures, b: UnitFigures): number {
  const x = a.indicators[indicator].value;
  const y = b.indicators[indicator].value;
  if (x === y) return 0;
  if (x === null) return 1;
  if (y === null) return -1;
  return lowerIsBetter(indicator) ? x - y : y - x;
}

export interface RankedUnit extends UnitFigures {
  /** 1 for the best; equal figures share a rank (1, 2, 2, 4); null when the unit has no figure. */
  rank: number | null;
  value: number | null;
}

/** Every unit sorted by one indicator (ties in unit id order), with its rank. */
export function rankBy(units: UnitFigures[], indicator: IndicatorKey): RankedUnit[] {
  const sorted = [...units].sort((a, b) => compareBy(indicator, a, b) || (a.unitId < b.unitId ? -1 : a.unitId > b.unitId ? 1 : 0));
  const ranked: RankedUnit[] = [];
  sorted.forEach((u, i) => {
    const value = u.indicators[indicator].value;
    const previous = ranked[i - 1];
    const rank = value === null ? null : previous && previous.value === value ? previous.rank : i + 1;
    ranked.push({ ...u, rank, value });
  });
  return ranked;
}

/**
 * The order of the red/black list: 满意率 first (the headline figure of the bulletin); equal
 * satisfaction is decided by 办结率, then 按时分转率, then 反馈率, then 办件天数 (fewer is better),
 * then by unit id so the list is the same on every call.
 */
export const RED_BLACK_ORDER: IndicatorKey[] = ['satisfactionRate', 'completionRate', 'onTimeDispatchRate', 'feedbackRate', 'handlingDays'];

export function compareForRedBlack(a: UnitFigures, b: UnitFigures): number {
  for (const indicator of RED_BLACK_ORDER) {
    const c = compareBy(indicator, a, b);
    if (c !== 0) return c;
  }
  return a.unitId < b.unitId ? -1 : a.unitId > b.unitId ? 1 : 0;
}

export interface ListedUnit extends UnitFigures {
  /** Place on its list: 红榜 1 = best, 黑榜 1 = worst. */
  place: number;
}

export interface InsufficientUnit extends UnitFigures {
  reason: string;
}

export interface RedBlackList {
  red: ListedUnit[];
  black: ListedUnit[];
  /** 样本不足: listed, never ranked. */
  insufficient: InsufficientUnit[];
}

/**
 * 红榜 the best `size`, 黑榜 the worst `size` among units with enough cases (at least
 * `minDispatched` dispatched in the month and a satisfaction rate to compare). A unit is never on
 * both lists: with fewer than 2 × size eligible units each list takes half of them (rounded down).
 */
export function redBlackList(units: UnitFigures[], size: number, minDispatched: number): RedBlackList {
  const insufficient: InsufficientUnit[] = [];
  const eligible: UnitFigures[] = [];
  for (const u of units) {
    if (u.counts.dispatched < minDispatched) {
      insufficient.push({ ...u, reason: `样本不足：当月分转 ${u.counts.dispatched} 件，少于 ${minDispatched} 件` });
    } else if (u.indicators.satisfactionRate.value === null) {
      insufficient.push({ ...u, reason: '样本不足：当月没有可计入满意率的评价' });
    } else {
      eligible.push(u);
    }
  }
  eligible.sort(compareForRedBlack);
  const k = Math.min(size, Math.floor(eligible.length / 2));
  insufficient.sort((a, b) => b.counts.dispatched - a.counts.dispatched || (a.unitId < b.unitId ? -1 : a.unitId > b.unitId ? 1 : 0));
  return {
    red: eligible.slice(0, k).map((u, i) => ({ ...u, place: i + 1 })),
    black: eligible
      .slice(eligible.length - k)
      .reverse()
      .map((u, i) => ({ ...u, place: i + 1 })),
    insufficient,
  };
}
