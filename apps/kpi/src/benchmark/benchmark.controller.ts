import { Body, Controller, Get, Header, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiProperty, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsNumber, IsObject, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import type { Response } from 'express';
import { AppError, CLOCK, CurrentPrincipal, MaxDecimalPlaces, NoControlChars, NotBlank, Roles } from '#shared';
import type { Clock, Principal } from '#shared';
import { renderCompanyReportHtml } from './benchmark-html.js';
import { checkWeights, DEFAULT_WEIGHTS, DIMENSION_KEYS, DIMENSIONS, parseSeason } from './benchmark-scoring.js';
import type { DimensionKey } from './benchmark-scoring.js';
import { BenchmarkService } from './benchmark.service.js';

const DIMENSION_DOC = DIMENSIONS.map((d) => `${d.key}（${d.label}）`).join('、');

export class WeightsDto {
  @ApiProperty({ example: '2026-2027', description: '供暖季' })
  @IsString({ message: '供暖季（season）必须填写，例如 2026-2027' })
  season: string;

  @ApiProperty({ example: DEFAULT_WEIGHTS, description: `八个维度的权重（0–100 的整数，合计 100）：${DIMENSION_DOC}` })
  @IsObject({ message: '权重（weights）必须是对象，键为维度、值为权重' })
  weights: Record<string, number>;
}

export class ScoreDto {
  @ApiProperty({ enum: DIMENSION_KEYS.filter((k) => k !== 'user_evaluation'), description: '评审录入的七个维度之一（用户评议由数据计算）' })
  @IsIn(DIMENSION_KEYS, { message: `维度（dimension）只能是：${DIMENSION_DOC}` })
  dimension: DimensionKey;

  @ApiProperty({ example: 92.5, minimum: 0, maximum: 100 })
  @Max(100, { message: '得分（score）应在 0–100 之间' })
  @Min(0, { message: '得分（score）应在 0–100 之间' })
  @MaxDecimalPlaces(1, { message: '得分（score）必须是 0–100 的数，最多一位小数' })
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: '得分（score）必须是 0–100 的数，最多一位小数' })
  score: number;

  @ApiProperty({ example: '现场检查 2026-12-10：换热站巡检记录完整，应急预案已备案（附件编号 A-17）' })
  @MaxLength(2000, { message: '评分依据（evidence）最多 2000 字' })
  @NoControlChars('评分依据（evidence）')
  @NotBlank('评分依据（evidence）')
  @IsString({ message: '评分依据（evidence）必须填写：每个得分都要写明依据' })
  evidence: string;
}

export class AssessmentDto {
  @ApiProperty({ example: '2026-2027' })
  @IsString({ message: '供暖季（season）必须填写，例如 2026-2027' })
  season: string;

  @ApiProperty({ example: 'HC0001' })
  @Matches(/^[A-Za-z0-9_-]{1,32}$/, { message: '企业编号（companyId）应为 1–32 位字母、数字、下划线或连字符，例如 HC0001' })
  @IsString({ message: '企业编号（companyId）必须填写' })
  companyId: string;

  @ApiProperty({ type: [ScoreDto] })
  @ArrayMaxSize(7, { message: '一次最多录入 7 个维度的得分' })
  @ArrayMinSize(1, { message: '至少录入一个维度的得分（scores）' })
  @ValidateNested({ each: true })
  @Type(() => ScoreDto)
  @IsArray({ message: '得分（scores）必须是数组' })
  scores: ScoreDto[];
}

/**
 * 标杆企业 (benchmark enterprise). The province sets weights and enters scores (kpi does not know
 * which companies an authority supervises, so authorities cannot enter scores here); every role of
 * a unit reads the ranking; a company reads its own report, authorities and the province any.
 */
@ApiTags('benchmark 标杆企业')
@ApiBearerAuth()
@Controller('api/v1/benchmark')
export class BenchmarkController {
  constructor(
    private readonly benchmark: BenchmarkService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('weights')
  @Roles('province', 'authority', 'company')
  @ApiOperation({ summary: '某供暖季八个维度的权重（未设定时为默认权重）' })
  @ApiQuery({ name: 'season', example: '2026-2027' })
  weights(@Query('season') season?: string) {
    return this.benchmark.weights(parseSeason(season, this.clock.now()));
  }

  @Put('weights')
  @Roles('province')
  @ApiOperation({ summary: '设定某供暖季的权重（八个维度都要给出，0–100 的整数，合计 100）' })
  setWeights(@CurrentPrincipal() principal: Principal, @Body() body: WeightsDto) {
    const season = parseSeason(body.season, this.clock.now());
    return this.benchmark.setWeights(season, checkWeights(body.weights), `${principal.role}:${principal.sub}`);
  }

  @Post('assessments')
  @Roles('province')
  @ApiOperation({
    summary: '录入某企业某供暖季的维度得分（0–100，每项附评分依据）',
    description: '同一维度可再次录入，以最新一次为准，历次记录保留。用户评议由本季满意率自动计算，不能录入。',
  })
  @ApiCreatedResponse({ description: '已记录的得分' })
  async assess(@CurrentPrincipal() principal: Principal, @Body() body: AssessmentDto) {
    const season = parseSeason(body.season, this.clock.now());
    const recorded = await this.benchmark.assess(season, body.companyId, body.scores, `${principal.role}:${principal.sub}`);
    return { season: season.id, companyId: body.companyId, recorded };
  }

  @Get('ranking')
  @Roles('province', 'authority', 'company')
  @ApiOperation({ summary: '标杆企业排名：总分（加权）由高到低，评定不完整的企业列在后面、不排名' })
  @ApiQuery({ name: 'season', example: '2026-2027' })
  ranking(@Query('season') season?: string) {
    return this.benchmark.ranking(parseSeason(season, this.clock.now()));
  }

  @Get('companies/:id')
  @Roles('province', 'authority', 'company')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: '某企业的标杆企业评定报告（JSON；?format=html 为可打印网页）' })
  @ApiQuery({ name: 'season', example: '2026-2027' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'html'] })
  async company(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
    @Query('season') season?: string,
    @Query('format') format?: string,
  ) {
    if (principal.role === 'company' && principal.unitId !== id) throw new AppError('FORBIDDEN', '供热企业只能查看本企业的评定报告', 403);
    if (format !== undefined && format !== 'json' && format !== 'html') throw new AppError('VALIDATION_FAILED', `格式（format）只能是 json 或 html，收到“${format}”`, 400, 'format');
    const report = await this.benchmark.companyReport(parseSeason(season, this.clock.now()), id);
    if (format !== 'html') return report;
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    res.setHeader('x-content-type-options', 'nosniff');
    return renderCompanyReportHtml(report, this.clock.now());
  }
}
