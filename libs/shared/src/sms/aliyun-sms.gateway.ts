import dysmsapi from '@alicloud/dysmsapi20170525';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { maskPhonesInText } from '../phone/phone.js';
import type { AliyunSmsSettings } from './sms-config.js';
import { SmsSendError } from './sms-gateway.js';
import type { SmsGateway } from './sms-gateway.js';
import { SMS_TEMPLATES, templateCodeVariable } from './sms-templates.js';
import type { OutgoingSms, SmsTemplateKey } from './sms-templates.js';

/** Throttling, rate limits and Aliyun's own failures: worth trying again later. */
const RETRYABLE = /^Throttling|LIMIT_CONTROL|^isp\.|ServiceUnavailable|InternalError|SYSTEM_ERROR/i;

export interface AliyunSmsOptions {
  /** Connect and read timeout of one SendSms call. */
  timeoutMs?: number;
}

type DysmsapiClient = InstanceType<typeof dysmsapi.default>;

/**
 * Aliyun SMS (Dysmsapi 2017-05-25 SendSms) through the official SDK, signed ACS3-HMAC-SHA256 with
 * the configured AccessKey. One call per message; the SMS outbox retries (the SDK's own retries are off).
 */
export class AliyunSmsGateway implements SmsGateway {
  readonly provider = 'aliyun';
  readonly signName: string;
  private readonly client: DysmsapiClient;

  constructor(
    private readonly settings: AliyunSmsSettings,
    private readonly templateCodes: Partial<Record<SmsTemplateKey, string>>,
    options: AliyunSmsOptions = {},
  ) {
    this.signName = settings.signName;
    const timeout = options.timeoutMs ?? 10_000;
    this.client = new dysmsapi.default(
      new $OpenApiUtil.Config({
        accessKeyId: settings.accessKeyId,
        accessKeySecret: settings.accessKeySecret,
        endpoint: settings.endpoint.host,
        protocol: settings.endpoint.protocol,
        connectTimeout: timeout,
        readTimeout: timeout,
      }),
    );
  }

  async send(message: OutgoingSms): Promise<{ providerMessageId: string }> {
    const templateCode = this.templateCodes[message.template];
    if (!templateCode) {
      throw new SmsSendError(this.provider, 'NO_TEMPLATE_CODE', `no Aliyun template code for ${message.template} (set ${templateCodeVariable(message.template)})`, false);
    }
    const names: readonly string[] = SMS_TEMPLATES[message.template].params;
    const request = new dysmsapi.SendSmsRequest({
      phoneNumbers: message.phone,
      signName: this.signName,
      templateCode,
      ...(names.length > 0 ? { templateParam: JSON.stringify(Object.fromEntries(names.map((n) => [n, message.params[n]]))) } : {}),
    });
    let body: { code?: string; message?: string; bizId?: string; requestId?: string } | undefined;
    try {
      body = (await this.client.sendSms(request)).body;
    } catch (error) {
      throw this.toSendError(error);
    }
    if (body?.code !== 'OK') {
      const code = body?.code ?? 'BAD_RESPONSE';
      throw new SmsSendError(this.provider, code, this.clean(`Aliyun SMS refused: ${code}: ${body?.message ?? 'no message'}`), !body?.code || RETRYABLE.test(code));
    }
    return { providerMessageId: body.bizId || body.requestId || 'aliyun-unknown' };
  }

  /**
   * The SDK's errors: an AlibabaCloudError (code, statusCode) when Aliyun answered, anything else
   * when it did not. Network errors name the request URL, phone and parameters included: never passed on.
   */
  private toSendError(error: unknown): SmsSendError {
    const e = error as { name?: string; code?: unknown; statusCode?: unknown; data?: { Message?: unknown } };
    if (typeof e?.code === 'string' && typeof e.statusCode === 'number') {
      const text = typeof e.data?.Message === 'string' ? e.data.Message : 'no message';
      const retryable = e.name === 'ThrottlingError' || e.statusCode >= 500 || RETRYABLE.test(e.code);
      return new SmsSendError(this.provider, e.code, this.clean(`Aliyun SMS refused (HTTP ${e.statusCode}): ${e.code}: ${text}`), retryable);
    }
    const reason = typeof e?.code === 'string' ? e.code : e?.name === 'SyntaxError' ? 'an answer that is not JSON' : (e?.name ?? 'unknown error');
    return new SmsSendError(this.provider, 'NETWORK', `no usable answer from Aliyun SMS (${reason})`, true);
  }

  /** Provider messages pass through logs and sms_message.last_error: no phone numbers, no credentials. */
  private clean(text: string): string {
    let out = maskPhonesInText(text);
    for (const secret of [this.settings.accessKeySecret, this.settings.accessKeyId]) if (secret) out = out.split(secret).join('***');
    return out.slice(0, 500);
  }
}
