import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { SpotCheckFinding } from '#shared';

/**
 * callback_pending (the company calls the resident back) → awaiting_classification (the authority
 * judges the demand) → rectifying → resurveyed (a fresh survey went out), or → reconsideration_pending
 * (the company may apply for 复议) → reconsideration_review → reconsideration_approved (leaves the
 * satisfaction rate) | rectifying (rejected: the company must rectify after all).
 */
export const BAD_RATING_STATUSES = [
  'callback_pending',
  'awaiting_classification',
  'rectifying',
  'resurveyed',
  'reconsideration_pending',
  'reconsideration_review',
  'reconsideration_approved',
] as const;
export type BadRatingStatus = (typeof BAD_RATING_STATUSES)[number];

export const BAD_RATING_STATUS_LABELS: Record<BadRatingStatus, string> = {
  callback_pending: '待企业回访',
  awaiting_classification: '待主管单位认定诉求是否合理',
  rectifying: '整改中',
  resurveyed: '已整改，已重新征询评价',
  reconsideration_pending: '诉求不合理，待企业申请复议',
  reconsideration_review: '复议待主管单位审核',
  reconsideration_approved: '复议通过（不计入满意率）',
};

export interface CallbackRecord {
  at: string;
  outcome: 'reached' | 'not_reached';
  residentDemand: string;
  note: string | null;
  by: string;
}

export interface ReconsiderationRecord {
  appliedAt: string;
  by: string;
  reason: string;
  evidence: string;
  photoIds: string[];
}

/** 差评: the follow-up of one 不满意 rating. */
@Entity('bad_rating')
export class BadRating {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'survey_id' }) surveyId: string;
  @Column('uuid', { name: 'case_id' }) caseId: string;
  @Column('text', { name: 'case_number' }) caseNumber: string;
  @Column('text', { name: 'company_id' }) companyId: string;
  @Column('text', { name: 'authority_id' }) authorityId: string;
  @Column('text', { name: 'city_code' }) cityCode: string;
  @Column('text', { name: 'district_code' }) districtCode: string;
  @Column('text', { nullable: true }) comment: string | null;
  @Column('timestamptz', { name: 'rated_at' }) ratedAt: Date;
  @Column('text') status: BadRatingStatus;
  /** The deadline of the current step. */
  @Column('timestamptz', { name: 'due_at' }) dueAt: Date;
  @Column('jsonb', { nullable: true }) callback: CallbackRecord | null;
  @Column('text', { nullable: true }) classification: 'reasonable' | 'unreasonable' | null;
  @Column('text', { name: 'classification_note', nullable: true }) classificationNote: string | null;
  @Column('text', { name: 'classified_by', nullable: true }) classifiedBy: string | null;
  @Column('text', { name: 'rectification_summary', nullable: true }) rectificationSummary: string | null;
  @Column('jsonb', { nullable: true }) reconsideration: ReconsiderationRecord | null;
  @Column('text', { name: 'reconsideration_decision', nullable: true }) reconsiderationDecision: 'approved' | 'rejected' | null;
  @Column('text', { name: 'reconsideration_reason', nullable: true }) reconsiderationReason: string | null;
  @Column('text', { name: 'reconsideration_decided_by', nullable: true }) reconsiderationDecidedBy: string | null;
  @Column('timestamptz', { name: 'reconsideration_decided_at', nullable: true }) reconsiderationDecidedAt: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}

/** The province's check of an approved reconsideration (callback or site visit). */
@Entity('spot_check')
export class SpotCheck {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'bad_rating_id' }) badRatingId: string;
  @Column('uuid', { name: 'case_id' }) caseId: string;
  @Column('text', { name: 'company_id' }) companyId: string;
  @Column('text', { name: 'authority_id' }) authorityId: string;
  /** The month (Asia/Shanghai) of the reconsideration decisions it was drawn from. */
  @Column('text') month: string;
  @Column('timestamptz', { name: 'drawn_at' }) drawnAt: Date;
  @Column('text', { name: 'drawn_by' }) drawnBy: string;
  @Column('text', { nullable: true }) method: 'callback' | 'site_visit' | null;
  @Column('text', { nullable: true }) finding: SpotCheckFinding | null;
  @Column('text', { nullable: true }) note: string | null;
  @Column('timestamptz', { name: 'recorded_at', nullable: true }) recordedAt: Date | null;
  @Column('text', { name: 'recorded_by', nullable: true }) recordedBy: string | null;
}
