import { Column, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { CaseStatus } from './case-status.js';
import { Complaint } from '../complaints/complaint.entity.js';

/** One step of a case's history as the resident and the operator see it. */
@Entity('complaint_status_entry')
export class StatusEntry {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column('uuid', { name: 'complaint_id' }) complaintId: string;
  @ManyToOne(() => Complaint, (c) => c.history)
  @JoinColumn({ name: 'complaint_id' })
  complaint?: Complaint;
  @Column('text') status: CaseStatus;
  /** Plain Chinese, shown as is. */
  @Column('text') text: string;
  @Column('timestamptz') at: Date;
}
