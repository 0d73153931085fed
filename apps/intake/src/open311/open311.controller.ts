import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource, In } from 'typeorm';
import { AppError, CATEGORY_LABELS, Public, RateLimit, SERVICE_CONFIG, TokenService } from '#shared';
import type { ServiceConfig } from '#shared';
import { Complaint } from '../complaints/complaint.entity.js';
import { ComplaintsService } from '../complaints/complaints.service.js';
import { StatusEntry } from '../status/status-entry.entity.js';
import { isOpen311Service, open311Attributes, open311Services } from './open311-catalog.js';
import { Open311ErrorFilter } from './open311-error.filter.js';
import { renderOpen311, renderOpen311Object } from './open311-format.js';
import type { Open311Format } from './open311-format.js';
import { toComplaintInput } from './open311-request.js';

const CLOSED = new Set(['closed', 'rated', 'answered']);
const MAX_RESULTS = 1000;

function formatOf(format: string): Open311Format {
  if (format === 'json' || format === 'xml') return format;
  throw new AppError('UNKNOWN_FORMAT', '格式只能是 .json 或 .xml', 404, 'format');
}

function send(res: Response, format: Open311Format, root: string, item: string, items: object[]): void {
  const { type, body } = renderOpen311(format, root, item, items);
  res.type(type).send(body);
}

/**
 * Open311 GeoReport v2, so existing civic apps can file heating reports. Clients authenticate with
 * an api_key (OPEN311_API_KEYS); filing also needs the resident's phone-verification token.
 * A client lists only the requests it filed itself (no personal data leaves through this face).
 */
@ApiTags('open311 GeoReport v2')
@Public()
@RateLimit({ policy: 'publicIp', by: 'ip' })
@UseFilters(Open311ErrorFilter)
@Controller('open311/v2')
export class Open311Controller {
  constructor(
    private readonly complaints: ComplaintsService,
    private readonly tokens: TokenService,
    private readonly dataSource: DataSource,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
  ) {}

  @Get('services.:format')
  @ApiOperation({ summary: 'GeoReport v2: 服务列表（问题分类）' })
  @ApiParam({ name: 'format', enum: ['json', 'xml'] })
  services(@Param('format') format: string, @Res() res: Response): void {
    send(res, formatOf(format), 'services', 'service', open311Services());
  }

  @Get('services/:code.:format')
  @ApiOperation({ summary: 'GeoReport v2: 服务定义（属性：小区、地址、室温、未供热天数）' })
  @ApiParam({ name: 'format', enum: ['json', 'xml'] })
  service(@Param('code') code: string, @Param('format') format: string, @Res() res: Response): void {
    const f = formatOf(format);
    if (!isOpen311Service(code)) throw new AppError('UNKNOWN_SERVICE', `服务代码 ${code} 不存在`, 404, 'service_code');
    const { type, body } = renderOpen311Object(f, 'service_definition', { service_code: code, attributes: open311Attributes(code) });
    res.type(type).send(body);
  }

  @Post('requests.:format')
  @HttpCode(200)
  @ApiOperation({ summary: 'GeoReport v2: 提交诉求（表单或 JSON；需 api_key 与手机验证令牌 token）' })
  @ApiParam({ name: 'format', enum: ['json', 'xml'] })
  async create(
    @Param('format') format: string,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
    @Headers('authorization') authorization?: string,
  ): Promise<void> {
    const f = formatOf(format);
    const client = this.client(body?.api_key);
    const bearer = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
    const token = typeof body?.token === 'string' ? body.token : bearer;
    const resident = token ? await this.tokens.verify(token) : null;
    if (!resident || resident.role !== 'resident' || !resident.phone) {
      throw new AppError('VERIFICATION_REQUIRED', '需要手机号验证令牌（token）：请先通过短信验证码验证手机号', 401, 'token');
    }
    const input = await toComplaintInput(body ?? {}, resident.phone, client);
    const result = await this.complaints.record(input);
    const notice =
      result.outcome === 'duplicate'
        ? '您反映的同一问题已有在办工单，已合并到该工单继续办理'
        : '已受理，将转交负责该小区的供热企业办理（一般问题 3 个自然日内办结）';
    send(res, f, 'service_requests', 'request', [{ service_request_id: result.view.caseNumber, service_notice: notice, account_id: null }]);
  }

  @Get('requests.:format')
  @ApiOperation({ summary: 'GeoReport v2: 查询本客户端提交的诉求（需 api_key）' })
  @ApiParam({ name: 'format', enum: ['json', 'xml'] })
  async list(@Param('format') format: string, @Query() query: Record<string, unknown>, @Res() res: Response): Promise<void> {
    const f = formatOf(format);
    const client = this.client(query.api_key);
    const qb = this.dataSource.getRepository(Complaint).createQueryBuilder('c').where('c.recorded_by = :by', { by: `open311:${client}` });
    if (typeof query.service_request_id === 'string' && query.service_request_id) {
      const ids = query.service_request_id.split(',').map((s) => s.trim()).filter(Boolean).slice(0, 50);
      qb.andWhere('c.case_number IN (:...ids)', { ids });
    } else {
      const end = this.date(query.end_date, 'end_date') ?? new Date();
      const start = this.date(query.start_date, 'start_date') ?? new Date(end.getTime() - 90 * 24 * 3600 * 1000);
      qb.andWhere('c.received_at BETWEEN :start AND :end', { start, end });
      if (typeof query.service_code === 'string' && query.service_code) {
        qb.andWhere('c.category IN (:...codes)', { codes: query.service_code.split(',') });
      }
      if (query.status === 'open') qb.andWhere('c.status NOT IN (:...closed)', { closed: [...CLOSED] });
      else if (query.status === 'closed') qb.andWhere('c.status IN (:...closed)', { closed: [...CLOSED] });
      else if (query.status !== undefined && query.status !== '') {
        throw new AppError('VALIDATION_FAILED', '状态（status）只能是 open 或 closed', 400, 'status');
      }
    }
    send(res, f, 'service_requests', 'request', await this.toRequests(await qb.orderBy('c.received_at', 'DESC').take(MAX_RESULTS).getMany()));
  }

  @Get('requests/:id.:format')
  @ApiOperation({ summary: 'GeoReport v2: 查询单个诉求（需 api_key）' })
  @ApiParam({ name: 'format', enum: ['json', 'xml'] })
  async one(@Param('id') id: string, @Param('format') format: string, @Query('api_key') apiKey: unknown, @Res() res: Response): Promise<void> {
    const f = formatOf(format);
    const client = this.client(apiKey);
    const c = await this.dataSource.getRepository(Complaint).findOneBy({ caseNumber: id, recordedBy: `open311:${client}` });
    if (!c) throw new AppError('CASE_NOT_FOUND', `未找到诉求 ${id}`, 404, 'service_request_id');
    send(res, f, 'service_requests', 'request', await this.toRequests([c]));
  }

  private client(apiKey: unknown): string {
    const client = typeof apiKey === 'string' ? this.config.open311ApiKeys.get(apiKey) : undefined;
    if (!client) throw new AppError('INVALID_API_KEY', '缺少或无效的 api_key，请向省级平台申请', 401, 'api_key');
    return client;
  }

  private date(value: unknown, field: string): Date | undefined {
    if (value === undefined || value === '') return undefined;
    const d = typeof value === 'string' ? new Date(value) : new Date(NaN);
    // Years outside 1–9999 parse in JavaScript but are no W3C datetime (and PostgreSQL refuses some of them).
    if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1 || d.getUTCFullYear() > 9999) {
      throw new AppError('VALIDATION_FAILED', `${field} 必须是 W3C 时间格式（公元 1–9999 年），例如 2026-11-29T08:00:00+08:00`, 400, field);
    }
    return d;
  }

  private async toRequests(complaints: Complaint[]): Promise<object[]> {
    const history = complaints.length
      ? await this.dataSource.getRepository(StatusEntry).find({ where: { complaintId: In(complaints.map((c) => c.id)) }, order: { at: 'ASC', id: 'ASC' } })
      : [];
    return complaints.map((c) => {
      const latest = history.filter((h) => h.complaintId === c.id).at(-1);
      return {
        service_request_id: c.caseNumber,
        status: CLOSED.has(c.status) ? 'closed' : 'open',
        status_notes: latest?.text ?? '',
        service_name: CATEGORY_LABELS[c.category],
        service_code: c.category,
        description: c.description,
        agency_responsible: c.companyId ?? '',
        service_notice: '',
        requested_datetime: c.receivedAt.toISOString(),
        updated_datetime: c.updatedAt.toISOString(),
        expected_datetime: '',
        address: `${c.communityName} ${c.street}`,
        address_id: '',
        zipcode: '',
        lat: c.latitude ?? '',
        long: c.longitude ?? '',
        media_url: '',
      };
    });
  }
}
