import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AppError, CurrentPrincipal, Roles } from '#shared';
import type { Principal } from '#shared';
import { ConfirmIncidentDto, IncidentNoteDto, IncidentView, OpenIncidentDto } from './incident.dto.js';
import type { IncidentStatus } from './incident.entity.js';
import { IncidentsService } from './incidents.service.js';

const STATUSES = ['proposed', 'open', 'restored', 'dismissed'];
const idPipe = new ParseUUIDPipe({ exceptionFactory: () => new AppError('INVALID_INCIDENT_ID', '停供事件编号（id）格式不正确', 400, 'id') });

@ApiTags('incidents 大面积停供')
@ApiBearerAuth()
@Controller('api/v1/incidents')
export class IncidentsController {
  constructor(private readonly incidents: IncidentsService) {}

  @Get()
  @Roles('authority', 'province', 'company')
  @ApiOperation({ summary: '停供事件列表（含平台自动发现、待确认的疑似事件）：主管单位见辖区，企业见涉及本企业的事件' })
  @ApiQuery({ name: 'status', required: false, enum: STATUSES })
  @ApiOkResponse({ type: [IncidentView] })
  list(@CurrentPrincipal() principal: Principal, @Query('status') status?: string): Promise<IncidentView[]> {
    if (status !== undefined && !STATUSES.includes(status)) {
      throw new AppError('INVALID_STATUS', `状态（status）只能是：${STATUSES.join('、')}`, 400, 'status');
    }
    return this.incidents.list(principal, status as IncidentStatus | undefined);
  }

  @Get(':id')
  @Roles('authority', 'province', 'company')
  @ApiOperation({ summary: '停供事件详情' })
  @ApiOkResponse({ type: IncidentView })
  get(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: string): Promise<IncidentView> {
    return this.incidents.get(principal, id);
  }

  @Post()
  @Roles('authority', 'province')
  @ApiOperation({ summary: '开启停供事件：关联受影响小区的在办工单，每位受影响居民收到一条短信' })
  @ApiCreatedResponse({ type: IncidentView })
  open(@CurrentPrincipal() principal: Principal, @Body() dto: OpenIncidentDto): Promise<IncidentView> {
    return this.incidents.open(principal, dto);
  }

  @Post(':id/confirm')
  @HttpCode(200)
  @Roles('authority', 'province')
  @ApiOperation({ summary: '确认平台发现的疑似停供：按开启事件处理' })
  @ApiOkResponse({ type: IncidentView })
  confirm(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: string, @Body() dto: ConfirmIncidentDto): Promise<IncidentView> {
    return this.incidents.confirm(principal, id, dto);
  }

  @Post(':id/dismiss')
  @HttpCode(200)
  @Roles('authority', 'province')
  @ApiOperation({ summary: '排除疑似停供（经核实为个别问题）' })
  @ApiOkResponse({ type: IncidentView })
  dismiss(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: string, @Body() dto: IncidentNoteDto): Promise<IncidentView> {
    return this.incidents.dismiss(principal, id, dto);
  }

  @Post(':id/restore')
  @HttpCode(200)
  @Roles('authority', 'province', 'company')
  @ApiOperation({ summary: '报告恢复供热（主管单位或涉及的供热企业）：关联的在办工单随之反馈办结' })
  @ApiOkResponse({ type: IncidentView })
  restore(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: string, @Body() dto: IncidentNoteDto): Promise<IncidentView> {
    return this.incidents.restore(principal, id, dto);
  }
}
