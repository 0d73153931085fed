import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { NoControlChars, NotBlank, RESOLUTIONS } from '#shared';
import type { Resolution } from '#shared';
import { ROOM_TYPES } from './temperature-slip.js';
import type { RoomType } from './temperature-slip.js';

export const CONTACT_OUTCOMES = ['reached', 'no_answer', 'busy', 'wrong_number', 'refused', 'visit_arranged'] as const;
export type ContactOutcome = (typeof CONTACT_OUTCOMES)[number];
export const CONTACT_OUTCOME_LABELS: Record<ContactOutcome, string> = {
  reached: '已联系上',
  no_answer: '无人接听',
  busy: '占线',
  wrong_number: '号码有误',
  refused: '拒绝沟通',
  visit_arranged: '已约定入户时间',
};

/** 联系诉求人: a call or visit attempt, successful or not. */
export class ContactAttemptDto {
  @ApiProperty({ enum: CONTACT_OUTCOMES, description: 'reached 已联系上 / no_answer 无人接听 / busy 占线 / wrong_number 号码有误 / refused 拒绝沟通 / visit_arranged 已约定入户' })
  @IsIn(CONTACT_OUTCOMES, { message: `联系结果（outcome）只能是：${CONTACT_OUTCOMES.join('、')}` })
  outcome: ContactOutcome;

  @ApiPropertyOptional({ example: '已约定明天上午 9 点入户测温' })
  @IsOptional()
  @MaxLength(500, { message: '联系说明（note）最多 500 字' })
  @NoControlChars('联系说明（note）')
  @IsString({ message: '联系说明（note）必须是文本' })
  note?: string;

  @ApiPropertyOptional({ description: '联系时间（默认为当前时间），不能晚于当前时间', example: '2026-11-29T09:30:00+08:00' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: '联系时间（at）必须是 ISO 8601 时间，例如 2026-11-29T09:30:00+08:00' })
  at?: string;
}

export const RETURN_REASONS = ['not_our_service_area', 'not_heating_related', 'owner_unclear', 'other'] as const;
export type ReturnReason = (typeof RETURN_REASONS)[number];
export const RETURN_REASON_LABELS: Record<ReturnReason, string> = {
  not_our_service_area: '不属于本企业供热范围',
  not_heating_related: '非供热问题',
  owner_unclear: '供热责任主体不明确',
  other: '其他',
};

/** 退回: the company says the case is not theirs; the authority decides, and its decision binds. */
export class ReturnRequestDto {
  @ApiProperty({ enum: RETURN_REASONS, description: 'not_our_service_area 不属于本企业供热范围 / not_heating_related 非供热问题 / owner_unclear 责任主体不明确 / other 其他' })
  @IsIn(RETURN_REASONS, { message: `退回原因类别（reasonCode）只能是：${RETURN_REASONS.join('、')}` })
  reasonCode: ReturnReason;

  @ApiProperty({ example: '该楼栋 2023 年已移交华润热力，附移交协议编号 SY-2023-118' })
  @MaxLength(1000, { message: '退回理由（reason）最多 1000 字' })
  @NoControlChars('退回理由（reason）')
  @NotBlank('退回理由（reason）')
  @IsString({ message: '退回理由（reason）必须填写，说明为何不属于本企业办理' })
  reason: string;
}

/** 延期: more natural days, granted by the authority. */
export class ExtensionRequestDto {
  @ApiProperty({ minimum: 1, maximum: 7, example: 2, description: '申请延长的自然日天数（1–7）' })
  @Min(1, { message: '延期天数（days）至少 1 天' })
  @Max(7, { message: '延期天数（days）最多 7 天' })
  @IsInt({ message: '延期天数（days）必须是整数' })
  days: number;

  @ApiProperty({ example: '需更换庭院管网阀门，备件预计 2 天后到货' })
  @MaxLength(1000, { message: '延期理由（reason）最多 1000 字' })
  @NoControlChars('延期理由（reason）')
  @NotBlank('延期理由（reason）')
  @IsString({ message: '延期理由（reason）必须填写' })
  reason: string;
}

export class RoomReadingDto {
  @ApiProperty({ example: '主卧' })
  @MaxLength(20, { message: '房间名称（room）最多 20 字' })
  @NotBlank('房间名称（room）')
  @IsString({ message: '房间名称（room）必须是文本' })
  room: string;

  @ApiProperty({ enum: ROOM_TYPES, description: 'bedroom 卧室 / living_room 客厅 / other 其他（厨房、卫生间等，不计入达标判定）' })
  @IsIn(ROOM_TYPES, { message: `房间类型（roomType）只能是：${ROOM_TYPES.join('、')}` })
  roomType: RoomType;

  @ApiProperty({ example: 16.5, description: '实测温度（℃），−20 至 40' })
  @Min(-20, { message: '实测温度（temperatureC）不能低于 −20℃，请核对读数' })
  @Max(40, { message: '实测温度（temperatureC）不能高于 40℃，请核对读数' })
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: '实测温度（temperatureC）必须是数字（℃）' })
  temperatureC: number;
}

/** 测温单: readings per room and how they were taken (室内中央、距地面 1–1.5 米、门窗关闭 30 分钟以上). */
export class TemperatureSlipDto {
  @ApiProperty({ type: [RoomReadingDto] })
  @ValidateNested({ each: true })
  @Type(() => RoomReadingDto)
  @ArrayMaxSize(20, { message: '测温读数（temperatureSlip.readings）最多 20 个房间' })
  @ArrayMinSize(1, { message: '测温单至少要有 1 个房间的读数（temperatureSlip.readings）' })
  @IsArray({ message: '测温读数（temperatureSlip.readings）必须是数组' })
  readings: RoomReadingDto[];

  @ApiProperty({ example: '2026-11-29T10:00:00+08:00' })
  @IsISO8601({ strict: true }, { message: '测温时间（temperatureSlip.measuredAt）必须是 ISO 8601 时间' })
  measuredAt: string;

  @ApiProperty({ example: '房间中央，距地面 1.2 米，门窗关闭 30 分钟以上' })
  @MaxLength(200, { message: '测温位置（temperatureSlip.measuringPoint）最多 200 字' })
  @NotBlank('测温位置（temperatureSlip.measuringPoint）')
  @IsString({ message: '测温位置（temperatureSlip.measuringPoint）必须填写' })
  measuringPoint: string;

  @ApiProperty({ example: '数字温度计 TES-1310，编号 0032' })
  @MaxLength(100, { message: '测温仪器（temperatureSlip.instrument）最多 100 字' })
  @NotBlank('测温仪器（temperatureSlip.instrument）')
  @IsString({ message: '测温仪器（temperatureSlip.instrument）必须填写' })
  instrument: string;

  @ApiProperty({ example: '张师傅（工号 1024）' })
  @MaxLength(50, { message: '测温人（temperatureSlip.measurer）最多 50 字' })
  @NotBlank('测温人（temperatureSlip.measurer）')
  @IsString({ message: '测温人（temperatureSlip.measurer）必须填写' })
  measurer: string;

  @ApiProperty({ description: '诉求人是否确认测温结果（签字或口头确认）' })
  @IsBoolean({ message: '诉求人确认（temperatureSlip.residentAcknowledged）必须是 true 或 false' })
  residentAcknowledged: boolean;

  @ApiPropertyOptional({ type: [String], description: '测温现场照片编号（先上传：POST /api/v1/cases/{caseId}/evidence）' })
  @IsOptional()
  @IsUUID('4', { each: true, message: '照片编号（temperatureSlip.photoIds）必须是上传照片时返回的编号' })
  @ArrayMaxSize(5, { message: '测温照片（temperatureSlip.photoIds）最多 5 张' })
  @IsArray({ message: '测温照片（temperatureSlip.photoIds）必须是数组' })
  photoIds?: string[];
}

/** 反馈 + 办结: the company's result; a too-cold case needs its temperature slip. */
export class SubmitFeedbackDto {
  @ApiProperty({ enum: RESOLUTIONS, description: 'fixed 问题已解决 / closed_unresolved 未能解决（须说明原因）' })
  @IsIn(RESOLUTIONS, { message: '办理结果（resolution）只能是 fixed（问题已解决）或 closed_unresolved（未能解决）' })
  resolution: Resolution;

  @ApiProperty({ example: '已入户排查，更换阀门，复测卧室 19.5℃' })
  @MaxLength(2000, { message: '办理情况（summary）最多 2000 字' })
  @NoControlChars('办理情况（summary）')
  @NotBlank('办理情况（summary）')
  @IsString({ message: '办理情况（summary）必须是文本' })
  summary: string;

  @ApiPropertyOptional({ type: TemperatureSlipDto, description: '测温单（“室温不达标”工单必填）' })
  @IsOptional()
  @ValidateNested()
  @Type(() => TemperatureSlipDto)
  @IsObject({ message: '测温单（temperatureSlip）必须是对象' })
  temperatureSlip?: TemperatureSlipDto;
}

export const ESCALATION_KINDS = ['major', 'mass'] as const;
export type EscalationKind = (typeof ESCALATION_KINDS)[number];

/** 上报: a major or mass problem goes to the authority at once. */
export class EscalateDto {
  @ApiProperty({ enum: ESCALATION_KINDS, description: 'major 重大问题 / mass 群体性问题' })
  @IsIn(ESCALATION_KINDS, { message: '上报类型（kind）只能是 major（重大问题）或 mass（群体性问题）' })
  kind: EscalationKind;

  @ApiProperty({ example: '3 号换热站循环泵故障，约 400 户停热' })
  @MaxLength(2000, { message: '上报说明（description）最多 2000 字' })
  @NoControlChars('上报说明（description）')
  @NotBlank('上报说明（description）')
  @IsString({ message: '上报说明（description）必须填写' })
  description: string;

  @ApiPropertyOptional({ example: 400, description: '影响户数' })
  @IsOptional()
  @Min(1, { message: '影响户数（householdsAffected）至少为 1' })
  @Max(1_000_000, { message: '影响户数（householdsAffected）太大，请核对' })
  @IsInt({ message: '影响户数（householdsAffected）必须是整数' })
  householdsAffected?: number;
}

/** Authority: 人工分转 to a company that serves the address. */
export class ManualDispatchDto {
  @ApiProperty({ example: 'HC0001' })
  @MaxLength(40, { message: '企业编号（companyId）太长' })
  @NotBlank('企业编号（companyId）')
  @IsString({ message: '企业编号（companyId）必须填写' })
  companyId: string;

  @ApiPropertyOptional({ example: '经核实该楼由 HC0001 供热' })
  @IsOptional()
  @MaxLength(1000, { message: '分转说明（note）最多 1000 字' })
  @NoControlChars('分转说明（note）')
  @IsString({ message: '分转说明（note）必须是文本' })
  note?: string;
}

/** Authority: the binding decision on a return. Approve → the case goes to `companyId`; reject → back to the company. */
export class ReturnDecisionDto {
  @ApiProperty({ enum: ['approve', 'reject'], description: 'approve 同意退回并改派 / reject 驳回，原企业继续办理' })
  @IsIn(['approve', 'reject'], { message: '裁定（decision）只能是 approve（同意并改派）或 reject（驳回）' })
  decision: 'approve' | 'reject';

  @ApiPropertyOptional({ example: 'HC0002', description: '同意退回时必填：改派的企业' })
  @IsOptional()
  @MaxLength(40, { message: '企业编号（companyId）太长' })
  @IsString({ message: '企业编号（companyId）必须是文本' })
  companyId?: string;

  @ApiProperty({ example: '经核实该楼仍由原企业供热，驳回退回申请' })
  @MaxLength(1000, { message: '裁定说明（note）最多 1000 字' })
  @NoControlChars('裁定说明（note）')
  @NotBlank('裁定说明（note）')
  @IsString({ message: '裁定说明（note）必须填写' })
  note: string;
}

export class ExtensionDecisionDto {
  @ApiProperty({ enum: ['approve', 'reject'] })
  @IsIn(['approve', 'reject'], { message: '决定（decision）只能是 approve（同意延期）或 reject（驳回）' })
  decision: 'approve' | 'reject';

  @ApiPropertyOptional({ example: '同意延期 2 天' })
  @IsOptional()
  @MaxLength(1000, { message: '说明（note）最多 1000 字' })
  @NoControlChars('说明（note）')
  @IsString({ message: '说明（note）必须是文本' })
  note?: string;
}

/** Authority: re-grade a case (complex: 7 natural days from dispatch). */
export class GradeDto {
  @ApiProperty({ enum: ['general', 'complex'], description: 'general 一般（3 个自然日）/ complex 复杂（7 个自然日）' })
  @IsIn(['general', 'complex'], { message: '工单类别（complexity）只能是 general（一般）或 complex（复杂）' })
  complexity: 'general' | 'complex';

  @ApiProperty({ example: '涉及庭院管网改造，认定为复杂工单' })
  @MaxLength(1000, { message: '说明（note）最多 1000 字' })
  @NoControlChars('说明（note）')
  @NotBlank('说明（note）')
  @IsString({ message: '说明（note）必须填写' })
  note: string;
}

/** Authority: 督办 — a supervision note the company must see. */
export class SupervisionDto {
  @ApiProperty({ example: '请于今日 18 时前入户测温并反馈' })
  @MaxLength(1000, { message: '督办意见（note）最多 1000 字' })
  @NoControlChars('督办意见（note）')
  @NotBlank('督办意见（note）')
  @IsString({ message: '督办意见（note）必须填写' })
  note: string;
}
