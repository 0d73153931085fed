import { Column, Entity, PrimaryColumn } from 'typeorm';

export type VerificationStatus = 'pending' | 'verified' | 'failed' | 'superseded';

/** One SMS code sent to one phone; only the code's keyed hash is kept. */
@Entity('phone_verification')
export class PhoneVerification {
  @PrimaryColumn('uuid') id: string;
  /** The number the code was sent to, sealed by the PhoneVault; `phoneHash` counts its codes. */
  @Column('text', { name: 'phone_enc' }) phoneEnc: string;
  @Column('text', { name: 'phone_hash' }) phoneHash: string;
  @Column('text', { name: 'code_hash' }) codeHash: string;
  @Column('text') ip: string;
  @Column('text') status: VerificationStatus;
  @Column('int') attempts: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'verified_at', nullable: true }) verifiedAt: Date | null;
}
