import { randomBytes } from 'node:crypto';
import { Body, Controller, Get, Inject, Logger, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsString, IsUrl, MaxLength } from 'class-validator';
import { AppError, CurrentPrincipal, Roles } from '#shared';
import type { Principal } from '#shared';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { endpointState, WebhookEndpoints } from './webhook-endpoints.js';
import type { EndpointState, WebhookEndpoint } from './webhook-endpoints.js';
import { WEBHOOK_SETTINGS } from './webhook-settings.js';
import type { WebhookDeliverySettings } from './webhook-settings.js';
import { checkWebhookTarget, rangeNameZh } from './webhook-target-guard.js';

export class SetWebhookDto {
  @ApiProperty({ example: 'https://duty.example-heating.cn/hooks/cases' })
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: '回调地址（url）必须是 http(s):// 开头的完整网址' })
  @MaxLength(2000, { message: '回调地址（url）最多 2000 个字符' })
  @IsString({ message: '回调地址（url）必须是文本' })
  url: string;
}

export class WebhookSettingsView {
  @ApiProperty() url: string;
  @ApiProperty({ description: 'Standard Webhooks 签名密钥（whsec_…），仅本次返回，请妥善保存' }) secret: string;
}

const STATE_TEXT: Record<EndpointState, string> = {
  active: '推送中',
  disabled: '已停用（重新设置回调地址即可恢复）',
  not_configured: '未设置回调地址（通过接口拉取工单）',
};

export class WebhookEndpointView {
  @ApiPropertyOptional({ type: String, nullable: true, description: '回调地址；未设置时为 null' }) url: string | null;
  @ApiProperty({ enum: ['active', 'disabled', 'not_configured'] }) status: EndpointState;
  @ApiProperty({ example: '推送中' }) statusText: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: '停用时间（接收方返回 HTTP 410）' }) disabledAt: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: '停用原因' }) disabledReason: string | null;
}

export function toEndpointView(e: WebhookEndpoint): WebhookEndpointView {
  const status = endpointState(e);
  return {
    url: e.url,
    status,
    statusText: STATE_TEXT[status],
    disabledAt: status === 'disabled' ? e.disabledAt!.toISOString() : null,
    disabledReason: status === 'disabled' ? e.disabledReason : null,
  };
}

/** A company registers where its cases are pushed; it can always pull them through the API too. */
@ApiTags('webhooks 企业推送')
@ApiBearerAuth()
@Controller('api/v1/companies/me/webhook')
export class WebhookSettingsController {
  private readonly logger = new Logger('WebhookSettings');

  constructor(
    private readonly endpoints: WebhookEndpoints,
    private readonly dispatcher: WebhookDispatcher,
    @Inject(WEBHOOK_SETTINGS) private readonly settings: WebhookDeliverySettings,
  ) {}

  @ApiOperation({ summary: '本企业回调地址及状态（推送中 / 已停用及原因 / 未设置）；不返回签名密钥' })
  @ApiOkResponse({ type: WebhookEndpointView })
  @Get()
  @Roles('company')
  async get(@CurrentPrincipal() principal: Principal): Promise<WebhookEndpointView> {
    const endpoint = await this.endpoints.get(principal.unitId ?? '');
    if (!endpoint) throw companyNotFound();
    return toEndpointView(endpoint);
  }

  @ApiOperation({
    summary: '设置本企业接收工单的回调地址；返回新的签名密钥。已停用的回调地址（HTTP 410）重新设置后恢复推送',
    description: '地址须为公网可访问地址：指向本机、内网、链路本地（含云元数据）、运营商级 NAT 等地址的会被拒绝。',
  })
  @ApiOkResponse({ type: WebhookSettingsView })
  @Put()
  @Roles('company')
  async set(@CurrentPrincipal() principal: Principal, @Body() dto: SetWebhookDto): Promise<WebhookSettingsView> {
    if (!this.settings.allowPrivateTargets) await this.refusePrivateTarget(dto.url);
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const companyId = principal.unitId ?? '';
    if (!(await this.endpoints.set(companyId, dto.url, secret))) throw companyNotFound();
    this.logger.log(`company ${companyId} set its webhook endpoint (${new URL(dto.url).origin})`);
    await this.dispatcher.forgetCompany(companyId);
    this.dispatcher.kick();
    return { url: dto.url, secret };
  }

  private async refusePrivateTarget(url: string): Promise<void> {
    const check = await checkWebhookTarget(url);
    if (check.ok) return;
    if (check.kind === 'blocked') {
      throw new AppError(
        'WEBHOOK_URL_NOT_ALLOWED',
        `回调地址（url）指向${rangeNameZh(check.range)}（${check.address}），平台不向本机、内网或保留地址推送，请填写公网可访问的地址`,
        400,
        'url',
      );
    }
    throw new AppError('WEBHOOK_URL_UNRESOLVABLE', `回调地址（url）中的域名 ${check.host} 无法解析（${check.reason}），请确认域名已生效后重试`, 400, 'url');
  }
}

function companyNotFound(): AppError {
  return new AppError('COMPANY_NOT_FOUND', '令牌所属企业未在登记册中，请联系主管单位', 404);
}
