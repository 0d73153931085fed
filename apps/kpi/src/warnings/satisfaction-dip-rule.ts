import type { WarningThresholds } from '../kpi-settings.js';
import { insertByTime, oneDecimal } from './warning-signals.js';
import type { RatingSignal, WarningCandidate } from './warning-signals.js';

/** China has had no daylight saving time since 1991: Shanghai is UTC+8 all year. */
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;
const monthOf = (t: number): string => new Date(t + SHANGHAI_OFFSET_MS).toISOString().slice(0, 7);

interface CompanyMonth {
  last: RatingSignal;
  ratings: Array<{ at: number; satisfied: boolean }>;
  surveys: Set<string>;
}

/**
 * 满意率下滑 satisfaction dip, per company: the satisfaction of its last N ratings is at least X
 * points below its month-to-date satisfaction (both counted by rating time, Asia/Shanghai month;
 * 满意 and 基本满意 are satisfied), once the month holds at least M ratings. It warns while the
 * recent ratings drag the month down, before the monthly bulletin shows it.
 */
export class SatisfactionDipRule {
  private readonly months = new Map<string, CompanyMonth>();
  private prunedFor = '';

  constructor(private readonly thresholds: WarningThresholds['satisfactionDip']) {}

  observe(signal: RatingSignal, now: number): WarningCandidate | null {
    const month = monthOf(signal.at);
    const key = `${signal.companyId}|${month}`;
    let m = this.months.get(key);
    if (!m) this.months.set(key, (m = { last: signal, ratings: [], surveys: new Set() }));
    m.last = { ...m.last, ...Object.fromEntries(Object.entries(signal).filter(([, v]) => v !== undefined)) };
    if (m.surveys.has(signal.surveyId)) return null;
    m.surveys.add(signal.surveyId);
    insertByTime(m.ratings, { at: signal.at, satisfied: signal.satisfied });
    this.forgetOldMonths(now);
    const { lastRatings, dropPoints, minMonthRatings } = this.thresholds;
    if (month !== monthOf(now) || m.ratings.length < minMonthRatings) return null;
    const rate = (rs: Array<{ satisfied: boolean }>) => (rs.filter((r) => r.satisfied).length / rs.length) * 100;
    const monthRate = rate(m.ratings);
    const recent = m.ratings.slice(-lastRatings);
    const recentRate = rate(recent);
    const drop = monthRate - recentRate;
    if (drop < dropPoints) return null;
    const s = m.last;
    return {
      rule: 'satisfaction_dip',
      subjectType: 'company',
      subjectId: s.companyId,
      subjectName: s.companyId,
      cityCode: s.cityCode,
      districtCode: s.districtCode,
      authorityId: s.authorityId,
      companyId: s.companyId,
      reason:
        `供热企业 ${s.companyId} 最近 ${recent.length} 个评价的满意率为 ${oneDecimal(recentRate).toFixed(1)}%，` +
        `本月累计为 ${oneDecimal(monthRate).toFixed(1)}%（共 ${m.ratings.length} 个评价），低了 ${oneDecimal(drop).toFixed(1)} 个百分点（阈值 ${dropPoints} 个百分点）`,
      figures: {
        recentRatings: recent.length,
        recentRate: oneDecimal(recentRate),
        monthRatings: m.ratings.length,
        monthRate: oneDecimal(monthRate),
        dropPoints: oneDecimal(drop),
        thresholdPoints: dropPoints,
        month,
      },
      raisedAt: now,
    };
  }

  /** Keeps the current and the previous month only. */
  private forgetOldMonths(now: number): void {
    const current = monthOf(now);
    if (current === this.prunedFor) return;
    this.prunedFor = current;
    const previous = monthOf(Date.parse(`${current}-01T00:00:00+08:00`) - 1);
    for (const key of this.months.keys()) {
      const month = key.slice(key.lastIndexOf('|') + 1);
      if (month !== current && month !== previous) this.months.delete(key);
    }
  }
}
