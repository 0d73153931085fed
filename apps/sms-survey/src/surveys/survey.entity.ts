import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Rating } from '#shared';

/**
 * queued: waiting because the same phone has another survey out; awaiting_reply: the one survey
 * this phone's replies go to; rated / expired: done (expired is never counted as satisfied).
 */
export type SurveyStatus = 'queued' | 'awaiting_reply' | 'rated' | 'expired';

@Entity('survey')
export class Survey {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'case_id', unique: true }) caseId: string;
  @Column('text', { name: 'case_number' }) caseNumber: string;
  @Column('text', { name: 'company_id' }) companyId: string;
  @Column('text', { name: 'authority_id' }) authorityId: string;
  @Column('text') phone: string;
  @Column('text') status: SurveyStatus;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'sent_at', nullable: true }) sentAt: Date | null;
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt: Date | null;
  @Column('timestamptz', { name: 'rated_at', nullable: true }) ratedAt: Date | null;
  @Column('text', { nullable: true }) rating: Rating | null;
  @Column('text', { nullable: true }) comment: string | null;
}
