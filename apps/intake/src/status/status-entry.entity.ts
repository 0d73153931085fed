import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { CaseStatus } from './case-status.js';

/** One step of a case's history as the resident and the operator see it. */
@Entity('complaint_status_entry')
export class StatusEntry {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column('uuid', { name: 'complaint_id' }) complaintId: string;
  @Column('text') status: CaseStatus;
  /** Plain Chinese, shown as is. */
  @Column('text') text: string;
  @Column('timestamptz') at: Date;
}
