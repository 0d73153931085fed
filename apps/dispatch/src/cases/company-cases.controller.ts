import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AppError, CurrentPrincipal, Roles } from '#shared';
import type { Principal } from '#shared';
import { CaseView, SubmitFeedbackDto, toCaseView } from './case.dto.js';
import { CompanyCasesService } from './company-cases.service.js';

const uuid = new ParseUUIDPipe({
  exceptionFactory: () => new AppError('INVALID_CASE_ID', '工单编号（caseId）格式不正确，应为 UUID', 400, 'caseId'),
});
const STATUSES = ['awaiting_manual_dispatch', 'dispatched', 'signed', 'closed'];

@ApiTags('cases 企业办理')
@ApiBearerAuth()
@Controller('api/v1/cases')
export class CompanyCasesController {
  constructor(private readonly cases: CompanyCasesService) {}

  @Get()
  @Roles('company', 'authority', 'province')
  @ApiOperation({ summary: '工单列表：企业只见本企业工单，主管单位只见辖区工单' })
  @ApiQuery({ name: 'status', required: false, enum: STATUSES })
  @ApiOkResponse({ type: [CaseView] })
  async list(@CurrentPrincipal() principal: Principal, @Query('status') status?: string): Promise<CaseView[]> {
    if (status !== undefined && !STATUSES.includes(status)) {
      throw new AppError('INVALID_STATUS', `状态（status）不正确，可选：${STATUSES.join('、')}`, 400, 'status');
    }
    const rows = await this.cases.list(principal, status);
    return rows.map((c) => toCaseView(c, principal.role === 'company'));
  }

  @Post(':caseId/sign')
  @HttpCode(200)
  @Roles('company')
  @ApiOperation({ summary: '签收工单' })
  @ApiOkResponse({ type: CaseView })
  async sign(@CurrentPrincipal() principal: Principal, @Param('caseId', uuid) caseId: string): Promise<CaseView> {
    return toCaseView(await this.cases.sign(principal, caseId), true);
  }

  @Post(':caseId/feedback')
  @HttpCode(200)
  @Roles('company')
  @ApiOperation({ summary: '反馈办理结果并办结' })
  @ApiOkResponse({ type: CaseView })
  async feedback(
    @CurrentPrincipal() principal: Principal,
    @Param('caseId', uuid) caseId: string,
    @Body() dto: SubmitFeedbackDto,
  ): Promise<CaseView> {
    return toCaseView(await this.cases.submitFeedback(principal, caseId, dto), true);
  }
}
