import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { maskPhone } from '../phone/phone.js';
import type { SmsGateway } from './sms-gateway.js';
import { DEFAULT_SMS_SIGN_NAME } from './sms-templates.js';
import type { OutgoingSms } from './sms-templates.js';

/**
 * The embedded gateway: sends nothing. Every message is kept in `sms_message`, readable at the
 * service's GET /api/v1/sms/messages. The log line names the masked phone and the template only:
 * texts may carry verification codes.
 */
@Injectable()
export class ConsoleSmsGateway implements SmsGateway {
  readonly provider = 'console';
  readonly signName = DEFAULT_SMS_SIGN_NAME;
  private readonly logger = new Logger('ConsoleSmsGateway');

  async send(message: OutgoingSms): Promise<{ providerMessageId: string }> {
    this.logger.log(
      `SMS to ${maskPhone(message.phone)} (template ${message.template}, ${message.text.length} characters) kept for GET /api/v1/sms/messages`,
    );
    return { providerMessageId: `console-${randomUUID()}` };
  }
}
