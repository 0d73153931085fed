import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CATEGORY_LABELS, maskPhone } from '#shared';
import type { PhoneVault } from '#shared';
import { ACTION_LABELS } from './case-log.js';
import { casePhone } from './case-phone.js';
import type { CaseAction, CaseRequest } from './case-records.entity.js';
import type { CaseDetail } from './company-cases.service.js';
import { STATUS_LABELS } from './dispatch-case.entity.js';
import type { DispatchCase } from './dispatch-case.entity.js';

export class RequestView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['return', 'extension'] }) kind: string;
  @ApiProperty() companyId: string;
  @ApiProperty() reason: string;
  @ApiPropertyOptional() requestedDays: number | null;
  @ApiProperty({ enum: ['pending', 'approved', 'rejected'] }) status: string;
  @ApiProperty() requestedAt: string;
  @ApiPropertyOptional() decidedAt: string | null;
  @ApiPropertyOptional() decisionNote: string | null;
  @ApiPropertyOptional() reassignedTo: string | null;
}

export class CaseView {
  @ApiProperty() caseId: string;
  @ApiProperty() caseNumber: string;
  @ApiProperty() status: string;
  @ApiProperty({ description: '状态（中文）' }) statusLabel: string;
  @ApiProperty() category: string;
  @ApiProperty() categoryLabel: string;
  @ApiProperty({ enum: ['general', 'complex'], description: 'general 一般（3 个自然日）/ complex 复杂（7 个自然日）' }) complexity: string;
  @ApiProperty() communityName: string;
  @ApiProperty() address: Record<string, string>;
  @ApiProperty() description: string;
  @ApiProperty({ description: '处理企业可见完整号码以便联系诉求人；其他角色为脱敏号码' }) phone: string;
  @ApiPropertyOptional() contactName: string | null;
  @ApiPropertyOptional() indoorTemperatureC: number | null;
  @ApiPropertyOptional() daysWithoutHeat: number | null;
  @ApiPropertyOptional() companyId: string | null;
  @ApiProperty() authorityId: string;
  @ApiProperty({ description: '分转依据' }) routingReason: string;
  @ApiPropertyOptional({ description: '分转方式、置信度与候选小区（候选仅主管单位和省级可见）' }) routing: Record<string, unknown> | null;
  @ApiPropertyOptional({ description: '诉求人指认但不负责该地址、已被更正的企业' }) correctedNamedCompanyId: string | null;
  @ApiProperty() receivedAt: string;
  @ApiPropertyOptional() dispatchedAt: string | null;
  @ApiPropertyOptional({ description: '办理时限（自然日，北京时间 24:00）' }) dueAt: string | null;
  @ApiPropertyOptional() signedAt: string | null;
  @ApiProperty({ description: '是否已超期' }) overdue: boolean;
  @ApiPropertyOptional() overdueAt: string | null;
  @ApiPropertyOptional({ description: '人工分转超过 2 小时的时间' }) dispatchOverdueAt: string | null;
  @ApiPropertyOptional() escalatedAt: string | null;
  @ApiPropertyOptional() resolution: string | null;
  @ApiPropertyOptional() feedbackSummary: string | null;
  @ApiPropertyOptional({ description: '测温单' }) temperatureSlip: Record<string, unknown> | null;
  @ApiPropertyOptional({ description: '按沈阳市规定应退当日热费比例（%）' }) refundPercent: number | null;
  @ApiPropertyOptional() closedAt: string | null;
}

export class ActionView {
  @ApiProperty() at: string;
  @ApiProperty() action: string;
  @ApiProperty({ description: '操作（中文）' }) label: string;
  @ApiProperty() actorRole: string;
  @ApiProperty() actorId: string;
  @ApiPropertyOptional() fromStatus: string | null;
  @ApiPropertyOptional() toStatus: string | null;
  @ApiProperty() detail: Record<string, unknown>;
}

export class CaseDetailView extends CaseView {
  @ApiProperty({ type: [ActionView], description: '办理过程（每一步：谁、何时、做了什么）' }) actions: ActionView[];
  @ApiProperty({ type: [RequestView], description: '退回与延期申请及裁定' }) requests: RequestView[];
}

export class CaseListView {
  @ApiProperty() total: number;
  @ApiProperty({ type: [CaseView] }) items: CaseView[];
}

/** The handling company sees the full phone (it calls the resident); everyone else a masked one. The number is stored encrypted: `vault` opens it. */
export function toCaseView(c: DispatchCase, viewer: 'company' | 'supervisor', vault: PhoneVault): CaseView {
  const phone = casePhone(vault, c);
  const routing = c.routing ? (viewer === 'company' ? { method: c.routing.method, confidence: c.routing.confidence } : c.routing) : null;
  return {
    caseId: c.id,
    caseNumber: c.caseNumber,
    status: c.status,
    statusLabel: STATUS_LABELS[c.status],
    category: c.category,
    categoryLabel: CATEGORY_LABELS[c.category],
    complexity: c.complexity,
    communityName: c.communityName,
    address: c.address,
    description: c.description,
    phone: viewer === 'company' ? phone : maskPhone(phone),
    contactName: c.contactName,
    indoorTemperatureC: c.indoorTemperatureC,
    daysWithoutHeat: c.daysWithoutHeat,
    companyId: c.companyId,
    authorityId: c.authorityId,
    routingReason: c.routingReason,
    routing: routing as Record<string, unknown> | null,
    correctedNamedCompanyId: c.correctedNamedCompanyId,
    receivedAt: c.receivedAt.toISOString(),
    dispatchedAt: c.dispatchedAt?.toISOString() ?? null,
    dueAt: c.dueAt?.toISOString() ?? null,
    signedAt: c.signedAt?.toISOString() ?? null,
    overdue: c.overdueAt !== null,
    overdueAt: c.overdueAt?.toISOString() ?? null,
    dispatchOverdueAt: c.dispatchOverdueAt?.toISOString() ?? null,
    escalatedAt: c.escalatedAt?.toISOString() ?? null,
    resolution: c.resolution,
    feedbackSummary: c.feedbackSummary,
    temperatureSlip: c.temperatureSlip as unknown as Record<string, unknown> | null,
    refundPercent: c.refundPercent,
    closedAt: c.closedAt?.toISOString() ?? null,
  };
}

export function toActionView(a: CaseAction): ActionView {
  return {
    at: a.at.toISOString(),
    action: a.action,
    label: ACTION_LABELS[a.action] ?? a.action,
    actorRole: a.actorRole,
    actorId: a.actorId,
    fromStatus: a.fromStatus,
    toStatus: a.toStatus,
    detail: a.detail,
  };
}

export function toRequestView(r: CaseRequest): RequestView {
  return {
    id: r.id,
    kind: r.kind,
    companyId: r.companyId,
    reason: r.reason,
    requestedDays: r.requestedDays,
    status: r.status,
    requestedAt: r.requestedAt.toISOString(),
    decidedAt: r.decidedAt?.toISOString() ?? null,
    decisionNote: r.decisionNote,
    reassignedTo: r.reassignedTo,
  };
}

export function toDetailView(d: CaseDetail, viewer: 'company' | 'supervisor', vault: PhoneVault): CaseDetailView {
  return { ...toCaseView(d.c, viewer, vault), actions: d.actions.map(toActionView), requests: d.requests.map(toRequestView) };
}
