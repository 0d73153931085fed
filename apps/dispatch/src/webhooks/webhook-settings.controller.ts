import { randomBytes } from 'node:crypto';
import { Body, Controller, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsUrl } from 'class-validator';
import { DataSource } from 'typeorm';
import { AppError, CurrentPrincipal, Roles } from '#shared';
import type { Principal } from '#shared';
import { Company } from '../registry/registry.entities.js';

export class SetWebhookDto {
  @ApiProperty({ example: 'https://duty.example-heating.cn/hooks/cases' })
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: '回调地址（url）必须是 http(s):// 开头的完整网址' })
  url: string;
}

export class WebhookSettingsView {
  @ApiProperty() url: string;
  @ApiProperty({ description: 'Standard Webhooks 签名密钥（whsec_…），仅本次返回，请妥善保存' }) secret: string;
}

/** A company registers where its cases are pushed; it can always pull them through the API too. */
@ApiTags('webhooks 企业推送')
@ApiBearerAuth()
@Controller('api/v1/companies/me/webhook')
export class WebhookSettingsController {
  constructor(private readonly dataSource: DataSource) {}

  @ApiOperation({ summary: '设置本企业接收工单的回调地址；返回新的签名密钥' })
  @ApiOkResponse({ type: WebhookSettingsView })
  @Put()
  @Roles('company')
  async set(@CurrentPrincipal() principal: Principal, @Body() dto: SetWebhookDto): Promise<WebhookSettingsView> {
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const result = await this.dataSource.getRepository(Company).update({ id: principal.unitId ?? '' }, { webhookUrl: dto.url, webhookSecret: secret });
    if (!result.affected) throw new AppError('COMPANY_NOT_FOUND', '令牌所属企业未在登记册中，请联系主管单位', 404);
    return { url: dto.url, secret };
  }
}
