import type { OutgoingSms } from './sms-templates.js';

/**
 * Sends one SMS. Implementations: the console/outbox gateway (embedded default: sends nothing, the
 * messages stay readable at GET /api/v1/sms/messages), the Aliyun and Tencent Cloud adapters.
 */
export interface SmsGateway {
  /** Recorded on every sms_message row: console, aliyun, tencent. */
  readonly provider: string;
  /** The registered signature (签名) the provider puts in front of the text: rendered texts show it as 【…】. */
  readonly signName: string;
  /** Sends the template with its parameters; throws SmsSendError when the provider refuses. */
  send(message: OutgoingSms): Promise<{ providerMessageId: string }>;
}
export const SMS_GATEWAY = Symbol('SMS_GATEWAY');

/**
 * A provider's refusal. `retryable`: throttling, the provider's own failure, the network — the
 * outbox tries again later; otherwise (a wrong template, signature or number, no balance…) the
 * message fails at once with the provider's reason.
 */
export class SmsSendError extends Error {
  constructor(
    readonly provider: string,
    /** The provider's error code, e.g. isv.BUSINESS_LIMIT_CONTROL, LimitExceeded.PhoneNumberDailyLimit; NETWORK for no answer. */
    readonly code: string,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'SmsSendError';
  }
}
