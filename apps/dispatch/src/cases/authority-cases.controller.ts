import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AppError, CurrentPrincipal, PHONE_VAULT, Roles } from '#shared';
import type { PhoneVault, Principal } from '#shared';
import { AUTHORITY_QUEUES, AuthorityCasesService, QUEUE_LABELS } from './authority-cases.service.js';
import type { AuthorityQueue } from './authority-cases.service.js';
import { CaseDetailView, CaseListView, toCaseView, toDetailView } from './case.dto.js';
import { caseIdPipe, paging } from './company-cases.controller.js';
import { ExtensionDecisionDto, GradeDto, ManualDispatchDto, ReturnDecisionDto, SupervisionDto } from './workflow.dto.js';

@ApiTags('authority 主管单位')
@ApiBearerAuth()
@Controller('api/v1/authority/cases')
@Roles('authority', 'province')
export class AuthorityCasesController {
  constructor(
    private readonly cases: AuthorityCasesService,
    @Inject(PHONE_VAULT) private readonly vault: PhoneVault,
  ) {}

  @Get()
  @ApiOperation({ summary: `辖区待办：${AUTHORITY_QUEUES.map((q) => `${q} ${QUEUE_LABELS[q]}`).join('；')}` })
  @ApiQuery({ name: 'queue', enum: AUTHORITY_QUEUES })
  @ApiQuery({ name: 'limit', required: false, example: 50 })
  @ApiQuery({ name: 'offset', required: false, example: 0 })
  @ApiOkResponse({ type: CaseListView })
  async queue(
    @CurrentPrincipal() principal: Principal,
    @Query('queue') queue?: string,
    @Query('limit') limit?: string,
    @Query('offset') offset?: string,
  ): Promise<CaseListView> {
    if (!queue || !(AUTHORITY_QUEUES as readonly string[]).includes(queue)) {
      throw new AppError('INVALID_QUEUE', `待办类别（queue）必须是：${AUTHORITY_QUEUES.map((q) => `${q}（${QUEUE_LABELS[q]}）`).join('、')}`, 400, 'queue');
    }
    const { limit: l, offset: o } = paging(limit, offset);
    const { total, items } = await this.cases.queue(principal, queue as AuthorityQueue, l, o);
    return { total, items: items.map((c) => toCaseView(c, 'supervisor', this.vault)) };
  }

  @Post(':caseId/dispatch')
  @HttpCode(200)
  @ApiOperation({ summary: '人工分转：把待分转工单交给辖区内的企业' })
  @ApiOkResponse({ type: CaseDetailView })
  async dispatch(@CurrentPrincipal() principal: Principal, @Param('caseId', caseIdPipe) caseId: string, @Body() dto: ManualDispatchDto): Promise<CaseDetailView> {
    return toDetailView(await this.cases.manualDispatch(principal, caseId, dto), 'supervisor', this.vault);
  }

  @Post(':caseId/return-decision')
  @HttpCode(200)
  @ApiOperation({ summary: '裁定退回申请：驳回（原企业继续办理）或同意并改派；裁定为终局，工单不能再次退回' })
  @ApiOkResponse({ type: CaseDetailView })
  async decideReturn(@CurrentPrincipal() principal: Principal, @Param('caseId', caseIdPipe) caseId: string, @Body() dto: ReturnDecisionDto): Promise<CaseDetailView> {
    return toDetailView(await this.cases.decideReturn(principal, caseId, dto), 'supervisor', this.vault);
  }

  @Post(':caseId/extension-decision')
  @HttpCode(200)
  @ApiOperation({ summary: '审批延期申请：同意后办理时限按申请天数顺延（自然日）' })
  @ApiOkResponse({ type: CaseDetailView })
  async decideExtension(@CurrentPrincipal() principal: Principal, @Param('caseId', caseIdPipe) caseId: string, @Body() dto: ExtensionDecisionDto): Promise<CaseDetailView> {
    return toDetailView(await this.cases.decideExtension(principal, caseId, dto), 'supervisor', this.vault);
  }

  @Post(':caseId/grade')
  @HttpCode(200)
  @ApiOperation({ summary: '调整工单类别：复杂工单自分转起 7 个自然日，一般工单 3 个自然日' })
  @ApiOkResponse({ type: CaseDetailView })
  async grade(@CurrentPrincipal() principal: Principal, @Param('caseId', caseIdPipe) caseId: string, @Body() dto: GradeDto): Promise<CaseDetailView> {
    return toDetailView(await this.cases.grade(principal, caseId, dto), 'supervisor', this.vault);
  }

  @Post(':caseId/supervision')
  @HttpCode(200)
  @ApiOperation({ summary: '督办：督办意见即时推送给处理企业' })
  @ApiOkResponse({ type: CaseDetailView })
  async supervise(@CurrentPrincipal() principal: Principal, @Param('caseId', caseIdPipe) caseId: string, @Body() dto: SupervisionDto): Promise<CaseDetailView> {
    return toDetailView(await this.cases.supervise(principal, caseId, dto), 'supervisor', this.vault);
  }
}
