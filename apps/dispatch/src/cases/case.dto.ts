import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { maskPhone, RESOLUTIONS } from '#shared';
import type { Resolution } from '#shared';
import type { DispatchCase } from './dispatch-case.entity.js';

/** 反馈 the company's result. */
export class SubmitFeedbackDto {
  @ApiProperty({ enum: RESOLUTIONS, description: 'fixed 问题已解决 / closed_unresolved 未能解决（须说明原因）' })
  @IsIn(RESOLUTIONS, { message: '办理结果（resolution）只能是 fixed（问题已解决）或 closed_unresolved（未能解决）' })
  resolution: Resolution;

  @ApiProperty({ example: '已入户排查，更换阀门，复测卧室 19.5℃' })
  @MaxLength(2000, { message: '办理情况（summary）最多 2000 字' })
  @IsNotEmpty({ message: '办理情况（summary）不能为空' })
  @IsString({ message: '办理情况（summary）必须是文本' })
  summary: string;
}

export class CaseView {
  @ApiProperty() caseId: string;
  @ApiProperty() caseNumber: string;
  @ApiProperty() status: string;
  @ApiProperty() category: string;
  @ApiProperty() communityName: string;
  @ApiProperty() address: Record<string, string>;
  @ApiProperty() description: string;
  @ApiProperty({ description: '处理企业可见完整号码以便联系诉求人；其他角色为脱敏号码' }) phone: string;
  @ApiPropertyOptional() companyId: string | null;
  @ApiProperty() authorityId: string;
  @ApiProperty({ description: '分转依据' }) routingReason: string;
  @ApiPropertyOptional() dispatchedAt: string | null;
  @ApiPropertyOptional({ description: '办理时限（自然日，北京时间）' }) dueAt: string | null;
  @ApiPropertyOptional() resolution: string | null;
}

export function toCaseView(c: DispatchCase, fullPhone: boolean): CaseView {
  return {
    caseId: c.id,
    caseNumber: c.caseNumber,
    status: c.status,
    category: c.category,
    communityName: c.communityName,
    address: c.address,
    description: c.description,
    phone: fullPhone ? c.phone : maskPhone(c.phone),
    companyId: c.companyId,
    authorityId: c.authorityId,
    routingReason: c.routingReason,
    dispatchedAt: c.dispatchedAt?.toISOString() ?? null,
    dueAt: c.dueAt?.toISOString() ?? null,
    resolution: c.resolution,
  };
}
