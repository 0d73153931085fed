import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DataSource, In } from 'typeorm';
import { AppError, CLOCK, CurrentPrincipal, Roles } from '#shared';
import type { Clock, Principal } from '#shared';
import { KpiAccess, scopeOf } from '../access/kpi-scope.js';
import { UnitMonth } from '../events/kpi-entities.js';
import { parseIntParam, parseUnitType, resolveMonth, UNIT_TYPES } from '../indicators/query-params.js';
import { figuresOf } from '../indicators/unit-figures.js';
import type { UnitFigures } from '../indicators/unit-figures.js';
import { KPI_SETTINGS } from '../kpi-settings.js';
import type { KpiSettings } from '../kpi-settings.js';
import type { UnitType } from '../projection/case-state.js';
import { INDICATOR_KEYS, INDICATOR_LABELS, lowerIsBetter, rankBy, RED_BLACK_ORDER, redBlackList } from './rankings.js';
import type { IndicatorKey } from './rankings.js';

@ApiTags('rankings 排名与红黑榜')
@ApiBearerAuth()
@Controller('api/v1/rankings')
export class RankingsController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly access: KpiAccess,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(KPI_SETTINGS) private readonly settings: KpiSettings,
  ) {}

  @Get()
  @Roles('authority', 'province')
  @ApiOperation({
    summary: '某月某类单位按一项指标的排名（含五项指标与计数）',
    description: '省级：全部单位；主管单位：所辖区域内的单位。比率越高越好，办件天数越少越好；并列同名次；无数据的单位排在最后、无名次。',
  })
  @ApiQuery({ name: 'unitType', required: false, enum: UNIT_TYPES, description: '默认 company' })
  @ApiQuery({ name: 'month', required: false, example: '2026-11', description: '月份（北京时间），默认本月' })
  @ApiQuery({ name: 'indicator', required: false, enum: INDICATOR_KEYS, description: '默认 satisfactionRate' })
  async rankings(
    @CurrentPrincipal() principal: Principal,
    @Query('unitType') unitTypeParam?: string,
    @Query('month') month?: string,
    @Query('indicator') indicatorParam?: string,
  ) {
    const unitType = parseUnitType(unitTypeParam ?? 'company');
    const wanted = resolveMonth(month, this.clock.now());
    const indicator = indicatorParam ?? 'satisfactionRate';
    if (!(INDICATOR_KEYS as readonly string[]).includes(indicator)) {
      throw new AppError('INVALID_INDICATOR', `指标（indicator）只能是 ${INDICATOR_KEYS.map((k) => `${k}（${INDICATOR_LABELS[k]}）`).join('、')}`, 400, 'indicator');
    }
    const units = await this.figures(principal, unitType, wanted);
    const key = indicator as IndicatorKey;
    return {
      unitType,
      month: wanted,
      indicator: key,
      order: lowerIsBetter(key) ? 'asc' : 'desc',
      total: units.length,
      items: rankBy(units, key),
    };
  }

  @Get('red-black')
  @Roles('authority', 'province')
  @ApiOperation({
    summary: '红榜（最好的 N 个）与黑榜（最差的 N 个），样本不足的单位单列、不排名',
    description:
      '排序依据：满意率；满意率相同依次比较办结率、按时分转率、反馈率、办件天数（少者优）。当月分转件数少于 minDispatched（默认 10）或没有可计入满意率的评价的单位列入“样本不足”。同一单位不会同时上红榜和黑榜。',
  })
  @ApiQuery({ name: 'unitType', required: false, enum: UNIT_TYPES, description: '默认 company' })
  @ApiQuery({ name: 'month', required: false, example: '2026-11' })
  @ApiQuery({ name: 'size', required: false, example: 10, description: '每榜单位数，1–100，默认 10' })
  @ApiQuery({ name: 'minDispatched', required: false, example: 10, description: '参与排名的最少分转件数，默认见 KPI_RED_BLACK_MIN_DISPATCHED（10）' })
  async redBlack(
    @CurrentPrincipal() principal: Principal,
    @Query('unitType') unitTypeParam?: string,
    @Query('month') month?: string,
    @Query('size') sizeParam?: string,
    @Query('minDispatched') minParam?: string,
  ) {
    const unitType = parseUnitType(unitTypeParam ?? 'company');
    const wanted = resolveMonth(month, this.clock.now());
    const size = parseIntParam(sizeParam, 'size', '每榜单位数', 1, 100, 10);
    const minDispatched = parseIntParam(minParam, 'minDispatched', '最少分转件数', 1, 100_000, this.settings.redBlackMinDispatched);
    const units = await this.figures(principal, unitType, wanted);
    return {
      unitType,
      month: wanted,
      size,
      minDispatched,
      basis: `按${RED_BLACK_ORDER.map((k) => INDICATOR_LABELS[k]).join('、')}依次比较（办件天数少者优）`,
      ...redBlackList(units, size, minDispatched),
    };
  }

  /** The month's figures of every unit of the type that the caller may see. */
  private async figures(principal: Principal, unitType: UnitType, month: string): Promise<UnitFigures[]> {
    const visible = await this.access.visibleUnits(scopeOf(principal), unitType);
    if (visible !== null && visible.size === 0) return [];
    const rows = await this.dataSource.getRepository(UnitMonth).findBy({
      unitType,
      month,
      ...(visible === null ? {} : { unitId: In([...visible]) }),
    });
    return rows.map((r) => figuresOf(unitType, r.unitId, r));
  }
}
