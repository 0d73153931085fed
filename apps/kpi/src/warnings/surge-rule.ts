import { CATEGORY_LABELS } from '#shared';
import type { Category } from '#shared';
import type { WarningThresholds } from '../kpi-settings.js';
import { DAY_MS, firstIndexAtOrAfter, insertByTime, MINUTE_MS, oneDecimal } from './warning-signals.js';
import type { HouseholdSignal, WarningCandidate } from './warning-signals.js';

type SurgeSubjectType = HouseholdSignal['subjectType'];

interface Entry {
  at: number;
  household: string;
  category: Category;
}

interface Subject {
  last: HouseholdSignal;
  entries: Entry[];
}

const SUBJECT_WORD: Record<SurgeSubjectType, string> = { station: '换热站', community: '小区', district: '区县' };

/**
 * 突增 surge, per station, community or district, against its own baseline:
 *   x = distinct households complaining in the last T minutes;
 *   μ = mean of the same T minutes at the same time of day on each of the previous D days;
 *   warn when x ≥ N and x ≥ R × μ.
 * N is per subject type (a district holds many stations). Days before the board's first event
 * are not in the baseline (a new board does not read silence as a quiet week); with no such day,
 * N alone applies. One household (a flat, or a case without an address) counts once in a window
 * however often it calls.
 */
export class SurgeRule {
  private readonly subjects = new Map<string, Subject>();
  private readonly windowMs: number;

  constructor(
    readonly subjectType: SurgeSubjectType,
    private readonly thresholds: WarningThresholds['surge'],
    /** The earliest time the board holds events for (history before it is unknown, not quiet). */
    private readonly historyStart: () => number,
  ) {
    this.windowMs = thresholds.windowMinutes * MINUTE_MS;
  }

  get minHouseholds(): number {
    return this.subjectType === 'district' ? this.thresholds.minHouseholdsDistrict : this.thresholds.minHouseholds;
  }

  /** Records the household and answers a candidate if the subject is surging now. */
  observe(signal: HouseholdSignal, now: number): WarningCandidate | null {
    let subject = this.subjects.get(signal.subjectId);
    if (!subject) this.subjects.set(signal.subjectId, (subject = { last: signal, entries: [] }));
    subject.last = { ...subject.last, ...definedPlace(signal) };
    insertByTime(subject.entries, { at: signal.at, household: signal.household, category: signal.category });
    // A complaint stamped a little ahead of this server's clock (clock skew) ends the window itself.
    const end = Math.max(now, signal.at);
    this.prune(subject, end);
    return this.evaluate(subject, end);
  }

  /** Subjects with entries (for the bench and tests). */
  get size(): number {
    return this.subjects.size;
  }

  private prune(subject: Subject, now: number): void {
    const keepFrom = now - this.thresholds.baselineDays * DAY_MS - this.windowMs;
    const drop = firstIndexAtOrAfter(subject.entries, keepFrom + 1);
    if (drop > 0) subject.entries.splice(0, drop);
  }

  private evaluate(subject: Subject, now: number): WarningCandidate | null {
    const current = this.households(subject.entries, now);
    const x = current.size;
    const n = this.minHouseholds;
    if (x < n) return null;
    const start = this.historyStart();
    const counts: number[] = [];
    for (let d = 1; d <= this.thresholds.baselineDays; d++) {
      const end = now - d * DAY_MS;
      if (end - this.windowMs < start) break;
      counts.push(this.households(subject.entries, end).size);
    }
    const mean = counts.length === 0 ? null : counts.reduce((a, b) => a + b, 0) / counts.length;
    const ratio = this.thresholds.ratio;
    if (mean !== null && x < ratio * mean) return null;
    return this.candidate(subject, x, current, mean, counts.length, now);
  }

  /** Distinct households with a complaint in (end − T, end], each with the category of its latest one. */
  private households(entries: Entry[], end: number): Map<string, Category> {
    const from = firstIndexAtOrAfter(entries, end - this.windowMs + 1);
    const to = firstIndexAtOrAfter(entries, end + 1);
    const seen = new Map<string, Category>();
    for (let i = from; i < to; i++) seen.set(entries[i].household, entries[i].category);
    return seen;
  }

  private candidate(subject: Subject, x: number, current: Map<string, Category>, mean: number | null, baselineDays: number, now: number): WarningCandidate {
    const s = subject.last;
    const { windowMinutes, ratio } = this.thresholds;
    const byCategory = new Map<Category, number>();
    for (const c of current.values()) byCategory.set(c, (byCategory.get(c) ?? 0) + 1);
    const breakdown = [...byCategory.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([c, k]) => `${CATEGORY_LABELS[c]} ${k} 户`)
      .join('、');
    const what = byCategory.size === 1 ? `反映${CATEGORY_LABELS[[...byCategory.keys()][0]]}` : `反映问题（${breakdown}）`;
    const times = mean === null || mean === 0 ? null : oneDecimal(x / mean);
    const days = this.thresholds.baselineDays;
    const baseline =
      mean === null
        ? `尚无近${days}日同时段的记录可比`
        : mean === 0
          ? `近${days}日同时段无人反映`
          : `为近${days}日同时段均值 ${oneDecimal(mean)} 户的 ${times} 倍`;
    const label = this.subjectType === 'station' ? s.subjectName : `${s.subjectName}（${SUBJECT_WORD[this.subjectType]}）`;
    const threshold = `阈值：至少 ${this.minHouseholds} 户${mean === null ? '' : `，且不低于均值的 ${ratio} 倍`}`;
    return {
      rule: 'surge',
      subjectType: this.subjectType,
      subjectId: s.subjectId,
      subjectName: s.subjectName,
      cityCode: s.cityCode,
      districtCode: s.districtCode,
      authorityId: s.authorityId,
      companyId: s.companyId,
      reason: `过去${windowMinutes}分钟内 ${label} 有 ${x} 户${what}，${baseline}（${threshold}）`,
      figures: {
        households: x,
        windowMinutes,
        baselineMean: mean === null ? null : oneDecimal(mean),
        baselineDays,
        times,
        minHouseholds: this.minHouseholds,
        ratio,
        topCategory: [...byCategory.entries()].sort((a, b) => b[1] - a[1])[0][0],
      },
      raisedAt: now,
    };
  }
}

/** The place fields a signal actually carries (a later signal fills what an earlier one lacked). */
function definedPlace(s: HouseholdSignal): Partial<HouseholdSignal> {
  const out: Partial<HouseholdSignal> = { subjectName: s.subjectName };
  if (s.cityCode) out.cityCode = s.cityCode;
  if (s.districtCode) out.districtCode = s.districtCode;
  if (s.authorityId) out.authorityId = s.authorityId;
  if (s.companyId) out.companyId = s.companyId;
  return out;
}
