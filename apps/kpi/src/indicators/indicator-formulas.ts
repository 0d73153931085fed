/** Counts behind the five indicators for one unit and month (cases dispatched to it in that month). */
export interface UnitMonthCounts {
  dispatched: number;
  onTimeDispatched: number;
  withFeedback: number;
  feedbackDaysSum: number;
  closed: number;
  rated: number;
  satisfied: number;
  basicallySatisfied: number;
  dissatisfied: number;
  approvedReconsiderations: number;
  failedSpotChecks: number;
}

export interface Indicator {
  value: number | null;
  numerator: number;
  denominator: number;
  formula: string;
}

export interface FiveIndicators {
  feedbackRate: Indicator;
  handlingDays: Indicator;
  onTimeDispatchRate: Indicator;
  completionRate: Indicator;
  satisfactionRate: Indicator;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const percent = (n: number, d: number) => (d === 0 ? null : round1((n / d) * 100));

/** DOMAIN.md §4. A figure with nothing to divide by is null ("无数据"), never 0 % or 100 %. */
export function computeIndicators(c: UnitMonthCounts): FiveIndicators {
  const ratedBase = c.rated - c.approvedReconsiderations;
  const satisfaction = ratedBase <= 0 ? null : Math.max(0, round1(((c.satisfied + c.basicallySatisfied) / ratedBase) * 100 - c.failedSpotChecks));
  return {
    feedbackRate: {
      value: percent(c.withFeedback, c.dispatched),
      numerator: c.withFeedback,
      denominator: c.dispatched,
      formula: '反馈率 = 已反馈件数 ÷ 分转件数 × 100',
    },
    handlingDays: {
      value: c.withFeedback === 0 ? null : round1(c.feedbackDaysSum / c.withFeedback),
      numerator: round1(c.feedbackDaysSum),
      denominator: c.withFeedback,
      formula: '办件天数 = Σ(反馈时间 − 分转时间)（天） ÷ 已反馈件数',
    },
    onTimeDispatchRate: {
      value: percent(c.onTimeDispatched, c.dispatched),
      numerator: c.onTimeDispatched,
      denominator: c.dispatched,
      formula: '按时分转率 = 受理后 2 小时内到达办理企业的件数 ÷ 分转件数 × 100',
    },
    completionRate: {
      value: percent(c.closed, c.dispatched),
      numerator: c.closed,
      denominator: c.dispatched,
      formula: '办结率 = 办结件数 ÷ 分转件数 × 100',
    },
    satisfactionRate: {
      value: satisfaction,
      numerator: c.satisfied + c.basicallySatisfied,
      denominator: Math.max(0, ratedBase),
      formula: '满意率 = (满意 + 基本满意) ÷ (已评价 − 复议通过) × 100 − 抽查不合格件数 × 1',
    },
  };
}

/** The dispatch limit behind 按时分转率 (default 2 hours after intake). */
export const ON_TIME_DISPATCH_MS = 2 * 3600 * 1000;
