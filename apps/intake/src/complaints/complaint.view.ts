import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CATEGORY_LABELS, maskPhone } from '#shared';
import type { Complaint } from './complaint.entity.js';
import { lifecycleRank } from '../status/case-status.js';
import type { CaseStatus } from '../status/case-status.js';
import type { StatusEntry } from '../status/status-entry.entity.js';

export class StatusEntryView {
  @ApiProperty() status: string;
  @ApiProperty({ example: '已转交负责您小区的供热企业办理' }) text: string;
  @ApiProperty() at: string;
}

/** A case as operators and residents see it: phone masked, status in plain Chinese. */
export class ComplaintView {
  @ApiProperty() caseId: string;
  @ApiProperty({ example: 'GR-20261129-000123' }) caseNumber: string;
  @ApiProperty() type: string;
  @ApiProperty() category: string;
  @ApiProperty({ example: '室温不达标' }) categoryText: string;
  @ApiProperty() communityName: string;
  @ApiProperty({ example: { cityCode: '210100', districtCode: '210102', street: '南京南街 12 号', building: '3 号楼', unit: '2 单元', room: '501' } })
  address: Record<string, string>;
  @ApiProperty() description: string;
  @ApiPropertyOptional() contactName?: string;
  @ApiPropertyOptional({ description: '实测室温（℃）' }) indoorTemperatureC?: number;
  @ApiPropertyOptional() daysWithoutHeat?: number;
  @ApiProperty({ type: [String] }) photoIds: string[];
  @ApiProperty({ example: '138****5678' }) phone: string;
  @ApiProperty() status: string;
  @ApiProperty({ example: '已办结（问题已解决）' }) statusText: string;
  @ApiPropertyOptional({ enum: ['created', 'duplicate', 'replayed'], description: 'created 新建工单；duplicate 同一号码、地址、类别已有在办工单，本次已合并到该工单；replayed 同一 Idempotency-Key 的重复提交' })
  outcome?: 'created' | 'duplicate' | 'replayed';
  @ApiProperty({ description: '在办期间同一问题的重复反映次数' }) repeatCount: number;
  @ApiProperty() receivedAt: string;
  @ApiProperty({ type: [StatusEntryView] }) history: StatusEntryView[];
}

/** The structured address of a case, without empty parts. */
export function addressOf(c: Complaint): { cityCode: string; districtCode: string; street: string; building?: string; unit?: string; room?: string } {
  return {
    cityCode: c.cityCode,
    districtCode: c.districtCode,
    street: c.street,
    ...(c.building ? { building: c.building } : {}),
    ...(c.unit ? { unit: c.unit } : {}),
    ...(c.room ? { room: c.room } : {}),
  };
}

/** `phone` is the case's number in full (the caller's, or opened from `phoneEnc`): the view shows it masked. */
export function toComplaintView(c: Complaint, history: StatusEntry[], phone: string): ComplaintView {
  // Events handled concurrently may record steps of the same instant in any order (feedback and closure
  // share their time): the lifecycle breaks the tie, then the order of recording.
  const sorted = [...history].sort(
    (a, b) => a.at.getTime() - b.at.getTime() || lifecycleRank(a.status as CaseStatus) - lifecycleRank(b.status as CaseStatus) || Number(a.id) - Number(b.id),
  );
  return {
    caseId: c.id,
    caseNumber: c.caseNumber,
    type: c.type,
    category: c.category,
    categoryText: CATEGORY_LABELS[c.category],
    communityName: c.communityName,
    address: addressOf(c),
    description: c.description,
    ...(c.contactName ? { contactName: c.contactName } : {}),
    ...(c.indoorTemperatureC !== null ? { indoorTemperatureC: c.indoorTemperatureC } : {}),
    ...(c.daysWithoutHeat !== null ? { daysWithoutHeat: c.daysWithoutHeat } : {}),
    photoIds: c.photoIds,
    phone: maskPhone(phone),
    status: c.status,
    statusText: sorted.at(-1)?.text ?? '',
    repeatCount: c.repeatCount,
    receivedAt: c.receivedAt.toISOString(),
    history: sorted.map((h) => ({ status: h.status, text: h.text, at: h.at.toISOString() })),
  };
}
