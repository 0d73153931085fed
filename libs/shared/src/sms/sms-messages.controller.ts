import { Controller, DefaultValuePipe, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { Roles } from '../auth/auth.guard.js';
import { parseIntQuery } from '../http/validation.js';
import { maskPhone } from '../phone/phone.js';
import { PHONE_VAULT } from '../phone/phone-vault.js';
import type { PhoneVault } from '../phone/phone-vault.js';
import { SmsMessage } from './sms-message.entity.js';

export class SmsMessageView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['out', 'in'] }) direction: string;
  @ApiProperty({ example: '138****5678' }) phone: string;
  @ApiProperty() text: string;
  @ApiProperty({ enum: ['pending', 'sent', 'failed', 'received'] }) status: string;
  @ApiProperty({ nullable: true, type: String, description: '发出短信的模板（SMS_TEMPLATES 的键），收到的短信为 null' }) template: string | null;
  @ApiProperty({ nullable: true, type: String, description: '最近一次发送失败的原因（短信服务商的错误码与说明）' }) lastError: string | null;
  @ApiProperty() at: string;
}

/** What this service texted (and received): the console gateway's mailbox, and an audit trail. */
@ApiTags('sms 短信')
@ApiBearerAuth()
@Roles('province')
@Controller('api/v1/sms')
export class SmsMessagesController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(PHONE_VAULT) private readonly vault: PhoneVault,
  ) {}

  @Get('messages')
  @ApiOperation({ summary: '本服务最近发出与收到的短信（号码脱敏）' })
  @ApiOkResponse({ type: [SmsMessageView] })
  async messages(@Query('limit', new DefaultValuePipe(50), parseIntQuery('limit', '数量')) limit: number): Promise<SmsMessageView[]> {
    const rows = await this.dataSource.getRepository(SmsMessage).find({ order: { id: 'DESC' }, take: Math.min(Math.max(limit, 1), 500) });
    return rows.map((m) => ({ id: m.id, direction: m.direction, phone: this.masked(m.phoneEnc), text: m.text, status: m.status, template: m.template ?? null, lastError: m.lastError ?? null, at: m.at.toISOString() }));
  }

  /** The number as this list shows it (138****5678); `***` when its key is no longer configured. */
  private masked(phoneEnc: string): string {
    try {
      return maskPhone(this.vault.open(phoneEnc));
    } catch {
      return '***';
    }
  }
}
