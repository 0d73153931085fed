import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { UnitType } from '../events/kpi-entities.js';
import type { UnitMonthCounts } from '../indicators/indicator-formulas.js';

/** One unit's counters, summed over the months asked for. */
export interface UnitCountsRow {
  unitType: UnitType;
  unitId: string;
  counts: UnitMonthCounts;
}

/**
 * Where bulletins and the benchmark rating read their figures. The default reads kpi's
 * unit_month read model; a rankings service can take its place later (same shape).
 */
export interface BulletinDataSource {
  /** Every (unit type, unit) with counters in any of `months`, the counters summed over them. */
  countsFor(months: readonly string[], unitTypes?: readonly UnitType[]): Promise<UnitCountsRow[]>;
}

export const BULLETIN_DATA_SOURCE = Symbol('BULLETIN_DATA_SOURCE');

const DAY_MS = 24 * 3600 * 1000;

export const ZERO_COUNTS: UnitMonthCounts = Object.freeze({
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
});

export const COUNT_KEYS = Object.keys(ZERO_COUNTS) as Array<keyof UnitMonthCounts>;

export function addCounts(a: UnitMonthCounts, b: UnitMonthCounts): UnitMonthCounts {
  const sum = { ...a };
  for (const k of COUNT_KEYS) sum[k] = a[k] + b[k];
  return sum;
}

interface SumRow {
  unit_type: UnitType;
  unit_id: string;
  dispatched: string;
  on_time_dispatched: string;
  with_feedback: string;
  feedback_ms_sum: string;
  closed: string;
  rated: string;
  satisfied: string;
  basically_satisfied: string;
  dissatisfied: string;
  approved_reconsiderations: string;
  failed_spot_checks: string;
}

/** Reads unit_month (one grouped query, whatever the number of months); handling time is kept there in milliseconds. */
@Injectable()
export class UnitMonthBulletinDataSource implements BulletinDataSource {
  constructor(private readonly dataSource: DataSource) {}

  async countsFor(months: readonly string[], unitTypes: readonly UnitType[] = ['company', 'authority', 'city']): Promise<UnitCountsRow[]> {
    if (months.length === 0) return [];
    const rows: SumRow[] = await this.dataSource.query(
      `SELECT unit_type, unit_id,
              sum(dispatched) AS dispatched, sum(on_time_dispatched) AS on_time_dispatched,
              sum(with_feedback) AS with_feedback, sum(feedback_ms_sum) AS feedback_ms_sum,
              sum(closed) AS closed, sum(rated) AS rated, sum(satisfied) AS satisfied,
              sum(basically_satisfied) AS basically_satisfied, sum(dissatisfied) AS dissatisfied,
              sum(approved_reconsiderations) AS approved_reconsiderations, sum(failed_spot_checks) AS failed_spot_checks
         FROM unit_month
        WHERE month = ANY($1::text[]) AND unit_type = ANY($2::text[])
        GROUP BY unit_type, unit_id
        ORDER BY unit_type, unit_id`,
      [months, unitTypes],
    );
    return rows.map((r) => ({
      unitType: r.unit_type,
      unitId: r.unit_id,
      counts: {
        dispatched: Number(r.dispatched),
        onTimeDispatched: Number(r.on_time_dispatched),
        withFeedback: Number(r.with_feedback),
        feedbackDaysSum: Number(r.feedback_ms_sum) / DAY_MS,
        closed: Number(r.closed),
        rated: Number(r.rated),
        satisfied: Number(r.satisfied),
        basicallySatisfied: Number(r.basically_satisfied),
        dissatisfied: Number(r.dissatisfied),
        approvedReconsiderations: Number(r.approved_reconsiderations),
        failedSpotChecks: Number(r.failed_spot_checks),
      },
    }));
  }
}
