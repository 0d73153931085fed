import * as tencentcloud from 'tencentcloud-sdk-nodejs-sms';
import { maskPhonesInText } from '../phone/phone.js';
import type { TencentSmsSettings } from './sms-config.js';
import { SmsSendError } from './sms-gateway.js';
import type { SmsGateway } from './sms-gateway.js';
import { orderedParams, templateCodeVariable } from './sms-templates.js';
import type { OutgoingSms, SmsTemplateKey } from './sms-templates.js';

/** Frequency limits and Tencent's own failures: worth trying again later. */
const RETRYABLE = /^(LimitExceeded|RequestLimitExceeded|InternalError)/;

export interface TencentSmsOptions {
  /** Timeout of one SendSms call (whole seconds for the SDK, at least 1). */
  timeoutMs?: number;
}

type SmsClient = InstanceType<typeof tencentcloud.sms.v20210111.Client>;

/**
 * Tencent Cloud SMS (sms 2021-01-11 SendSms) through the official SDK, signed TC3-HMAC-SHA256 with
 * the configured SecretId/SecretKey. Mainland numbers are sent as +86…; template parameters are
 * positional, in the catalogue's order.
 */
export class TencentSmsGateway implements SmsGateway {
  readonly provider = 'tencent';
  readonly signName: string;
  private readonly client: SmsClient;

  constructor(
    private readonly settings: TencentSmsSettings,
    private readonly templateCodes: Partial<Record<SmsTemplateKey, string>>,
    options: TencentSmsOptions = {},
  ) {
    this.signName = settings.signName;
    this.client = new tencentcloud.sms.v20210111.Client({
      credential: { secretId: settings.secretId, secretKey: settings.secretKey },
      region: settings.region,
      profile: {
        httpProfile: {
          endpoint: settings.endpoint.host,
          protocol: `${settings.endpoint.protocol}://`,
          reqTimeout: Math.max(1, Math.ceil((options.timeoutMs ?? 10_000) / 1000)),
        },
      },
    });
  }

  async send(message: OutgoingSms): Promise<{ providerMessageId: string }> {
    const templateId = this.templateCodes[message.template];
    if (!templateId) {
      throw new SmsSendError(this.provider, 'NO_TEMPLATE_CODE', `no Tencent template ID for ${message.template} (set ${templateCodeVariable(message.template)})`, false);
    }
    let response: Awaited<ReturnType<SmsClient['SendSms']>>;
    try {
      response = await this.client.SendSms({
        PhoneNumberSet: [`+86${message.phone}`],
        SmsSdkAppId: this.settings.sdkAppId,
        SignName: this.signName,
        TemplateId: templateId,
        TemplateParamSet: orderedParams(message.template, message.params),
      });
    } catch (error) {
      throw this.toSendError(error);
    }
    const status = response?.SendStatusSet?.[0];
    if (!status) throw new SmsSendError(this.provider, 'BAD_RESPONSE', 'Tencent Cloud SMS answered without a send status', true);
    if (status.Code !== 'Ok') {
      const code = status.Code ?? 'BAD_RESPONSE';
      throw new SmsSendError(this.provider, code, this.clean(`Tencent Cloud SMS refused: ${code}: ${status.Message ?? 'no message'}`), RETRYABLE.test(code));
    }
    return { providerMessageId: status.SerialNo || response.RequestId || 'tencent-unknown' };
  }

  /** TencentCloudSDKHttpException: a code when Tencent answered with an error, none when it did not answer usefully. */
  private toSendError(error: unknown): SmsSendError {
    const e = error as { code?: unknown; message?: unknown };
    if (typeof e?.code === 'string' && e.code) {
      return new SmsSendError(this.provider, e.code, this.clean(`Tencent Cloud SMS refused: ${e.code}: ${String(e.message ?? 'no message')}`), RETRYABLE.test(e.code));
    }
    return new SmsSendError(this.provider, 'NETWORK', this.clean(`no usable answer from Tencent Cloud SMS (${String(e?.message ?? 'unknown error')})`), true);
  }

  /** Provider messages pass through logs and sms_message.last_error: no phone numbers, no credentials. */
  private clean(text: string): string {
    let out = maskPhonesInText(text);
    for (const secret of [this.settings.secretKey, this.settings.secretId]) if (secret) out = out.split(secret).join('***');
    return out.slice(0, 500);
  }
}
