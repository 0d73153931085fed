import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { AppError, CLOCK, CurrentPrincipal, Roles } from '#shared';
import type { Clock, Principal } from '#shared';
import { KpiAccess, scopeOf } from '../access/kpi-scope.js';
import { UnitMonth } from '../events/kpi-entities.js';
import { parseUnitType, resolveMonth, UNIT_TYPE_LABELS, UNIT_TYPES } from './query-params.js';
import { figuresOf } from './unit-figures.js';

@ApiTags('indicators 考核指标')
@ApiBearerAuth()
@Controller('api/v1/indicators')
export class IndicatorsController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly access: KpiAccess,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get(':unitType/:unitId')
  @Roles('company', 'authority', 'province')
  @ApiOperation({
    summary: '某单位某月的五项指标（含计算公式与分子分母）',
    description: '企业只能查本企业；主管单位可查本单位、分转事件记在其名下的企业，以及（市级令牌）本市的企业、主管单位和城市；省级可查全部。',
  })
  @ApiParam({ name: 'unitType', enum: UNIT_TYPES })
  @ApiQuery({ name: 'month', required: false, example: '2026-11', description: '月份（北京时间），默认本月' })
  async forUnit(
    @CurrentPrincipal() principal: Principal,
    @Param('unitType') unitTypeParam: string,
    @Param('unitId') unitId: string,
    @Query('month') month?: string,
  ) {
    const unitType = parseUnitType(unitTypeParam);
    const wanted = resolveMonth(month, this.clock.now());
    const scope = scopeOf(principal);
    if (!(await this.access.canSee(scope, unitType, unitId))) {
      throw new AppError('FORBIDDEN', '只能查询本单位及所辖区域内单位的指标', 403);
    }
    if (!(await this.access.exists(unitType, unitId))) {
      throw new AppError('UNIT_NOT_FOUND', `未找到${UNIT_TYPE_LABELS[unitType]} ${unitId}：考核服务尚未收到该单位的分转记录（unitId）`, 404, 'unitId');
    }
    const row = await this.dataSource.getRepository(UnitMonth).findOneBy({ unitType, unitId, month: wanted });
    const { counts, indicators } = figuresOf(unitType, unitId, row);
    return { unitType, unitId, month: wanted, counts, indicators };
  }
}
