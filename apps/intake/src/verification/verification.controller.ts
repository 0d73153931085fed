import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import type { Request } from 'express';
import { AppError, Public, RateLimit } from '#shared';
import { VerificationService } from './verification.service.js';

export class RequestCodeDto {
  @ApiProperty({ example: '13812345678', description: '中国大陆手机号' })
  @IsString({ message: '手机号（phone）必须是文本' })
  phone: string;
}

export class ConfirmCodeDto {
  @ApiProperty({ example: '123456', description: '短信收到的 6 位验证码' })
  @Matches(/^\d{6}$/, { message: '验证码（code）必须是 6 位数字' })
  code: string;
}

class CodeRequestedView {
  @ApiProperty() verificationId: string;
  @ApiProperty({ example: 300 }) expiresInSeconds: number;
  @ApiProperty({ example: 60 }) resendAfterSeconds: number;
}

class VerifiedView {
  @ApiProperty({ description: '居民令牌（2 小时有效），用于网站/App 提交与查询诉求' }) token: string;
  @ApiProperty({ example: 7200 }) expiresInSeconds: number;
  @ApiProperty({ example: '138****5678' }) phone: string;
}

const uuid = new ParseUUIDPipe({
  exceptionFactory: () => new AppError('VERIFICATION_NOT_FOUND', '验证请求编号（verificationId）格式不正确，请重新获取验证码', 400, 'verificationId'),
});

/** 实名: residents prove they hold the phone before filing by web or app. */
@ApiTags('verification 手机号验证')
@Public()
@Controller('api/v1/verifications')
export class VerificationController {
  constructor(private readonly verification: VerificationService) {}

  @Post()
  @HttpCode(202)
  @RateLimit({ policy: 'verificationSendIp', by: 'ip' }, { policy: 'verificationSendPhone', by: 'phone' })
  @ApiOperation({ summary: '获取短信验证码（6 位，5 分钟有效；60 秒内不可重发，每号每日最多 10 次）' })
  @ApiAcceptedResponse({ type: CodeRequestedView })
  request(@Body() dto: RequestCodeDto, @Req() req: Request) {
    return this.verification.requestCode(dto.phone, req.ip ?? 'unknown');
  }

  @Post(':verificationId/confirm')
  @HttpCode(200)
  @RateLimit({ policy: 'verificationConfirmIp', by: 'ip' })
  @ApiOperation({ summary: '提交验证码，成功后返回居民令牌（错误 5 次作废）' })
  @ApiOkResponse({ type: VerifiedView })
  confirm(@Param('verificationId', uuid) verificationId: string, @Body() dto: ConfirmCodeDto) {
    return this.verification.confirm(verificationId, dto.code);
  }
}
