import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Who to ask about a case: learnt from complaint.received, used when the case closes. */
@Entity('case_contact')
export class CaseContact {
  @PrimaryColumn('uuid', { name: 'case_id' }) caseId: string;
  @Column('text', { name: 'case_number' }) caseNumber: string;
  /** The resident's number, sealed (PhoneVault): opened only to text them. */
  @Column('text', { name: 'phone_enc' }) phoneEnc: string;
  /** Blind index of the normalised number (PhoneVault.hash). */
  @Column('text', { name: 'phone_hash' }) phoneHash: string;
}
