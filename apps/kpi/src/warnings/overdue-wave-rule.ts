import type { WarningThresholds } from '../kpi-settings.js';
import { firstIndexAtOrAfter, insertByTime, MINUTE_MS } from './warning-signals.js';
import type { OverdueSignal, WarningCandidate } from './warning-signals.js';

interface Company {
  last: OverdueSignal;
  entries: Array<{ at: number; caseId: string }>;
}

/**
 * 超期潮 overdue wave, per company: at least K distinct cases of one company passed their
 * deadline without a result within the last T minutes. Deadlines are natural days ending at 24:00,
 * so a company that lets a day's cases lapse shows up as a wave right after midnight.
 */
export class OverdueWaveRule {
  private readonly companies = new Map<string, Company>();
  private readonly windowMs: number;

  constructor(private readonly thresholds: WarningThresholds['overdueWave']) {
    this.windowMs = thresholds.windowMinutes * MINUTE_MS;
  }

  observe(signal: OverdueSignal, now: number): WarningCandidate | null {
    let company = this.companies.get(signal.companyId);
    if (!company) this.companies.set(signal.companyId, (company = { last: signal, entries: [] }));
    company.last = { ...company.last, ...Object.fromEntries(Object.entries(signal).filter(([, v]) => v !== undefined)) };
    insertByTime(company.entries, { at: signal.at, caseId: signal.caseId });
    const end = Math.max(now, signal.at); // a signal stamped ahead of this clock (skew) ends the window itself
    const drop = firstIndexAtOrAfter(company.entries, end - this.windowMs + 1);
    if (drop > 0) company.entries.splice(0, drop);
    const cases = new Set(company.entries.filter((e) => e.at <= end).map((e) => e.caseId));
    const { minCases, windowMinutes } = this.thresholds;
    if (cases.size < minCases) return null;
    const s = company.last;
    return {
      rule: 'overdue_wave',
      subjectType: 'company',
      subjectId: s.companyId,
      subjectName: s.companyId,
      cityCode: s.cityCode,
      districtCode: s.districtCode,
      authorityId: s.authorityId,
      companyId: s.companyId,
      reason: `过去${windowMinutes}分钟内 供热企业 ${s.companyId} 有 ${cases.size} 件工单超期未反馈（阈值 ${minCases} 件），请督办`,
      figures: { overdueCases: cases.size, windowMinutes, minCases },
      raisedAt: end,
    };
  }
}
