import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { maskPhone, NoControlChars, NotBlank, SPOT_CHECK_FINDINGS } from '#shared';
import type { SpotCheckFinding } from '#shared';
import type { BadRating, SpotCheck } from './bad-rating.entity.js';
import { BAD_RATING_STATUS_LABELS } from './bad-rating.entity.js';

/** 回访: the company called the resident back after a 不满意 rating. */
export class CallbackDto {
  @ApiProperty({ enum: ['reached', 'not_reached'], description: 'reached 已联系上 / not_reached 多次联系未果' })
  @IsIn(['reached', 'not_reached'], { message: '回访结果（outcome）只能是 reached（已联系上）或 not_reached（联系未果）' })
  outcome: 'reached' | 'not_reached';

  @ApiProperty({ example: '居民要求卧室温度达到 22℃' })
  @MaxLength(1000, { message: '居民诉求（residentDemand）最多 1000 字' })
  @NoControlChars('居民诉求（residentDemand）')
  @NotBlank('居民诉求（residentDemand）')
  @IsString({ message: '居民诉求（residentDemand）必须填写：回访了解到的不满意原因' })
  residentDemand: string;

  @ApiPropertyOptional({ example: '已解释供热标准为 18℃' })
  @IsOptional()
  @MaxLength(1000, { message: '回访说明（note）最多 1000 字' })
  @NoControlChars('回访说明（note）')
  @IsString({ message: '回访说明（note）必须是文本' })
  note?: string;
}

/** The authority judges the resident's demand: reasonable → rectify; unreasonable → the company may apply for 复议. */
export class ClassifyDto {
  @ApiProperty({ enum: ['reasonable', 'unreasonable'], description: 'reasonable 诉求合理（须整改）/ unreasonable 诉求超出规定标准' })
  @IsIn(['reasonable', 'unreasonable'], { message: '认定结果（classification）只能是 reasonable（合理）或 unreasonable（不合理）' })
  classification: 'reasonable' | 'unreasonable';

  @ApiProperty({ example: '室温实测 16℃，低于 18℃ 标准，诉求合理' })
  @MaxLength(1000, { message: '认定说明（note）最多 1000 字' })
  @NoControlChars('认定说明（note）')
  @NotBlank('认定说明（note）')
  @IsString({ message: '认定说明（note）必须填写' })
  note: string;
}

export class RectificationDto {
  @ApiProperty({ example: '更换单元立管阀门，复测卧室 19℃' })
  @MaxLength(2000, { message: '整改情况（summary）最多 2000 字' })
  @NoControlChars('整改情况（summary）')
  @NotBlank('整改情况（summary）')
  @IsString({ message: '整改情况（summary）必须填写' })
  summary: string;
}

/** 复议: the company argues the demand is beyond the rules, with evidence. */
export class ReconsiderationDto {
  @ApiProperty({ example: '居民要求室温 25℃，超出 18℃ 标准' })
  @MaxLength(1000, { message: '复议理由（reason）最多 1000 字' })
  @NoControlChars('复议理由（reason）')
  @NotBlank('复议理由（reason）')
  @IsString({ message: '复议理由（reason）必须填写' })
  reason: string;

  @ApiProperty({ example: '11 月 30 日入户测温：卧室 19.2℃、客厅 20.1℃，居民签字确认' })
  @MaxLength(2000, { message: '证据说明（evidence）最多 2000 字' })
  @NoControlChars('证据说明（evidence）')
  @NotBlank('证据说明（evidence）')
  @IsString({ message: '证据说明（evidence）必须填写：测温记录、沟通记录等' })
  evidence: string;

  @ApiPropertyOptional({ type: [String], description: '证据照片编号（POST /api/v1/cases/{caseId}/evidence 上传）' })
  @IsOptional()
  @IsUUID('4', { each: true, message: '证据照片（photoIds）必须是上传照片时返回的编号' })
  @ArrayMaxSize(10, { message: '证据照片（photoIds）最多 10 张' })
  @IsArray({ message: '证据照片（photoIds）必须是数组' })
  photoIds?: string[];
}

export class ReconsiderationDecisionDto {
  @ApiProperty({ enum: ['approve', 'reject'], description: 'approve 通过（不计入满意率）/ reject 驳回（企业须整改）' })
  @IsIn(['approve', 'reject'], { message: '审核结果（decision）只能是 approve（通过）或 reject（驳回）' })
  decision: 'approve' | 'reject';

  @ApiProperty({ example: '测温记录完整，居民诉求超出标准，复议通过' })
  @MaxLength(1000, { message: '审核理由（reason）最多 1000 字' })
  @NoControlChars('审核理由（reason）')
  @NotBlank('审核理由（reason）')
  @IsString({ message: '审核理由（reason）必须填写' })
  reason: string;
}

export class DrawSpotChecksDto {
  @ApiProperty({ example: '2026-11', description: '抽查哪个月（北京时间）审核通过的复议' })
  @Matches(/^\d{4}-(0[1-9]|1[0-2])$/, { message: '月份（month）格式为 YYYY-MM，例如 2026-11' })
  month: string;

  @ApiProperty({ example: 10, description: '抽取件数（1–200）' })
  @Min(1, { message: '抽取件数（size）至少 1 件' })
  @Max(200, { message: '抽取件数（size）最多 200 件' })
  @IsInt({ message: '抽取件数（size）必须是整数' })
  size: number;
}

export class SpotCheckResultDto {
  @ApiProperty({ enum: ['callback', 'site_visit'], description: 'callback 电话回访 / site_visit 实地核查' })
  @IsIn(['callback', 'site_visit'], { message: '核查方式（method）只能是 callback（电话回访）或 site_visit（实地核查）' })
  method: 'callback' | 'site_visit';

  @ApiProperty({ enum: SPOT_CHECK_FINDINGS, description: 'confirmed 属实 / not_done 不办结 / closed_over_head 被办结 / faked 假办结（后三者扣申请单位满意率 1 个百分点）' })
  @IsIn(SPOT_CHECK_FINDINGS, { message: `核查结论（finding）只能是：${SPOT_CHECK_FINDINGS.join('、')}` })
  finding: SpotCheckFinding;

  @ApiProperty({ example: '实地核查：居民反映问题仍未解决' })
  @MaxLength(1000, { message: '核查说明（note）最多 1000 字' })
  @NoControlChars('核查说明（note）')
  @NotBlank('核查说明（note）')
  @IsString({ message: '核查说明（note）必须填写' })
  note: string;
}

export class BadRatingView {
  @ApiProperty() id: string;
  @ApiProperty() caseId: string;
  @ApiProperty() caseNumber: string;
  @ApiProperty() companyId: string;
  @ApiProperty() authorityId: string;
  @ApiPropertyOptional({ description: '居民评价时的留言' }) comment: string | null;
  @ApiProperty() ratedAt: string;
  @ApiProperty() status: string;
  @ApiProperty() statusLabel: string;
  @ApiProperty({ description: '当前环节时限' }) dueAt: string;
  @ApiProperty({ description: '当前环节是否已超时' }) overdue: boolean;
  @ApiPropertyOptional() callback: Record<string, unknown> | null;
  @ApiPropertyOptional() classification: string | null;
  @ApiPropertyOptional() classificationNote: string | null;
  @ApiPropertyOptional() rectificationSummary: string | null;
  @ApiPropertyOptional() reconsideration: Record<string, unknown> | null;
  @ApiPropertyOptional() reconsiderationDecision: string | null;
  @ApiPropertyOptional() reconsiderationReason: string | null;
}

export class SpotCheckView {
  @ApiProperty() id: string;
  @ApiProperty() badRatingId: string;
  @ApiProperty() caseId: string;
  @ApiProperty() companyId: string;
  @ApiProperty() month: string;
  @ApiProperty() drawnAt: string;
  @ApiPropertyOptional() method: string | null;
  @ApiPropertyOptional() finding: string | null;
  @ApiPropertyOptional() note: string | null;
  @ApiPropertyOptional() recordedAt: string | null;
}

export function toBadRatingView(b: BadRating, now: Date): BadRatingView {
  const settled = b.status === 'resurveyed' || b.status === 'reconsideration_approved';
  return {
    id: b.id,
    caseId: b.caseId,
    caseNumber: b.caseNumber,
    companyId: b.companyId,
    authorityId: b.authorityId,
    comment: b.comment,
    ratedAt: b.ratedAt.toISOString(),
    status: b.status,
    statusLabel: BAD_RATING_STATUS_LABELS[b.status],
    dueAt: b.dueAt.toISOString(),
    overdue: !settled && b.dueAt.getTime() < now.getTime(),
    callback: b.callback ? { ...b.callback, residentDemand: maskDigits(b.callback.residentDemand) } : null,
    classification: b.classification,
    classificationNote: b.classificationNote,
    rectificationSummary: b.rectificationSummary,
    reconsideration: b.reconsideration as unknown as Record<string, unknown> | null,
    reconsiderationDecision: b.reconsiderationDecision,
    reconsiderationReason: b.reconsiderationReason,
  };
}

/** Free text typed by staff may quote a phone number: mask any 11-digit mobile in it. */
function maskDigits(text: string): string {
  return text.replace(/1\d{10}/g, (m) => maskPhone(m));
}

export function toSpotCheckView(s: SpotCheck): SpotCheckView {
  return {
    id: s.id,
    badRatingId: s.badRatingId,
    caseId: s.caseId,
    companyId: s.companyId,
    month: s.month,
    drawnAt: s.drawnAt.toISOString(),
    method: s.method,
    finding: s.finding,
    note: s.note,
    recordedAt: s.recordedAt?.toISOString() ?? null,
  };
}
