import { Column, Entity, PrimaryColumn } from 'typeorm';

/** proposed (detected, awaiting the authority) → open → restored; or proposed → dismissed. */
export type IncidentStatus = 'proposed' | 'open' | 'restored' | 'dismissed';

export const INCIDENT_STATUS_LABELS: Record<IncidentStatus, string> = {
  proposed: '疑似大面积停供（待主管单位确认）',
  open: '停供处置中',
  restored: '已恢复供热',
  dismissed: '经核实非大面积停供',
};

/** 大面积停供: equipment failure cutting heat to stations or communities, handled as one incident. */
@Entity('outage_incident')
export class OutageIncident {
  @PrimaryColumn('uuid') id: string;
  @Column('text') status: IncidentStatus;
  @Column('text', { name: 'authority_id' }) authorityId: string;
  @Column('text', { name: 'city_code' }) cityCode: string;
  @Column('text', { name: 'district_code' }) districtCode: string;
  @Column('text') title: string;
  @Column('text') cause: string;
  @Column('text', { name: 'station_ids', array: true, default: () => "'{}'" }) stationIds: string[];
  /** Every community affected: those named, and all those the named stations serve. */
  @Column('text', { name: 'community_ids', array: true, default: () => "'{}'" }) communityIds: string[];
  /** The companies running the affected stations: any of them may report the restoration. */
  @Column('text', { name: 'company_ids', array: true, default: () => "'{}'" }) companyIds: string[];
  @Column('timestamptz', { name: 'expected_restoration_at', nullable: true }) expectedRestorationAt: Date | null;
  /** Why the platform proposed it (N households under one station within T minutes). */
  @Column('text', { name: 'proposed_reason', nullable: true }) proposedReason: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'opened_at', nullable: true }) openedAt: Date | null;
  @Column('text', { name: 'opened_by', nullable: true }) openedBy: string | null;
  @Column('timestamptz', { name: 'restored_at', nullable: true }) restoredAt: Date | null;
  @Column('text', { name: 'restored_by', nullable: true }) restoredBy: string | null;
  @Column('text', { name: 'restoration_summary', nullable: true }) restorationSummary: string | null;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}

@Entity('incident_case')
export class IncidentCase {
  @PrimaryColumn('uuid', { name: 'incident_id' }) incidentId: string;
  @PrimaryColumn('uuid', { name: 'case_id' }) caseId: string;
  @Column('timestamptz', { name: 'linked_at' }) linkedAt: Date;
}

/** One SMS per resident per incident, whatever the number of their cases. */
@Entity('incident_resident')
export class IncidentResident {
  @PrimaryColumn('uuid', { name: 'incident_id' }) incidentId: string;
  /** The resident's number as the case stores it (encrypted); uniqueness holds on its blind index. */
  @Column('text', { name: 'phone_enc' }) phoneEnc: string;
  @PrimaryColumn('text', { name: 'phone_hash' }) phoneHash: string;
  @Column('timestamptz', { name: 'notified_at' }) notifiedAt: Date;
}
