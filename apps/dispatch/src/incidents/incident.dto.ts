import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsISO8601, IsOptional, IsString, MaxLength } from 'class-validator';
import { NoControlChars, NotBlank } from '#shared';
import type { IncidentStatus, OutageIncident } from './incident.entity.js';
import { INCIDENT_STATUS_LABELS } from './incident.entity.js';

/** An authority opens an incident for stations and/or communities of its region. */
export class OpenIncidentDto {
  @ApiProperty({ example: '和平区惠民 1 号换热站循环泵故障' })
  @MaxLength(100, { message: '事件名称（title）最多 100 字' })
  @NoControlChars('事件名称（title）')
  @NotBlank('事件名称（title）')
  @IsString({ message: '事件名称（title）必须填写' })
  title: string;

  @ApiProperty({ example: '循环泵电机烧毁' })
  @MaxLength(200, { message: '停供原因（cause）最多 200 字' })
  @NoControlChars('停供原因（cause）')
  @NotBlank('停供原因（cause）')
  @IsString({ message: '停供原因（cause）必须填写，将以短信告知受影响居民' })
  cause: string;

  @ApiPropertyOptional({ type: [String], example: ['HC0001-S1'], description: '受影响的换热站编号（其供热的小区全部纳入）' })
  @IsOptional()
  @IsString({ each: true, message: '换热站编号（stationIds）必须是文本' })
  @ArrayMaxSize(200, { message: '换热站（stationIds）一次最多 200 个' })
  @IsArray({ message: '换热站编号（stationIds）必须是数组' })
  stationIds?: string[];

  @ApiPropertyOptional({ type: [String], example: ['CM00001'], description: '受影响的小区编号' })
  @IsOptional()
  @IsString({ each: true, message: '小区编号（communityIds）必须是文本' })
  @ArrayMaxSize(2000, { message: '小区（communityIds）一次最多 2000 个' })
  @IsArray({ message: '小区编号（communityIds）必须是数组' })
  communityIds?: string[];

  @ApiProperty({ example: '2026-11-29T18:00:00+08:00', description: '预计恢复供热时间' })
  @IsISO8601({ strict: true }, { message: '预计恢复时间（expectedRestorationAt）必须是 ISO 8601 时间，例如 2026-11-29T18:00:00+08:00' })
  expectedRestorationAt: string;
}

/** Confirming a proposed incident: the cause and the expected restoration, which residents are told. */
export class ConfirmIncidentDto extends PickType(OpenIncidentDto, ['cause', 'expectedRestorationAt'] as const) {}

export class IncidentNoteDto {
  @ApiProperty({ example: '已更换循环泵，18:20 恢复供热，各楼复测 18℃ 以上' })
  @MaxLength(1000, { message: '说明（summary）最多 1000 字' })
  @NoControlChars('说明（summary）')
  @NotBlank('说明（summary）')
  @IsString({ message: '说明（summary）必须填写' })
  summary: string;
}

export class IncidentView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['proposed', 'open', 'restored', 'dismissed'] }) status: IncidentStatus;
  @ApiProperty() statusLabel: string;
  @ApiProperty() authorityId: string;
  @ApiProperty() title: string;
  @ApiProperty() cause: string;
  @ApiProperty({ type: [String] }) stationIds: string[];
  @ApiProperty({ type: [String] }) communityIds: string[];
  @ApiProperty({ type: [String] }) companyIds: string[];
  @ApiPropertyOptional() expectedRestorationAt: string | null;
  @ApiPropertyOptional({ description: '平台自动发现的依据' }) proposedReason: string | null;
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional() openedAt: string | null;
  @ApiPropertyOptional() restoredAt: string | null;
  @ApiPropertyOptional() restorationSummary: string | null;
  @ApiProperty({ description: '关联工单数' }) linkedCases: number;
  @ApiProperty({ description: '已短信告知的居民数' }) residentsNotified: number;
}

export function toIncidentView(i: OutageIncident, counts: { linkedCases: number; residentsNotified: number }): IncidentView {
  return {
    id: i.id,
    status: i.status,
    statusLabel: INCIDENT_STATUS_LABELS[i.status],
    authorityId: i.authorityId,
    title: i.title,
    cause: i.cause,
    stationIds: i.stationIds,
    communityIds: i.communityIds,
    companyIds: i.companyIds,
    expectedRestorationAt: i.expectedRestorationAt?.toISOString() ?? null,
    proposedReason: i.proposedReason,
    createdAt: i.createdAt.toISOString(),
    openedAt: i.openedAt?.toISOString() ?? null,
    restoredAt: i.restoredAt?.toISOString() ?? null,
    restorationSummary: i.restorationSummary,
    ...counts,
  };
}
