import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { maskPhone } from '../phone/phone.js';
import type { SmsGateway } from './sms-gateway.js';

/**
 * The embedded gateway: sends nothing. Every message is kept in `sms_message`, readable at the
 * service's GET /api/v1/sms/messages. The log line names the masked phone only: texts may carry
 * verification codes.
 */
@Injectable()
export class ConsoleSmsGateway implements SmsGateway {
  readonly provider = 'console';
  private readonly logger = new Logger('ConsoleSmsGateway');

  async send(phone: string, text: string): Promise<{ providerMessageId: string }> {
    this.logger.log(`SMS to ${maskPhone(phone)} (${text.length} characters) kept for GET /api/v1/sms/messages`);
    return { providerMessageId: `console-${randomUUID()}` };
  }
}
