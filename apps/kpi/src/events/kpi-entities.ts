import { Column, Entity, PrimaryColumn } from 'typeorm';

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

/** The facts of one case that the indicators need; its month is the month it was dispatched in. */
@Entity('kpi_case')
export class KpiCase {
  @PrimaryColumn('uuid', { name: 'case_id' }) caseId: string;
  @Column('text', { name: 'company_id' }) companyId: string;
  @Column('text', { name: 'authority_id' }) authorityId: string;
  @Column('text', { name: 'city_code' }) cityCode: string;
  @Column('text') month: string;
  @Column('timestamptz', { name: 'dispatched_at' }) dispatchedAt: Date;
  @Column('timestamptz', { name: 'feedback_at', nullable: true }) feedbackAt: Date | null;
  @Column('timestamptz', { name: 'closed_at', nullable: true }) closedAt: Date | null;
  @Column('text', { nullable: true }) rating: string | null;
}

export type UnitType = 'company' | 'authority' | 'city';

/** Per-(unit, month) counts, updated incrementally as events arrive. */
@Entity('unit_month')
export class UnitMonth {
  @PrimaryColumn('text', { name: 'unit_type' }) unitType: UnitType;
  @PrimaryColumn('text', { name: 'unit_id' }) unitId: string;
  @PrimaryColumn('text') month: string;
  @Column('int') dispatched: number;
  @Column('int', { name: 'on_time_dispatched' }) onTimeDispatched: number;
  @Column('int', { name: 'with_feedback' }) withFeedback: number;
  @Column('double precision', { name: 'feedback_days_sum' }) feedbackDaysSum: number;
  @Column('int') closed: number;
  @Column('int') rated: number;
  @Column('int') satisfied: number;
  @Column('int', { name: 'basically_satisfied' }) basicallySatisfied: number;
  @Column('int') dissatisfied: number;
  @Column('int', { name: 'approved_reconsiderations' }) approvedReconsiderations: number;
  @Column('int', { name: 'failed_spot_checks' }) failedSpotChecks: number;
}
