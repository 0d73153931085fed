import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A one-time web rating link sent by SMS; only the SHA-256 of its token is kept. */
@Entity('survey_link')
export class SurveyLink {
  @PrimaryColumn('text', { name: 'token_hash' }) tokenHash: string;
  @Column('uuid', { name: 'survey_id' }) surveyId: string;
  @Column('timestamptz', { name: 'issued_at' }) issuedAt: Date;
  @Column('timestamptz', { name: 'used_at', nullable: true }) usedAt: Date | null;
}
