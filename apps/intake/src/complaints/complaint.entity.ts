import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { CaseType, Category, Channel, Rating, Resolution } from '#shared';
import type { CaseStatus } from '../status/case-status.js';

/** 工单 as intake recorded it, plus the status it has reached downstream. */
@Entity('complaint')
export class Complaint {
  @PrimaryColumn('uuid') id: string;
  @Column('text', { name: 'case_number', unique: true }) caseNumber: string;
  @Column('text') channel: Channel;
  @Column('text') type: CaseType;
  @Column('text') category: Category;
  @Column('text', { name: 'community_name' }) communityName: string;
  @Column('text', { name: 'city_code' }) cityCode: string;
  @Column('text', { name: 'district_code' }) districtCode: string;
  @Column('text') street: string;
  @Column('text', { nullable: true }) building: string | null;
  @Column('text', { nullable: true }) unit: string | null;
  @Column('text', { nullable: true }) room: string | null;
  @Column('text') description: string;
  /** Verified number of the resident (caller ID for hotline), sealed by the PhoneVault. Masked in every response. */
  @Column('text', { name: 'phone_enc' }) phoneEnc: string;
  /** Blind index of that number: finds a caller's cases and an open report without decrypting. */
  @Column('text', { name: 'phone_hash' }) phoneHash: string;
  @Column('text', { name: 'contact_name', nullable: true }) contactName: string | null;
  @Column('text', { name: 'named_company_id', nullable: true }) namedCompanyId: string | null;
  @Column('real', { name: 'indoor_temperature_c', nullable: true }) indoorTemperatureC: number | null;
  @Column('int', { name: 'days_without_heat', nullable: true }) daysWithoutHeat: number | null;
  /** City, district and the normalised street/building/unit/room: what "the same address" means. */
  @Column('text', { name: 'address_key' }) addressKey: string;
  @Column('double precision', { nullable: true }) latitude: number | null;
  @Column('double precision', { nullable: true }) longitude: number | null;
  @Column('uuid', { name: 'photo_ids', array: true, default: () => "'{}'" }) photoIds: string[];
  /** How often the same resident reported the same problem while this case was open. */
  @Column('int', { name: 'repeat_count', default: 0 }) repeatCount: number;
  @Column('text', { name: 'recorded_by' }) recordedBy: string;
  @Column('text', { name: 'idempotency_key', nullable: true }) idempotencyKey: string | null;
  @Column('text') status: CaseStatus;
  @Column('text', { nullable: true }) resolution: Resolution | null;
  @Column('text', { name: 'company_id', nullable: true }) companyId: string | null;
  @Column('text', { nullable: true }) rating: Rating | null;
  @Column('timestamptz', { name: 'received_at' }) receivedAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
