import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Category, Resolution } from '#shared';

/** Where a case stands on the company side. */
export type DispatchStatus = 'awaiting_manual_dispatch' | 'dispatched' | 'signed' | 'closed';

/** A case as dispatch owns it: who handles it, by when, and what they reported. */
@Entity('dispatch_case')
export class DispatchCase {
  @PrimaryColumn('uuid') id: string;
  @Column('text', { name: 'case_number' }) caseNumber: string;
  @Column('text') category: Category;
  @Column('text', { name: 'community_name' }) communityName: string;
  @Column('text', { name: 'city_code' }) cityCode: string;
  @Column('text', { name: 'district_code' }) districtCode: string;
  @Column('jsonb') address: Record<string, string>;
  @Column('text') description: string;
  /** The handling company calls the resident: it gets the full number, nobody else does. */
  @Column('text') phone: string;
  @Column('text', { name: 'contact_name', nullable: true }) contactName: string | null;
  @Column('real', { name: 'indoor_temperature_c', nullable: true }) indoorTemperatureC: number | null;
  @Column('int', { name: 'days_without_heat', nullable: true }) daysWithoutHeat: number | null;
  @Column('text') status: DispatchStatus;
  @Column('text', { name: 'company_id', nullable: true }) companyId: string | null;
  @Column('text', { name: 'authority_id' }) authorityId: string;
  @Column('text', { name: 'community_id', nullable: true }) communityId: string | null;
  @Column('text', { name: 'routing_reason' }) routingReason: string;
  @Column('text', { name: 'named_company_id', nullable: true }) namedCompanyId: string | null;
  @Column('timestamptz', { name: 'received_at' }) receivedAt: Date;
  @Column('timestamptz', { name: 'dispatched_at', nullable: true }) dispatchedAt: Date | null;
  @Column('timestamptz', { name: 'due_at', nullable: true }) dueAt: Date | null;
  @Column('timestamptz', { name: 'signed_at', nullable: true }) signedAt: Date | null;
  @Column('text', { nullable: true }) resolution: Resolution | null;
  @Column('text', { name: 'feedback_summary', nullable: true }) feedbackSummary: string | null;
  @Column('timestamptz', { name: 'closed_at', nullable: true }) closedAt: Date | null;
}
