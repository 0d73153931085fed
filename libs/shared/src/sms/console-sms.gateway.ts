import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { maskPhone } from '../phone/phone.js';
import type { SmsGateway } from './sms-gateway.js';

/**
 * The embedded gateway: sends nothing. Every message is kept in `sms_message` (read it at
 * GET /api/v1/sms/messages) and logged with the phone masked.
 */
@Injectable()
export class ConsoleSmsGateway implements SmsGateway {
  readonly provider = 'console';
  private readonly logger = new Logger('ConsoleSmsGateway');

  async send(phone: string, text: string): Promise<{ providerMessageId: string }> {
    this.logger.log(`SMS to ${maskPhone(phone)}: ${text}`);
    return { providerMessageId: `console-${randomUUID()}` };
  }
}
