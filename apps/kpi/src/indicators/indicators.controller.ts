import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { AppError, CLOCK, CurrentPrincipal, Roles, shanghaiMonth } from '#shared';
import type { Clock, Principal } from '#shared';
import { UnitMonth } from '../events/kpi-entities.js';
import type { UnitType } from '../events/kpi-entities.js';
import { computeIndicators } from './indicator-formulas.js';
import type { UnitMonthCounts } from './indicator-formulas.js';

const UNIT_TYPES: UnitType[] = ['company', 'authority', 'city'];

@ApiTags('indicators 考核指标')
@ApiBearerAuth()
@Controller('api/v1/indicators')
export class IndicatorsController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get(':unitType/:unitId')
  @Roles('company', 'authority', 'province')
  @ApiOperation({ summary: '某单位某月的五项指标（含计算公式与分子分母）' })
  @ApiParam({ name: 'unitType', enum: UNIT_TYPES })
  @ApiQuery({ name: 'month', example: '2026-11', description: '月份（北京时间），默认本月' })
  async forUnit(
    @CurrentPrincipal() principal: Principal,
    @Param('unitType') unitType: string,
    @Param('unitId') unitId: string,
    @Query('month') month?: string,
  ) {
    if (!UNIT_TYPES.includes(unitType as UnitType)) {
      throw new AppError('INVALID_UNIT_TYPE', `单位类型（unitType）只能是 ${UNIT_TYPES.join('、')}`, 400, 'unitType');
    }
    const current = shanghaiMonth(this.clock.now());
    const wanted = month ?? current;
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(wanted)) {
      throw new AppError('INVALID_MONTH', '月份（month）格式应为 YYYY-MM，例如 2026-11', 400, 'month');
    }
    if (wanted > current) throw new AppError('FUTURE_MONTH', `月份 ${wanted} 尚未到来，最晚可查询 ${current}`, 400, 'month');
    const ownUnit = principal.role === 'province' || (principal.role === unitType && principal.unitId === unitId);
    if (!ownUnit) throw new AppError('FORBIDDEN', '只能查询本单位的指标', 403);
    const row = await this.dataSource.getRepository(UnitMonth).findOneBy({ unitType: unitType as UnitType, unitId, month: wanted });
    const counts = countsOf(row);
    return { unitType, unitId, month: wanted, counts, indicators: computeIndicators(counts) };
  }
}

/** The counters of a (unit, month) row; a month with no cases has all zero. */
function countsOf(row: UnitMonth | null): UnitMonthCounts {
  return {
    dispatched: row?.dispatched ?? 0,
    onTimeDispatched: row?.onTimeDispatched ?? 0,
    withFeedback: row?.withFeedback ?? 0,
    feedbackDaysSum: row?.feedbackDaysSum ?? 0,
    closed: row?.closed ?? 0,
    rated: row?.rated ?? 0,
    satisfied: row?.satisfied ?? 0,
    basicallySatisfied: row?.basicallySatisfied ?? 0,
    dissatisfied: row?.dissatisfied ?? 0,
    approvedReconsiderations: row?.approvedReconsiderations ?? 0,
    failedSpotChecks: row?.failedSpotChecks ?? 0,
  };
}
