import { Body, Controller, Get, Headers, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AppError, CurrentPrincipal, normalizeMainlandMobile, Roles } from '#shared';
import type { Principal } from '#shared';
import { CreateHotlineComplaintDto, CreateResidentComplaintDto } from './create-complaint.dto.js';
import { fieldsOf } from './complaint-input.js';
import type { ComplaintInput } from './complaint-input.js';
import { ComplaintView } from './complaint.view.js';
import { ComplaintsService } from './complaints.service.js';
import type { RecordResult } from './complaints.service.js';

function checkIdempotencyKey(key?: string): string | undefined {
  if (key !== undefined && !/^[\w.:-]{1,100}$/.test(key)) {
    throw new AppError('INVALID_IDEMPOTENCY_KEY', '请求头 Idempotency-Key 只能包含字母、数字和 _ . : -，最长 100 个字符', 400, 'Idempotency-Key');
  }
  return key;
}

/** 201 for a new case; 200 when the request was linked to an open case or replayed. */
function respond(res: Response, result: RecordResult): ComplaintView {
  res.status(result.outcome === 'created' ? 201 : 200);
  return { ...result.view, outcome: result.outcome };
}

@ApiTags('complaints 诉求受理')
@ApiBearerAuth()
@Controller('api/v1')
export class ComplaintsController {
  constructor(private readonly complaints: ComplaintsService) {}

  @Post('complaints')
  @Roles('operator')
  @ApiOperation({ summary: '话务员受理来电诉求（投诉/举报转企业办理；咨询当场答复办结）' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: '同一键重复提交返回同一工单' })
  @ApiCreatedResponse({ type: ComplaintView, description: '新建工单' })
  @ApiOkResponse({ type: ComplaintView, description: '重复反映已合并到在办工单，或同一 Idempotency-Key 的重复提交' })
  async createHotline(
    @Body() dto: CreateHotlineComplaintDto,
    @CurrentPrincipal() operator: Principal,
    @Res({ passthrough: true }) res: Response,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<ComplaintView> {
    const phone = normalizeMainlandMobile(dto.callerPhone);
    if (!phone) {
      throw new AppError('INVALID_PHONE', '来电号码（callerPhone）必须是 11 位中国大陆手机号，例如 13812345678', 400, 'callerPhone');
    }
    const input: ComplaintInput = { ...fieldsOf(dto), channel: 'hotline', phone, recordedBy: operator.sub, answer: dto.answer };
    return respond(res, await this.complaints.record(input, checkIdempotencyKey(idempotencyKey)));
  }

  @Post('me/complaints')
  @Roles('resident')
  @ApiOperation({ summary: '居民通过网站或 App 提交诉求（需短信验证后的居民令牌）' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: '同一键重复提交返回同一工单' })
  @ApiCreatedResponse({ type: ComplaintView, description: '新建工单' })
  @ApiOkResponse({ type: ComplaintView, description: '重复反映已合并到在办工单，或同一 Idempotency-Key 的重复提交' })
  async createResident(
    @Body() dto: CreateResidentComplaintDto,
    @CurrentPrincipal() resident: Principal,
    @Res({ passthrough: true }) res: Response,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<ComplaintView> {
    const input: ComplaintInput = { ...fieldsOf(dto), channel: dto.channel, phone: resident.phone!, recordedBy: 'resident' };
    return respond(res, await this.complaints.record(input, checkIdempotencyKey(idempotencyKey)));
  }

  @Get('me/complaints')
  @Roles('resident')
  @ApiOperation({ summary: '居民查看本人（已验证手机号）的工单及办理进度' })
  @ApiOkResponse({ type: [ComplaintView] })
  listOwn(@CurrentPrincipal() resident: Principal): Promise<ComplaintView[]> {
    return this.complaints.listForPhone(resident.phone!);
  }

  @Get('complaints')
  @Roles('operator', 'province')
  @ApiOperation({ summary: '按来电号码查找工单（最近 50 件）' })
  @ApiQuery({ name: 'callerPhone', example: '13812345678' })
  @ApiOkResponse({ type: [ComplaintView] })
  findByCaller(@Query('callerPhone') callerPhone?: string): Promise<ComplaintView[]> {
    if (!callerPhone) throw new AppError('MISSING_CALLER_PHONE', '请提供来电号码（callerPhone）', 400, 'callerPhone');
    return this.complaints.findByCaller(callerPhone);
  }

  @Get('complaints/:caseNumber')
  @Roles('operator', 'province')
  @ApiOperation({ summary: '按工单号查询工单及办理进度' })
  @ApiOkResponse({ type: ComplaintView })
  findOne(@Param('caseNumber') caseNumber: string): Promise<ComplaintView> {
    return this.complaints.findByCaseNumber(caseNumber);
  }
}
