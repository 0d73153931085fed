import { Body, Controller, Get, Headers, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AppError, CurrentPrincipal, Roles } from '#shared';
import type { Principal } from '#shared';
import { ComplaintView } from './complaint.view.js';
import { ComplaintsService } from './complaints.service.js';
import { CreateHotlineComplaintDto } from './create-complaint.dto.js';

@ApiTags('complaints 诉求受理')
@ApiBearerAuth()
@Controller('api/v1/complaints')
export class ComplaintsController {
  constructor(private readonly complaints: ComplaintsService) {}

  @Post()
  @Roles('operator')
  @ApiOperation({ summary: '话务员受理来电诉求（投诉/举报转企业办理；咨询当场答复办结）' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: '同一键重复提交返回同一工单' })
  @ApiCreatedResponse({ type: ComplaintView })
  create(
    @Body() dto: CreateHotlineComplaintDto,
    @CurrentPrincipal() operator: Principal,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<ComplaintView> {
    if (idempotencyKey !== undefined && !/^[\w.:-]{1,100}$/.test(idempotencyKey)) {
      throw new AppError('INVALID_IDEMPOTENCY_KEY', '请求头 Idempotency-Key 只能包含字母、数字和 _ . : -，最长 100 个字符', 400, 'Idempotency-Key');
    }
    return this.complaints.recordHotlineCall(dto, operator.sub, idempotencyKey);
  }

  @Get()
  @Roles('operator', 'province')
  @ApiOperation({ summary: '按来电号码查找工单（最近 50 件）' })
  @ApiQuery({ name: 'callerPhone', example: '13812345678' })
  @ApiOkResponse({ type: [ComplaintView] })
  findByCaller(@Query('callerPhone') callerPhone?: string): Promise<ComplaintView[]> {
    if (!callerPhone) throw new AppError('MISSING_CALLER_PHONE', '请提供来电号码（callerPhone）', 400, 'callerPhone');
    return this.complaints.findByCaller(callerPhone);
  }

  @Get(':caseNumber')
  @Roles('operator', 'province')
  @ApiOperation({ summary: '按工单号查询工单及办理进度' })
  @ApiOkResponse({ type: ComplaintView })
  findOne(@Param('caseNumber') caseNumber: string): Promise<ComplaintView> {
    return this.complaints.findByCaseNumber(caseNumber);
  }
}
