import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { UnitType } from '../projection/case-state.js';

export type { UnitType } from '../projection/case-state.js';

/** pg returns bigint as a string; the counters fit a JS number (whole milliseconds, < 2^53). */
const bigintAsNumber = { to: (v: number) => v, from: (v: string | number | null) => (v === null ? 0 : Number(v)) };

/** Every domain event kpi received, append-only: the figures can be rebuilt from it. */
@Entity('kpi_event')
export class KpiEvent {
  @PrimaryColumn('uuid', { name: 'message_id' }) messageId: string;
  @Column('text') type: string;
  @Column('int') version: number;
  @Column('timestamptz', { name: 'occurred_at' }) occurredAt: Date;
  @Column('jsonb') payload: Record<string, unknown>;
  @Column('timestamptz', { name: 'received_at' }) receivedAt: Date;
}

/**
 * One case as the indicators see it: `state` holds its facts (projection/case-state.ts); the
 * other columns are derived from it for queries. A case whose dispatch has not arrived yet has
 * facts but no company, authority, city or month.
 */
@Entity('kpi_case')
export class KpiCase {
  @PrimaryColumn('uuid', { name: 'case_id' }) caseId: string;
  @Column('jsonb') state: Record<string, unknown>;
  /** The final handling company (last dispatch). */
  @Column('text', { name: 'company_id', nullable: true }) companyId: string | null;
  @Column('text', { name: 'authority_id', nullable: true }) authorityId: string | null;
  @Column('text', { name: 'city_code', nullable: true }) cityCode: string | null;
  /** The month of the first dispatch (Asia/Shanghai): the case is counted in it. */
  @Column('text', { nullable: true }) month: string | null;
  @Column('timestamptz', { name: 'first_dispatched_at', nullable: true }) firstDispatchedAt: Date | null;
  /** When the final company received the case. */
  @Column('timestamptz', { name: 'dispatched_at', nullable: true }) dispatchedAt: Date | null;
  @Column('timestamptz', { name: 'feedback_at', nullable: true }) feedbackAt: Date | null;
  @Column('timestamptz', { name: 'closed_at', nullable: true }) closedAt: Date | null;
  /** The current rating (the latest survey's). */
  @Column('text', { nullable: true }) rating: string | null;
}

/** Which company was dispatched a case under which authority, in which city (from case.dispatched). */
@Entity('kpi_unit_link')
export class KpiUnitLink {
  @PrimaryColumn('text', { name: 'company_id' }) companyId: string;
  @PrimaryColumn('text', { name: 'authority_id' }) authorityId: string;
  @PrimaryColumn('text', { name: 'city_code' }) cityCode: string;
}

/** Per-(unit, month) counts, moved incrementally as events arrive; never negative, never all zero. */
@Entity('unit_month')
export class UnitMonth {
  @PrimaryColumn('text', { name: 'unit_type' }) unitType: UnitType;
  @PrimaryColumn('text', { name: 'unit_id' }) unitId: string;
  @PrimaryColumn('text') month: string;
  @Column('int') dispatched: number;
  @Column('int', { name: 'on_time_dispatched' }) onTimeDispatched: number;
  @Column('int', { name: 'with_feedback' }) withFeedback: number;
  @Column('bigint', { name: 'feedback_ms_sum', transformer: bigintAsNumber }) feedbackMsSum: number;
  @Column('int') closed: number;
  @Column('int') rated: number;
  @Column('int') satisfied: number;
  @Column('int', { name: 'basically_satisfied' }) basicallySatisfied: number;
  @Column('int') dissatisfied: number;
  @Column('int', { name: 'approved_reconsiderations' }) approvedReconsiderations: number;
  @Column('int', { name: 'failed_spot_checks' }) failedSpotChecks: number;
}
