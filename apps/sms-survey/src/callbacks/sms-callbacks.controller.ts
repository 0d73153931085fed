import { Body, Controller, HttpCode, Logger, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { maskPhonesInText, Public, RateLimit } from '#shared';
import { CallbackAuth } from './callback-auth.js';
import { InboundRepliesService, InboundUnavailable } from './inbound-replies.service.js';
import { MalformedCallbackBody, parseAliyunCallback, parseTencentCallback } from './provider-formats.js';
import type { CallbackProvider, ParsedCallback } from './provider-formats.js';

/** The answers each provider expects: Aliyun `{code, msg}` (code 0 = received), Tencent `{result, errmsg}` (result 0 = OK). */
export const CALLBACK_ANSWERS = {
  aliyun: { ok: { code: 0, msg: '接收成功' }, refuse: (status: number, msg: string) => ({ code: status, msg }) },
  tencent: { ok: { result: 0, errmsg: 'OK' }, refuse: (status: number, msg: string) => ({ result: status, errmsg: msg }) },
} as const;

export const CALLBACK_REFUSALS = {
  wrong_token: [401, '回调认证失败'],
  not_configured: [401, '回调未开启：未设置 SMS_CALLBACK_TOKEN'],
  address_not_allowed: [403, '来源地址不在回调白名单内'],
  malformed: [400, '请求体格式不正确'],
  too_large: [413, '请求体过大'],
  unavailable: [503, '系统暂时无法保存，请稍后重发'],
} as const satisfies Record<string, readonly [number, string]>;

export type CallbackRefusal = keyof typeof CALLBACK_REFUSALS;

/** The provider-format refusal, as status and body. */
export function refusal(provider: CallbackProvider, why: CallbackRefusal): [number, object] {
  const [status, msg] = CALLBACK_REFUSALS[why];
  return [status, CALLBACK_ANSWERS[provider].refuse(status, msg)];
}

/**
 * Residents' replies pushed by the SMS providers (docs/sms.md). Public: authenticated by the
 * secret path token and the optional address allow-list. Every answer is in the provider's own
 * format, never a 500: success only once every valid reply is stored, 503 when the database
 * cannot take them (the provider delivers again; redeliveries are recognised).
 */
@ApiTags('sms 短信（服务商回调）')
@Public()
@Controller('api/v1/sms/callbacks')
export class SmsCallbacksController {
  private readonly logger = new Logger('SmsCallbacks');

  constructor(
    private readonly auth: CallbackAuth,
    private readonly inbound: InboundRepliesService,
  ) {}

  @Post('aliyun/:token')
  @HttpCode(200)
  @RateLimit({ policy: 'smsCallbackIp', by: 'ip', answer: (r) => CALLBACK_ANSWERS.aliyun.refuse(429, r.message) })
  @ApiOperation({ summary: '阿里云上行短信（SmsUp）推送：居民回复', description: '在阿里云短信控制台「上行短信」HTTP 批量推送中登记此地址（含密钥 token）。' })
  @ApiParam({ name: 'token', description: 'SMS_CALLBACK_TOKEN' })
  @ApiBody({ schema: { type: 'array', items: { type: 'object', example: { phone_number: '13812345678', content: '1', send_time: '2026-11-29 10:00:00', dest_code: '1234', sequence_id: 1234567890, sign_name: '供热直通车' } } } })
  @ApiOkResponse({ schema: { example: CALLBACK_ANSWERS.aliyun.ok } })
  async aliyun(@Param('token') token: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<object> {
    return this.handle('aliyun', token, body, req, res);
  }

  @Post('tencent/:token')
  @HttpCode(200)
  @RateLimit({ policy: 'smsCallbackIp', by: 'ip', answer: (r) => CALLBACK_ANSWERS.tencent.refuse(429, r.message) })
  @ApiOperation({ summary: '腾讯云回复短信回调：居民回复', description: '在腾讯云短信控制台「回调配置 → 回复短信回调」中登记此地址（含密钥 token）。' })
  @ApiParam({ name: 'token', description: 'SMS_CALLBACK_TOKEN' })
  @ApiBody({ schema: { type: 'object', example: { extend: '', mobile: '13812345678', nationcode: '86', sign: '供热直通车', text: '1', time: 1795950000 } } })
  @ApiOkResponse({ schema: { example: CALLBACK_ANSWERS.tencent.ok } })
  async tencent(@Param('token') token: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<object> {
    return this.handle('tencent', token, body, req, res);
  }

  private async handle(provider: CallbackProvider, token: string, body: unknown, req: Request, res: Response): Promise<object> {
    const refuse = (why: CallbackRefusal): object => {
      const [status, answer] = refusal(provider, why);
      res.status(status);
      return answer;
    };
    const authenticated = this.auth.check(token, req.ip);
    if (authenticated !== 'ok') {
      this.logger.warn(`${provider} callback refused (${authenticated}) from ${req.ip ?? 'unknown address'}`);
      return refuse(authenticated);
    }
    let parsed: ParsedCallback;
    try {
      parsed = provider === 'aliyun' ? parseAliyunCallback(body) : parseTencentCallback(body);
    } catch (error) {
      if (!(error instanceof MalformedCallbackBody)) {
        this.logger.error(`${provider} callback answered 503, reading it failed: ${maskPhonesInText((error as Error)?.stack ?? String(error))}`);
        return refuse('unavailable');
      }
      this.logger.warn(`${provider} callback refused (malformed body: ${error.message}) from ${req.ip ?? 'unknown address'}`);
      return refuse('malformed');
    }
    for (const reason of parsed.skipped) this.logger.warn(`${provider} callback: ${reason}, skipped`);
    try {
      const counts = await this.inbound.receive(provider, parsed.replies);
      const truncated = parsed.replies.filter((r) => r.truncated).length;
      this.logger.log(
        `${provider} callback: ${counts.handled} handled, ${counts.duplicate} already received, ${counts.rejected} kept but not applied (not a mainland +86 mobile), ` +
          `${counts.failed} failed, ${parsed.skipped.length} malformed skipped${truncated ? `, ${truncated} cut to 500 characters` : ''}`,
      );
      return CALLBACK_ANSWERS[provider].ok;
    } catch (error) {
      // Never a 500 for a provider: whatever went wrong, it delivers again and the redelivery is recognised.
      const what = error instanceof InboundUnavailable ? error.message : `unexpected error: ${(error as Error)?.stack ?? String(error)}`;
      this.logger.error(`${provider} callback answered 503, the provider will deliver again: ${maskPhonesInText(what)}`);
      return refuse('unavailable');
    }
  }
}
