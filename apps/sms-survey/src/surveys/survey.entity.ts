import { Column, Entity, PrimaryColumn, Unique } from 'typeorm';
import type { Rating } from '#shared';

/**
 * queued: waiting because the same phone has another survey out; awaiting_reply: the one survey
 * this phone's replies go to; rated / expired / skipped_opt_out: done (expired and skipped are
 * never counted as satisfied, nor as rated). docs/surveys.md.
 */
export type SurveyStatus = 'queued' | 'awaiting_reply' | 'rated' | 'expired' | 'skipped_opt_out';

/**
 * One survey per (case, round): round 1 when the case closes, round 2, 3 … after each
 * rectification of a 不满意 rating (survey.requested). docs/surveys.md, "Rounds".
 */
@Entity('survey')
@Unique('survey_case_round', ['caseId', 'round'])
export class Survey {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'case_id' }) caseId: string;
  /** 1 after the case closed; n + 1 for the fresh survey after round n was rated 不满意 and rectified. */
  @Column('smallint', { default: 1 }) round: number;
  /** The rated survey this round follows up (null for round 1). */
  @Column('uuid', { name: 'follows_survey_id', nullable: true }) followsSurveyId: string | null;
  @Column('text', { name: 'case_number' }) caseNumber: string;
  @Column('text', { name: 'company_id' }) companyId: string;
  @Column('text', { name: 'authority_id' }) authorityId: string;
  /** The resident's number, sealed (PhoneVault): opened only to send the survey SMS. */
  @Column('text', { name: 'phone_enc' }) phoneEnc: string;
  /** Blind index of the normalised number (PhoneVault.hash): the key of the phone's queue of surveys. */
  @Column('text', { name: 'phone_hash' }) phoneHash: string;
  @Column('text') status: SurveyStatus;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'sent_at', nullable: true }) sentAt: Date | null;
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt: Date | null;
  @Column('timestamptz', { name: 'rated_at', nullable: true }) ratedAt: Date | null;
  @Column('text', { nullable: true }) rating: Rating | null;
  @Column('text', { nullable: true }) comment: string | null;
  /** The one reminder, 24 h before the window closes. */
  @Column('timestamptz', { name: 'reminded_at', nullable: true }) remindedAt: Date | null;
  @Column('text', { name: 'rated_via', nullable: true }) ratedVia: 'sms' | 'web' | null;
  /** Replies that were not one clear rating (the resident is asked again at most twice). */
  @Column('int', { name: 'unrecognised_replies', default: 0 }) unrecognisedReplies: number;
  /** When the resident was told (once) that a reply came after the window had closed. */
  @Column('timestamptz', { name: 'late_reply_answered_at', nullable: true }) lateReplyAnsweredAt: Date | null;
}
