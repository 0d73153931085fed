import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { AppError, normalizeMainlandMobile, Roles } from '#shared';
import { SurveysService } from '../surveys/surveys.service.js';

export class ConsoleReplyDto {
  @ApiProperty({ example: '13812345678', description: '回复短信的手机号' })
  @IsString({ message: '手机号（phone）必须是文本' })
  phone: string;

  @ApiProperty({ example: '1 谢谢', description: '短信内容' })
  @MaxLength(500, { message: '短信内容（text）最多 500 字' })
  @IsString({ message: '短信内容（text）必须是文本' })
  text: string;
}

/** The console SMS gateway's inbound side: play a resident replying — the same path a provider's reply callback takes. */
@ApiTags('sms 短信（控制台网关）')
@ApiBearerAuth()
@Roles('province')
@Controller('api/v1/sms')
export class ConsoleRepliesController {
  constructor(private readonly surveys: SurveysService) {}

  @ApiOperation({ summary: '模拟居民回复短信（控制台网关）' })
  @Post('console/replies')
  @HttpCode(200)
  async reply(@Body() dto: ConsoleReplyDto): Promise<{ outcome: string }> {
    const phone = normalizeMainlandMobile(dto.phone);
    if (!phone) throw new AppError('INVALID_PHONE', '手机号（phone）必须是 11 位中国大陆手机号', 400, 'phone');
    return { outcome: await this.surveys.onReply(phone, dto.text) };
  }
}
