import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppError, CATEGORIES, CurrentPrincipal, PHONE_VAULT, Roles } from '#shared';
import type { PhoneVault, Principal } from '#shared';
import { CaseDetailView, CaseListView, toCaseView, toDetailView } from './case.dto.js';
import { CompanyCasesService, EVIDENCE_TYPES } from './company-cases.service.js';
import { DISPATCH_STATUSES } from './dispatch-case.entity.js';
import type { DispatchStatus } from './dispatch-case.entity.js';
import { ContactAttemptDto, EscalateDto, ExtensionRequestDto, ReturnRequestDto, SubmitFeedbackDto } from './workflow.dto.js';

export const caseIdPipe = new ParseUUIDPipe({
  exceptionFactory: () => new AppError('INVALID_CASE_ID', '工单编号（caseId）格式不正确，应为 UUID', 400, 'caseId'),
});
const photoIdPipe = new ParseUUIDPipe({
  exceptionFactory: () => new AppError('INVALID_PHOTO_ID', '照片编号（photoId）格式不正确', 400, 'photoId'),
});

export function viewerOf(principal: Principal): 'company' | 'supervisor' {
  return principal.role === 'company' ? 'company' : 'supervisor';
}

/** limit 1–200 (default 50) and offset ≥ 0 from the query string, refused in Chinese when wrong. */
export function paging(limit?: string, offset?: string): { limit: number; offset: number } {
  const l = limit === undefined ? 50 : Number(limit);
  const o = offset === undefined ? 0 : Number(offset);
  if (!Number.isInteger(l) || l < 1 || l > 200) throw new AppError('INVALID_LIMIT', '每页条数（limit）必须是 1–200 的整数', 400, 'limit');
  // Past 2^53 a number is no longer an exact integer, and PostgreSQL's OFFSET (bigint) refuses it as a 500.
  if (!Number.isSafeInteger(o) || o < 0) throw new AppError('INVALID_OFFSET', '起始位置（offset）必须是 0 到 9007199254740991 之间的整数', 400, 'offset');
  return { limit: l, offset: o };
}

function dateQuery(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(d.getTime())) {
    throw new AppError('INVALID_DATE', `${field} 必须是 ISO 8601 时间，例如 2026-11-29T00:00:00+08:00`, 400, field);
  }
  return d;
}

@ApiTags('cases 企业办理')
@ApiBearerAuth()
@Controller('api/v1/cases')
export class CompanyCasesController {
  constructor(
    private readonly cases: CompanyCasesService,
    @Inject(PHONE_VAULT) private readonly vault: PhoneVault,
  ) {}

  @Get()
  @Roles('company', 'authority', 'province')
  @ApiOperation({ summary: '工单列表（拉取接口）：企业只见本企业工单，主管单位只见辖区工单；按状态、超期、类别、工单号、受理时间筛选' })
  @ApiQuery({ name: 'status', required: false, enum: DISPATCH_STATUSES })
  @ApiQuery({ name: 'overdue', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'category', required: false, enum: CATEGORIES })
  @ApiQuery({ name: 'caseNumber', required: false, example: 'GR-20261129-000123' })
  @ApiQuery({ name: 'receivedFrom', required: false, example: '2026-11-01T00:00:00+08:00' })
  @ApiQuery({ name: 'receivedTo', required: false, example: '2026-12-01T00:00:00+08:00' })
  @ApiQuery({ name: 'limit', required: false, example: 50 })
  @ApiQuery({ name: 'offset', required: false, example: 0 })
  @ApiOkResponse({ type: CaseListView })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query('status') status?: string,
    @Query('overdue') overdue?: string,
    @Query('category') category?: string,
    @Query('caseNumber') caseNumber?: string,
    @Query('receivedFrom') receivedFrom?: string,
    @Query('receivedTo') receivedTo?: string,
    @Query('limit') limit?: string,
    @Query('offset') offset?: string,
  ): Promise<CaseListView> {
    if (status !== undefined && !(DISPATCH_STATUSES as readonly string[]).includes(status)) {
      throw new AppError('INVALID_STATUS', `状态（status）不正确，可选：${DISPATCH_STATUSES.join('、')}`, 400, 'status');
    }
    if (overdue !== undefined && overdue !== 'true' && overdue !== 'false') {
      throw new AppError('INVALID_OVERDUE', '超期筛选（overdue）只能是 true 或 false', 400, 'overdue');
    }
    if (category !== undefined && !(CATEGORIES as readonly string[]).includes(category)) {
      throw new AppError('INVALID_CATEGORY', `类别（category）不正确，可选：${CATEGORIES.join('、')}`, 400, 'category');
    }
    const { total, items } = await this.cases.list(principal, {
      status: status as DispatchStatus | undefined,
      overdue: overdue === undefined ? undefined : overdue === 'true',
      category,
      caseNumber,
      receivedFrom: dateQuery(receivedFrom, 'receivedFrom'),
      receivedTo: dateQuery(receivedTo, 'receivedTo'),
      ...paging(limit, offset),
    });
    return { total, items: items.map((c) => toCaseView(c, viewerOf(principal), this.vault)) };
  }

  @Get(':caseId')
  @Roles('company', 'authority', 'province')
  @ApiOperation({ summary: '工单详情：办理过程（谁、何时、做了什么）、退回与延期申请、测温单' })
  @ApiOkResponse({ type: CaseDetailView })
  async detail(@CurrentPrincipal() principal: Principal, @Param('caseId', caseIdPipe) caseId: string): Promise<CaseDetailView> {
    return toDetailView(await this.cases.detail(principal, caseId), viewerOf(principal), this.vault);
  }

  @Post(':caseId/sign')
  @HttpCode(200)
  @Roles('company')
  @ApiOperation({ summary: '签收工单（重复签收无副作用）' })
  @ApiOkResponse({ type: CaseDetailView })
  async sign(@CurrentPrincipal() principal: Principal, @Param('caseId', caseIdPipe) caseId: string): Promise<CaseDetailView> {
    return toDetailView(await this.cases.sign(principal, caseId), 'company', this.vault);
  }

  @Post(':caseId/contacts')
  @HttpCode(200)
  @Roles('company')
  @ApiOperation({ summary: '记录联系诉求人（电话或入户），首次联系即视为签收' })
  @ApiOkResponse({ type: CaseDetailView })
  async contact(@CurrentPrincipal() principal: Principal, @Param('caseId', caseIdPipe) caseId: string, @Body() dto: ContactAttemptDto): Promise<CaseDetailView> {
    return toDetailView(await this.cases.contact(principal, caseId, dto), 'company', this.vault);
  }

  @Post(':caseId/return')
  @HttpCode(200)
  @Roles('company')
  @ApiOperation({ summary: '申请退回（须说明理由），由主管单位裁定，裁定为终局' })
  @ApiOkResponse({ type: CaseDetailView })
  async requestReturn(@CurrentPrincipal() principal: Principal, @Param('caseId', caseIdPipe) caseId: string, @Body() dto: ReturnRequestDto): Promise<CaseDetailView> {
    return toDetailView(await this.cases.requestReturn(principal, caseId, dto), 'company', this.vault);
  }

  @Post(':caseId/extension')
  @HttpCode(200)
  @Roles('company')
  @ApiOperation({ summary: '申请延期（1–7 个自然日），主管单位批准后办理时限顺延' })
  @ApiOkResponse({ type: CaseDetailView })
  async requestExtension(@CurrentPrincipal() principal: Principal, @Param('caseId', caseIdPipe) caseId: string, @Body() dto: ExtensionRequestDto): Promise<CaseDetailView> {
    return toDetailView(await this.cases.requestExtension(principal, caseId, dto), 'company', this.vault);
  }

  @Post(':caseId/escalate')
  @HttpCode(200)
  @Roles('company')
  @ApiOperation({ summary: '上报重大或群体性问题，主管单位即时可见' })
  @ApiOkResponse({ type: CaseDetailView })
  async escalate(@CurrentPrincipal() principal: Principal, @Param('caseId', caseIdPipe) caseId: string, @Body() dto: EscalateDto): Promise<CaseDetailView> {
    return toDetailView(await this.cases.escalate(principal, caseId, dto), 'company', this.vault);
  }

  @Post(':caseId/evidence')
  @Roles('company')
  @ApiOperation({ summary: '上传现场照片（请求体即图片，JPEG/PNG/WebP，最大 5 MB），返回照片编号，用于测温单' })
  @ApiConsumes(...EVIDENCE_TYPES)
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  uploadEvidence(@CurrentPrincipal() principal: Principal, @Param('caseId', caseIdPipe) caseId: string, @Req() req: Request) {
    return this.cases.uploadEvidence(principal, caseId, req.body);
  }

  @Get(':caseId/evidence/:photoId')
  @Roles('company', 'authority', 'province')
  @ApiOperation({ summary: '查看现场照片（处理企业、辖区主管单位、省级）' })
  async readEvidence(
    @CurrentPrincipal() principal: Principal,
    @Param('caseId', caseIdPipe) caseId: string,
    @Param('photoId', photoIdPipe) photoId: string,
    @Res() res: Response,
  ): Promise<void> {
    const photo = await this.cases.readEvidence(principal, caseId, photoId);
    res.setHeader('content-type', photo.mimeType);
    res.setHeader('cache-control', 'private, max-age=3600');
    res.setHeader('x-content-type-options', 'nosniff');
    res.send(photo.bytes);
  }

  @Post(':caseId/feedback')
  @HttpCode(200)
  @Roles('company')
  @ApiOperation({ summary: '反馈办理结果并办结（“室温不达标”须附测温单，自动计算沈阳市退费比例）' })
  @ApiOkResponse({ type: CaseDetailView })
  async feedback(@CurrentPrincipal() principal: Principal, @Param('caseId', caseIdPipe) caseId: string, @Body() dto: SubmitFeedbackDto): Promise<CaseDetailView> {
    return toDetailView(await this.cases.submitFeedback(principal, caseId, dto), 'company', this.vault);
  }
}
