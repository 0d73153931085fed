import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AppError, CurrentPrincipal, Roles } from '#shared';
import type { Principal } from '#shared';
import { DELIVERY_STATUSES } from './webhook-delivery.entity.js';
import type { DeliveryStatus } from './webhook-delivery.entity.js';
import { WebhookDeliveries } from './webhook-deliveries.service.js';
import type { DeliveryRecord } from './webhook-deliveries.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class WebhookAttemptView {
  @ApiProperty() attempt: number;
  @ApiProperty({ description: '发送时间' }) at: string;
  @ApiPropertyOptional({ type: Number, nullable: true, description: '接收方返回的 HTTP 状态码；未收到应答为 null' }) statusCode: number | null;
  @ApiProperty({ description: '耗时（毫秒）' }) durationMs: number;
  @ApiPropertyOptional({ type: String, nullable: true, description: '失败原因；成功为 null' }) error: string | null;
}

export class WebhookDeliveryView {
  @ApiProperty({ description: '消息编号，即 webhook-id 请求头' }) id: string;
  @ApiProperty() companyId: string;
  @ApiProperty() caseId: string;
  @ApiProperty({ example: 'case.dispatched' }) type: string;
  @ApiProperty({ enum: DELIVERY_STATUSES, description: 'pending 待推送/重试中，delivered 已送达，failed 已放弃' }) status: DeliveryStatus;
  @ApiProperty({ description: '推送内容 {type, timestamp, data}；主管单位和省平台看到的手机号已脱敏' }) payload: Record<string, unknown>;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: '下次尝试时间（仅 pending）' }) nextAttemptAt: string | null;
  @ApiProperty({ description: '已由发送进程领取，正在发送或即将发送' }) inFlight: boolean;
  @ApiPropertyOptional({ type: String, nullable: true }) deliveredAt: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) lastError: string | null;
  @ApiProperty({ type: [WebhookAttemptView], description: '每次尝试，按先后' }) attempts: WebhookAttemptView[];
}

function toView(d: DeliveryRecord): WebhookDeliveryView {
  return {
    ...d,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    attempts: d.attempts.map((a) => ({ ...a, at: a.at.toISOString() })),
  };
}

/** The push log: every delivery and attempt, for the company, its authority and the province; manual redelivery. */
@ApiTags('webhooks 企业推送')
@ApiBearerAuth()
@Controller('api/v1/webhooks/deliveries')
export class WebhookDeliveriesController {
  constructor(private readonly deliveries: WebhookDeliveries) {}

  @Get()
  @Roles('company', 'authority', 'province')
  @ApiOperation({ summary: '推送记录及每次尝试：企业只见本企业，主管单位只见辖区企业，省平台可见全部；新的在前' })
  @ApiQuery({ name: 'caseId', required: false })
  @ApiQuery({ name: 'status', required: false, enum: DELIVERY_STATUSES })
  @ApiQuery({ name: 'companyId', required: false })
  @ApiQuery({ name: 'limit', required: false, description: '1–200，默认 50' })
  @ApiOkResponse({ type: [WebhookDeliveryView] })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query('caseId') caseId?: string,
    @Query('status') status?: string,
    @Query('companyId') companyId?: string,
    @Query('limit') limit?: string,
  ): Promise<WebhookDeliveryView[]> {
    if (caseId !== undefined && !UUID.test(caseId)) {
      throw new AppError('INVALID_CASE_ID', '工单编号（caseId）格式不正确，应为 UUID', 400, 'caseId');
    }
    if (status !== undefined && !DELIVERY_STATUSES.includes(status as DeliveryStatus)) {
      throw new AppError('INVALID_STATUS', `推送状态（status）不正确，可选：${DELIVERY_STATUSES.join('、')}`, 400, 'status');
    }
    if (companyId !== undefined && !/^[\w-]{1,64}$/.test(companyId)) {
      throw new AppError('INVALID_COMPANY_ID', '企业编号（companyId）格式不正确', 400, 'companyId');
    }
    const take = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(take) || take < 1 || take > 200) {
      throw new AppError('INVALID_LIMIT', '条数（limit）必须是 1 到 200 之间的整数', 400, 'limit');
    }
    const rows = await this.deliveries.list(principal, { caseId, status: status as DeliveryStatus | undefined, companyId, limit: take });
    return rows.map(toView);
  }

  @Post(':id/redeliver')
  @HttpCode(202)
  @Roles('company', 'authority', 'province')
  @ApiOperation({ summary: '重新推送：立即再尝试一次（此后按重试计划），保留以往尝试记录' })
  @ApiAcceptedResponse({ type: WebhookDeliveryView })
  async redeliver(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<WebhookDeliveryView> {
    return toView(await this.deliveries.redeliver(principal, id));
  }
}
