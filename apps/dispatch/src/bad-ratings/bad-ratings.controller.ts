import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AppError, CLOCK, CurrentPrincipal, Roles } from '#shared';
import type { Clock, Principal } from '#shared';
import {
  BadRatingView,
  CallbackDto,
  ClassifyDto,
  DrawSpotChecksDto,
  ReconsiderationDecisionDto,
  ReconsiderationDto,
  RectificationDto,
  SpotCheckResultDto,
  SpotCheckView,
  toBadRatingView,
  toSpotCheckView,
} from './bad-rating.dto.js';
import { BAD_RATING_STATUSES } from './bad-rating.entity.js';
import type { BadRatingStatus } from './bad-rating.entity.js';
import { BadRatingsService } from './bad-ratings.service.js';

const idPipe = new ParseUUIDPipe({ exceptionFactory: () => new AppError('INVALID_ID', '编号（id）格式不正确', 400, 'id') });

@ApiTags('bad-ratings 差评处理')
@ApiBearerAuth()
@Controller('api/v1')
export class BadRatingsController {
  constructor(
    private readonly badRatings: BadRatingsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('bad-ratings')
  @Roles('company', 'authority', 'province')
  @ApiOperation({ summary: '差评列表：企业见本企业，主管单位见辖区，省级见全部；按当前环节时限排序' })
  @ApiQuery({ name: 'status', required: false, enum: BAD_RATING_STATUSES })
  @ApiOkResponse({ type: [BadRatingView] })
  async list(@CurrentPrincipal() principal: Principal, @Query('status') status?: string): Promise<BadRatingView[]> {
    if (status !== undefined && !(BAD_RATING_STATUSES as readonly string[]).includes(status)) {
      throw new AppError('INVALID_STATUS', `状态（status）只能是：${BAD_RATING_STATUSES.join('、')}`, 400, 'status');
    }
    const now = this.clock.now();
    return (await this.badRatings.list(principal, status as BadRatingStatus | undefined)).map((b) => toBadRatingView(b, now));
  }

  @Get('bad-ratings/:id')
  @Roles('company', 'authority', 'province')
  @ApiOperation({ summary: '差评详情' })
  @ApiOkResponse({ type: BadRatingView })
  async get(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: string): Promise<BadRatingView> {
    return toBadRatingView(await this.badRatings.get(principal, id), this.clock.now());
  }

  @Post('bad-ratings/:id/callback')
  @HttpCode(200)
  @Roles('company')
  @ApiOperation({ summary: '企业记录回访（时限 1 个自然日）' })
  @ApiOkResponse({ type: BadRatingView })
  async callback(@CurrentPrincipal() p: Principal, @Param('id', idPipe) id: string, @Body() dto: CallbackDto): Promise<BadRatingView> {
    return toBadRatingView(await this.badRatings.callback(p, id, dto), this.clock.now());
  }

  @Post('bad-ratings/:id/classification')
  @HttpCode(200)
  @Roles('authority', 'province')
  @ApiOperation({ summary: '主管单位认定诉求合理（须整改）或不合理（企业可申请复议）' })
  @ApiOkResponse({ type: BadRatingView })
  async classify(@CurrentPrincipal() p: Principal, @Param('id', idPipe) id: string, @Body() dto: ClassifyDto): Promise<BadRatingView> {
    return toBadRatingView(await this.badRatings.classify(p, id, dto), this.clock.now());
  }

  @Post('bad-ratings/:id/rectification')
  @HttpCode(200)
  @Roles('company')
  @ApiOperation({ summary: '企业报告整改完成，平台重新征询居民评价' })
  @ApiOkResponse({ type: BadRatingView })
  async rectify(@CurrentPrincipal() p: Principal, @Param('id', idPipe) id: string, @Body() dto: RectificationDto): Promise<BadRatingView> {
    return toBadRatingView(await this.badRatings.rectify(p, id, dto), this.clock.now());
  }

  @Post('bad-ratings/:id/reconsideration')
  @HttpCode(200)
  @Roles('company')
  @ApiOperation({ summary: '企业申请复议（附证据），由市/县主管单位审核' })
  @ApiOkResponse({ type: BadRatingView })
  async reconsider(@CurrentPrincipal() p: Principal, @Param('id', idPipe) id: string, @Body() dto: ReconsiderationDto): Promise<BadRatingView> {
    return toBadRatingView(await this.badRatings.applyReconsideration(p, id, dto), this.clock.now());
  }

  @Post('bad-ratings/:id/reconsideration-decision')
  @HttpCode(200)
  @Roles('authority', 'province')
  @ApiOperation({ summary: '审核复议：通过（不计入满意率）或驳回（企业须整改）' })
  @ApiOkResponse({ type: BadRatingView })
  async decide(@CurrentPrincipal() p: Principal, @Param('id', idPipe) id: string, @Body() dto: ReconsiderationDecisionDto): Promise<BadRatingView> {
    return toBadRatingView(await this.badRatings.decideReconsideration(p, id, dto), this.clock.now());
  }

  @Post('spot-checks/draw')
  @HttpCode(200)
  @Roles('province')
  @ApiOperation({ summary: '省级随机抽取某月审核通过的复议件进行核查' })
  @ApiOkResponse({ type: [SpotCheckView] })
  async draw(@CurrentPrincipal() p: Principal, @Body() dto: DrawSpotChecksDto): Promise<SpotCheckView[]> {
    return (await this.badRatings.drawSpotChecks(p, dto)).map(toSpotCheckView);
  }

  @Get('spot-checks')
  @Roles('province')
  @ApiOperation({ summary: '抽查记录' })
  @ApiQuery({ name: 'month', required: false, example: '2026-11' })
  @ApiOkResponse({ type: [SpotCheckView] })
  async spotChecks(@Query('month') month?: string): Promise<SpotCheckView[]> {
    if (month !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new AppError('INVALID_MONTH', '月份（month）格式为 YYYY-MM', 400, 'month');
    return (await this.badRatings.spotChecks(month)).map(toSpotCheckView);
  }

  @Post('spot-checks/:id/result')
  @HttpCode(200)
  @Roles('province')
  @ApiOperation({ summary: '记录抽查结论（不办结/被办结/假办结扣申请单位满意率 1 个百分点）' })
  @ApiOkResponse({ type: SpotCheckView })
  async result(@CurrentPrincipal() p: Principal, @Param('id', idPipe) id: string, @Body() dto: SpotCheckResultDto): Promise<SpotCheckView> {
    return toSpotCheckView(await this.badRatings.recordSpotCheck(p, id, dto));
  }
}
