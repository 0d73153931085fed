import { Body, Controller, Get, Header, HttpCode, Inject, Logger, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiQuery, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import type { Request, Response } from 'express';
import { AppError, CLOCK, CurrentPrincipal, NoControlChars, Public, Roles, TokenService } from '#shared';
import type { Clock, Principal } from '#shared';
import { DASHBOARD_SETTINGS } from '../kpi-settings.js';
import type { DashboardSettings } from '../kpi-settings.js';
import { WarningsService } from '../warnings/warnings.service.js';
import { dashboardAssets } from './dashboard-assets.js';
import type { DashboardAsset } from './dashboard-assets.js';
import { DashboardHub } from './dashboard-hub.js';
import { dashboardScopeOf } from './dashboard-scope.js';
import { StreamClient } from './stream-client.js';
import { StreamTickets } from './stream-tickets.js';

export class AcknowledgeWarningDto {
  @ApiPropertyOptional({ example: '已通知企业排查换热站循环泵，30 分钟后复核', description: '处置说明（可选，最多 500 字）' })
  @IsOptional()
  @MaxLength(500, { message: '处置说明（note）最多 500 字' })
  @NoControlChars('处置说明（note）')
  @IsString({ message: '处置说明（note）必须是文字' })
  note?: string;
}

class TicketResponse {
  @ApiProperty({ description: '连接票据：签名、60 秒内有效、只能打开一次推送连接' }) ticket: string;
  @ApiProperty({ example: '2026-11-29T08:01:00.000Z' }) expiresAt: string;
  @ApiProperty({ example: '/api/v1/dashboard/stream?ticket=…', description: '用于 EventSource 的推送地址（已带票据）' }) streamUrl: string;
}

const CACHE_CONTROL: Record<DashboardAsset['cache'], string> = {
  immutable: 'public, max-age=31536000, immutable',
  week: 'public, max-age=604800',
  revalidate: 'no-cache',
};

/** The page's own policy: its script and ECharts from this server only, data from this server only. */
const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * 监测大屏 live monitoring: the page (plain HTML, one small script and ECharts, all served from
 * here: it works on an intranet without a CDN), its authenticated event stream, the current
 * picture as JSON, and the warnings an authority acknowledges.
 */
@ApiTags('dashboard 监测预警')
@Controller()
export class DashboardController {
  private readonly logger = new Logger('DashboardController');

  constructor(
    private readonly hub: DashboardHub,
    private readonly warnings: WarningsService,
    private readonly tickets: StreamTickets,
    private readonly tokens: TokenService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(DASHBOARD_SETTINGS) private readonly settings: DashboardSettings,
  ) {}

  @Get('dashboard')
  @Public()
  @ApiExcludeEndpoint()
  page(@Res() res: Response): void {
    const assets = dashboardAssets();
    res.set({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'content-security-policy': PAGE_POLICY, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
    res.send(assets.html);
  }

  @Get('dashboard/assets/:file')
  @Public()
  @ApiExcludeEndpoint()
  asset(@Param('file') file: string, @Req() req: Request, @Res() res: Response): void {
    const load = dashboardAssets().files.get(file);
    if (!load) throw new AppError('NOT_FOUND', `监测大屏没有文件 ${file}`, 404);
    const asset = load();
    const gzip = asset.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    res.set({
      'content-type': asset.contentType,
      'cache-control': CACHE_CONTROL[asset.cache],
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.send(gzip ? asset.gzip : asset.body);
  }

  @Post('api/v1/dashboard/tickets')
  @HttpCode(201)
  @Roles('authority', 'province')
  @ApiBearerAuth()
  @ApiOperation({
    summary: '用访问令牌换取推送连接票据',
    description: '浏览器的 EventSource 不能带请求头，令牌也不应出现在网址中：先以 Bearer 令牌换取票据（签名、短时有效、只能使用一次），再用 streamUrl 打开推送连接。',
  })
  @ApiOkResponse({ type: TicketResponse })
  ticket(@CurrentPrincipal() principal: Principal): TicketResponse {
    dashboardScopeOf(principal);
    const { ticket, expiresAt } = this.tickets.issue(principal, this.clock.now().getTime());
    return { ticket, expiresAt, streamUrl: `/api/v1/dashboard/stream?ticket=${encodeURIComponent(ticket)}` };
  }

  @Get('api/v1/dashboard/stream')
  @Public()
  @ApiOperation({
    summary: '监测大屏推送（Server-Sent Events）',
    description:
      '凭票据（?ticket=）或 Bearer 令牌连接。每条 snapshot 消息是本辖区的完整画面，id 为版本号（单调递增）；同一辖区最多每 500 毫秒推送一次。重连时带上 Last-Event-ID（或 ?lastEventId=）：版本未变则不重发，否则只发最新画面一次。连接满 30 分钟后服务端发送 reauth 事件并断开，页面换新票据重连。',
  })
  @ApiQuery({ name: 'ticket', required: false })
  @ApiQuery({ name: 'lastEventId', required: false })
  async stream(@Req() req: Request, @Res() res: Response, @Query('ticket') ticket?: string, @Query('lastEventId') lastEventIdParam?: string): Promise<void> {
    const principal = await this.streamPrincipal(req, ticket);
    const scope = dashboardScopeOf(principal);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    res.write('retry: 3000\n\n');
    const client = new StreamClient(res);
    const maxAge = setTimeout(() => client.reauth(), this.settings.streamMaxMinutes * 60_000);
    maxAge.unref();
    res.on('close', () => {
      clearTimeout(maxAge);
      this.hub.unsubscribe(scope, client);
    });
    const lastEventId = String(req.headers['last-event-id'] ?? lastEventIdParam ?? '') || undefined;
    try {
      await this.hub.subscribe(scope, client, lastEventId);
    } catch (error) {
      // The headers are out: end the stream, the page reconnects (with a new ticket).
      this.logger.error({ err: error }, 'could not open a dashboard stream');
      client.end();
    }
  }

  @Get('api/v1/dashboard/snapshot')
  @Roles('authority', 'province')
  @ApiBearerAuth()
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: '本辖区监测画面（JSON，与推送消息相同）',
    description:
      '今日受理（按类别、按小时）、在办与超期件数、各市（或各区县）负荷、热点小区与换热站、今日诉求热词、本月累计五项指标、进行中的停供事件、预警。省级看全省，市级主管单位看本市，区县主管单位看本区县。',
  })
  async snapshot(@CurrentPrincipal() principal: Principal) {
    return this.hub.snapshot(dashboardScopeOf(principal));
  }

  @Get('api/v1/dashboard/warnings')
  @Roles('authority', 'province')
  @ApiBearerAuth()
  @ApiOperation({ summary: '本辖区的预警（新的在前）', description: 'status=active 只列未确认的；days 为回看天数（1–90，默认 1）。每条预警都写明触发原因。' })
  @ApiQuery({ name: 'status', required: false, enum: ['active', 'all'] })
  @ApiQuery({ name: 'days', required: false, example: 1 })
  async list(@CurrentPrincipal() principal: Principal, @Query('status') status?: string, @Query('days') days?: string) {
    const scope = dashboardScopeOf(principal);
    if (status !== undefined && status !== 'active' && status !== 'all') {
      throw new AppError('VALIDATION_FAILED', `状态（status）只能是 active（未确认）或 all（全部），收到“${status}”`, 400, 'status');
    }
    const n = days === undefined || days === '' ? 1 : Number(days);
    if (!/^\d+$/.test(days ?? '1') || n < 1 || n > 90) throw new AppError('VALIDATION_FAILED', '回看天数（days）应为 1 到 90 之间的整数', 400, 'days');
    return this.warnings.list(scope, new Date(this.clock.now().getTime() - n * 24 * 3600 * 1000), status === 'active');
  }

  @Post('api/v1/dashboard/warnings/:id/acknowledge')
  @HttpCode(200)
  @Roles('authority', 'province')
  @ApiBearerAuth()
  @ApiOperation({
    summary: '确认预警（主管单位确认本辖区的预警，省级可确认任何预警）',
    description: '确认后推送到所有打开的监测大屏，并发布 warning.acknowledged 事件。不在辖区内的预警按不存在处理（404）；已确认的再确认为 409。',
  })
  async acknowledge(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: AcknowledgeWarningDto) {
    return this.warnings.acknowledge(principal, dashboardScopeOf(principal), id, body.note?.trim() || undefined);
  }

  /** A valid, unused ticket — or, for clients that can send headers, a bearer token. */
  private async streamPrincipal(req: Request, ticket: string | undefined): Promise<Principal> {
    const fromTicket = this.tickets.redeem(ticket, this.clock.now().getTime());
    if (fromTicket) return fromTicket;
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? await this.tokens.verify(header.slice(7).trim()) : null;
    if (bearer) return bearer;
    throw new AppError(
      'DASHBOARD_UNAUTHENTICATED',
      ticket
        ? '监测大屏连接票据无效、已过期或已被使用：请重新用访问令牌换取票据（POST /api/v1/dashboard/tickets）后再连接'
        : '监测大屏连接需要身份验证：请先用访问令牌换取连接票据（POST /api/v1/dashboard/tickets），再带 ?ticket= 连接',
      401,
      'ticket',
    );
  }
}
