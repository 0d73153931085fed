import { COUNTER_COLUMNS } from '../../apps/kpi/src/projection/read-model-store.js';
import type { SeasonCase } from './generator.js';
import { shanghaiMonthOfMs } from './profile.js';

/*
 * The figures a season should produce, worked out from the generator's own case scripts with the
 * counting rules of docs/kpi.md / DOMAIN.md §4 applied directly — not with kpi's reducer — so a
 * benchmark or a test can check kpi's read model against them:
 *   - a case counts once, for its final company (last dispatch) and that dispatch's authority and
 *     city, in the Asia/Shanghai month of its first dispatch;
 *   - on time: the final dispatch within 2 h of intake (the limit included); the company is not
 *     charged for the authority's own hand dispatch;
 *   - feedback: the earliest feedback, handling time = feedback − final dispatch (ms);
 *   - rating: the latest survey's; an approved reconsideration counts while that rating is 不满意;
 *   - failed spot-checks: per bad rating, charged to the company.
 */

export const ON_TIME_LIMIT_MS = 2 * 3600 * 1000;

export interface ExpectedCounters {
  dispatched: number;
  on_time_dispatched: number;
  with_feedback: number;
  feedback_ms_sum: number;
  closed: number;
  rated: number;
  satisfied: number;
  basically_satisfied: number;
  dissatisfied: number;
  approved_reconsiderations: number;
  failed_spot_checks: number;
}

export interface ExpectedUnitMonth extends ExpectedCounters {
  unit_type: 'company' | 'authority' | 'city';
  unit_id: string;
  month: string;
}

const ZERO = Object.fromEntries(COUNTER_COLUMNS.map((c) => [c, 0])) as unknown as ExpectedCounters;

/** Accumulates expected unit_month rows and unit links, one case at a time (streaming). */
export class ExpectedFigures {
  private readonly rows = new Map<string, ExpectedUnitMonth>();
  private readonly links = new Set<string>();
  cases = 0;

  add(c: SeasonCase): void {
    if (c.dispatches.length === 0) return;
    this.cases++;
    const byTime = [...c.dispatches].sort((a, b) => a.at - b.at);
    const first = byTime[0];
    const final = byTime[byTime.length - 1];
    for (const d of byTime) this.links.add(`${d.companyId}|${d.authorityId}|${d.cityCode}`);
    const month = shanghaiMonthOfMs(first.at);
    const onTime = final.at - c.receivedAt <= ON_TIME_LIMIT_MS;
    const handDispatch = final.method === 'manual' && final.previousCompanyId === undefined;
    const rated = c.surveys.filter((s) => s.ratedAt !== null).sort((a, b) => a.ratedAt! - b.ratedAt! || (a.surveyId < b.surveyId ? -1 : 1));
    const rating = rated.length > 0 ? rated[rated.length - 1].rating : null;
    const approved = c.badRatings.some((b) => b.steps.some((s) => s.step === 'reconsideration_decided' && s.approved === true));
    const failedChecks = c.badRatings.filter((b) => b.steps.some((s) => s.step === 'spot_checked' && s.finding !== 'confirmed')).length;
    const units: Array<[ExpectedUnitMonth['unit_type'], string]> = [
      ['company', final.companyId],
      ['authority', final.authorityId],
      ['city', final.cityCode],
    ];
    for (const [unitType, unitId] of units) {
      const key = `${unitType}|${unitId}|${month}`;
      let row = this.rows.get(key);
      if (!row) {
        row = { unit_type: unitType, unit_id: unitId, month, ...ZERO };
        this.rows.set(key, row);
      }
      row.dispatched++;
      if (onTime || (unitType === 'company' && handDispatch)) row.on_time_dispatched++;
      if (c.feedback) {
        row.with_feedback++;
        row.feedback_ms_sum += Math.max(0, c.feedback.at - final.at);
      }
      if (c.closedAt !== null) row.closed++;
      if (rating) {
        row.rated++;
        row[rating]++;
        if (rating === 'dissatisfied' && approved) row.approved_reconsiderations++;
      }
      if (unitType === 'company') row.failed_spot_checks += failedChecks;
    }
  }

  /** unit_month rows, sorted by unit type, unit id, month. */
  unitMonths(): ExpectedUnitMonth[] {
    return [...this.rows.values()].sort((a, b) => cmp(a.unit_type, b.unit_type) || cmp(a.unit_id, b.unit_id) || cmp(a.month, b.month));
  }

  /** kpi_unit_link rows as "company|authority|city", sorted. */
  unitLinks(): string[] {
    return [...this.links].sort();
  }

  /** Sums over company rows, per month and for the season. */
  totals(): Record<string, ExpectedCounters> {
    const out: Record<string, ExpectedCounters> = { season: { ...ZERO } };
    for (const row of this.rows.values()) {
      if (row.unit_type !== 'company') continue;
      out[row.month] ??= { ...ZERO };
      for (const k of Object.keys(ZERO) as Array<keyof ExpectedCounters>) {
        out[row.month][k] += row[k];
        out.season[k] += row[k];
      }
    }
    return out;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
