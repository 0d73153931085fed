import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A photo a resident or operator attached to a case (uploaded first, then named in the complaint). */
@Entity('attachment')
export class Attachment {
  @PrimaryColumn('uuid') id: string;
  @Column('text', { name: 'content_type' }) contentType: string;
  @Column('int') size: number;
  @Column('bytea', { select: false }) data: Buffer;
  /** Who uploaded it (`operator:<id>` or `resident:<blind index of the phone>`): only they can attach it. */
  @Column('text', { name: 'owner_key' }) ownerKey: string;
  @Column('uuid', { name: 'complaint_id', nullable: true }) complaintId: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
