import { Body, Controller, DefaultValuePipe, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { DataSource } from 'typeorm';
import { AppError, maskPhone, normalizeMainlandMobile, parseIntQuery, Roles } from '#shared';
import { SmsMessage } from '#shared';
import { SurveysService } from '../surveys/surveys.service.js';

export class ConsoleReplyDto {
  @ApiProperty({ example: '13812345678', description: '回复短信的手机号' })
  @IsString({ message: '手机号（phone）必须是文本' })
  phone: string;

  @ApiProperty({ example: '1 谢谢', description: '短信内容' })
  @IsString({ message: '短信内容（text）必须是文本' })
  @MaxLength(500, { message: '短信内容（text）最多 500 字' })
  text: string;
}

export class SmsMessageView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['out', 'in'] }) direction: string;
  @ApiProperty({ example: '138****5678' }) phone: string;
  @ApiProperty() text: string;
  @ApiProperty() status: string;
  @ApiProperty() at: string;
}

/**
 * The console SMS gateway's face: read what was "sent", and play a resident replying — the same
 * path a provider's reply callback takes.
 */
@ApiTags('sms 短信（控制台网关）')
@ApiBearerAuth()
@Roles('province')
@Controller('api/v1/sms')
export class ConsoleRepliesController {
  constructor(
    private readonly surveys: SurveysService,
    private readonly dataSource: DataSource,
  ) {}

  @Get('messages')
  @ApiOperation({ summary: '最近的短信（发出与收到），号码脱敏' })
  @ApiOkResponse({ type: [SmsMessageView] })
  async messages(@Query('limit', new DefaultValuePipe(50), parseIntQuery('limit', '数量')) limit: number): Promise<SmsMessageView[]> {
    const rows = await this.dataSource.getRepository(SmsMessage).find({ order: { id: 'DESC' }, take: Math.min(Math.max(limit, 1), 500) });
    return rows.map((m) => ({ id: m.id, direction: m.direction, phone: maskPhone(m.phone), text: m.text, status: m.status, at: m.at.toISOString() }));
  }

  @Post('console/replies')
  @HttpCode(200)
  @ApiOperation({ summary: '模拟居民回复短信（控制台网关）' })
  async reply(@Body() dto: ConsoleReplyDto): Promise<{ outcome: string }> {
    const phone = normalizeMainlandMobile(dto.phone);
    if (!phone) throw new AppError('INVALID_PHONE', '手机号（phone）必须是 11 位中国大陆手机号', 400, 'phone');
    return { outcome: await this.surveys.onReply(phone, dto.text) };
  }
}
