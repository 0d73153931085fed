import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Category, Resolution } from '#shared';
import type { TemperatureSlip } from './temperature-slip.js';

/**
 * Where a case stands on the company side:
 * awaiting_manual_dispatch (the district authority's queue) → dispatched → signed (签收) → closed (办结);
 * return_requested (退回) waits for the authority's binding decision.
 */
export const DISPATCH_STATUSES = ['awaiting_manual_dispatch', 'dispatched', 'signed', 'return_requested', 'closed'] as const;
export type DispatchStatus = (typeof DISPATCH_STATUSES)[number];

/** Statuses in which a company still owes the case a result (its deadline runs). */
export const HANDLING_STATUSES: readonly DispatchStatus[] = ['dispatched', 'signed', 'return_requested'];

export const STATUS_LABELS: Record<DispatchStatus, string> = {
  awaiting_manual_dispatch: '待主管单位人工分转',
  dispatched: '已分转，待企业签收',
  signed: '企业已签收，办理中',
  return_requested: '企业申请退回，待主管单位裁定',
  closed: '已办结',
};

/** 一般 general (3 natural days) or 复杂 complex (7), set by the authority. */
export type Complexity = 'general' | 'complex';

/** How the router decided, kept with the case (method, confidence, ranked candidates). */
export interface RoutingRecord {
  method?: string;
  confidence?: number;
  candidates?: Array<{ communityId: string; name: string; companyId: string; score: number; why?: string }>;
}

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
  /**
   * The resident's number, encrypted at rest (PhoneVault.seal): the handling company calls the
   * resident and gets the full number, nobody else does (open it only for that).
   */
  @Column('text', { name: 'phone_enc' }) phoneEnc: string;
  /** Blind index of the normalised number (PhoneVault.hash): equality look-ups and counts of distinct residents. */
  @Column('text', { name: 'phone_hash' }) phoneHash: string;
  @Column('text', { name: 'contact_name', nullable: true }) contactName: string | null;
  @Column('real', { name: 'indoor_temperature_c', nullable: true }) indoorTemperatureC: number | null;
  @Column('int', { name: 'days_without_heat', nullable: true }) daysWithoutHeat: number | null;
  @Column('text') status: DispatchStatus;
  @Column('text', { name: 'company_id', nullable: true }) companyId: string | null;
  @Column('text', { name: 'authority_id' }) authorityId: string;
  @Column('text', { name: 'community_id', nullable: true }) communityId: string | null;
  @Column('text', { name: 'routing_reason' }) routingReason: string;
  @Column('jsonb', { nullable: true }) routing: RoutingRecord | null;
  @Column('text', { name: 'named_company_id', nullable: true }) namedCompanyId: string | null;
  /** The company the resident named, when it did not serve the address and was corrected. */
  @Column('text', { name: 'corrected_named_company_id', nullable: true }) correctedNamedCompanyId: string | null;
  @Column('text', { default: 'general' }) complexity: Complexity;
  @Column('timestamptz', { name: 'received_at' }) receivedAt: Date;
  /** 2 hours after intake: a case still in the manual queue then is late in dispatch. */
  @Column('timestamptz', { name: 'dispatch_limit_at' }) dispatchLimitAt: Date;
  @Column('timestamptz', { name: 'dispatch_overdue_at', nullable: true }) dispatchOverdueAt: Date | null;
  @Column('timestamptz', { name: 'dispatched_at', nullable: true }) dispatchedAt: Date | null;
  @Column('timestamptz', { name: 'due_at', nullable: true }) dueAt: Date | null;
  @Column('timestamptz', { name: 'reminded_24h_at', nullable: true }) reminded24hAt: Date | null;
  @Column('timestamptz', { name: 'reminded_4h_at', nullable: true }) reminded4hAt: Date | null;
  @Column('timestamptz', { name: 'overdue_at', nullable: true }) overdueAt: Date | null;
  @Column('timestamptz', { name: 'signed_at', nullable: true }) signedAt: Date | null;
  /** After an authority decided a return, the case cannot be returned again (its decision binds). */
  @Column('boolean', { name: 'returns_locked', default: false }) returnsLocked: boolean;
  @Column('timestamptz', { name: 'escalated_at', nullable: true }) escalatedAt: Date | null;
  @Column('text', { nullable: true }) resolution: Resolution | null;
  @Column('text', { name: 'feedback_summary', nullable: true }) feedbackSummary: string | null;
  @Column('jsonb', { name: 'temperature_slip', nullable: true }) temperatureSlip: TemperatureSlip | null;
  /** Share of the day's heating fee refunded under Shenyang's rule (0, 50 or 100), from the slip. */
  @Column('int', { name: 'refund_percent', nullable: true }) refundPercent: number | null;
  @Column('timestamptz', { name: 'closed_at', nullable: true }) closedAt: Date | null;
  /** The outage incident (大面积停供) this case belongs to, if any. */
  @Column('uuid', { name: 'incident_id', nullable: true }) incidentId: string | null;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
