import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** One step in a case's life on the dispatch side: who did what, when, from which status to which. */
@Entity('case_action')
export class CaseAction {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column('uuid', { name: 'case_id' }) caseId: string;
  @Column('timestamptz') at: Date;
  /** company / authority / province / system. */
  @Column('text', { name: 'actor_role' }) actorRole: string;
  @Column('text', { name: 'actor_id' }) actorId: string;
  @Column('text') action: string;
  @Column('text', { name: 'from_status', nullable: true }) fromStatus: string | null;
  @Column('text', { name: 'to_status', nullable: true }) toStatus: string | null;
  @Column('jsonb', { default: () => "'{}'" }) detail: Record<string, unknown>;
  /** Audit chain (apps/dispatch/src/audit): the case's previous entry's hash, null for its first. */
  @Column('text', { name: 'prev_hash', nullable: true }) prevHash: string | null;
  /** SHA-256 over prevHash and this entry's canonical content. */
  @Column('text', { nullable: true }) hash: string | null;
}

export type RequestKind = 'return' | 'extension';
export type RequestStatus = 'pending' | 'approved' | 'rejected';

/** A company's return (退回) or extension request, and the authority's decision on it. */
@Entity('case_request')
export class CaseRequest {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'case_id' }) caseId: string;
  @Column('text') kind: RequestKind;
  @Column('text', { name: 'company_id' }) companyId: string;
  @Column('text') reason: string;
  @Column('int', { name: 'requested_days', nullable: true }) requestedDays: number | null;
  @Column('text', { name: 'previous_status' }) previousStatus: string;
  @Column('text') status: RequestStatus;
  @Column('timestamptz', { name: 'requested_at' }) requestedAt: Date;
  @Column('text', { name: 'requested_by' }) requestedBy: string;
  @Column('timestamptz', { name: 'decided_at', nullable: true }) decidedAt: Date | null;
  @Column('text', { name: 'decided_by', nullable: true }) decidedBy: string | null;
  @Column('text', { name: 'decision_note', nullable: true }) decisionNote: string | null;
  @Column('text', { name: 'reassigned_to', nullable: true }) reassignedTo: string | null;
}

/** A photo the handling company took as evidence (the temperature slip, the repair). */
@Entity('evidence_photo')
export class EvidencePhoto {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'case_id' }) caseId: string;
  @Column('text', { name: 'company_id' }) companyId: string;
  @Column('text', { name: 'mime_type' }) mimeType: string;
  @Column('bytea') bytes: Buffer;
  @Column('int') size: number;
  @Column('timestamptz', { name: 'uploaded_at' }) uploadedAt: Date;
  @Column('text', { name: 'uploaded_by' }) uploadedBy: string;
}
