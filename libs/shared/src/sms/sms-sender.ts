import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { WorkLoop } from '../scheduling/work-loop.js';
import { CLOCK } from '../time/clock.js';
import type { Clock } from '../time/clock.js';
import { SmsMessage } from './sms-message.entity.js';
import { SMS_GATEWAY } from './sms-gateway.js';
import type { SmsGateway } from './sms-gateway.js';

const MAX_ATTEMPTS = 5;

/**
 * SMS outbox: a message is written as `pending` in the transaction that decided to send it, and
 * handed to the gateway after commit, so a rolled-back survey never texts anyone.
 */
@Injectable()
export class SmsSender implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SmsSender');
  private readonly loop = new WorkLoop('SMS sending', () => this.sendPending(), { idleMs: 2_000, maxBackoffMs: 30_000, logger: this.logger });

  constructor(
    private readonly dataSource: DataSource,
    @Inject(SMS_GATEWAY) private readonly gateway: SmsGateway,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Queues an SMS inside the caller's transaction. */
  async queue(em: EntityManager, phone: string, text: string, surveyId: string | null): Promise<void> {
    await em.insert(SmsMessage, {
      direction: 'out',
      phone,
      text,
      status: 'pending',
      attempts: 0,
      provider: this.gateway.provider,
      providerMessageId: null,
      surveyId,
      at: this.clock.now(),
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onApplicationShutdown(): void {
    this.loop.stop();
  }

  /** Send soon (an SMS was committed). */
  kick(): void {
    this.loop.kick();
  }

  async sendPending(): Promise<void> {
    const pending = await this.dataSource.getRepository(SmsMessage).find({
      where: { direction: 'out', status: 'pending' },
      order: { id: 'ASC' },
      take: 100,
    });
    for (const msg of pending) {
      try {
        const { providerMessageId } = await this.gateway.send(msg.phone, msg.text);
        await this.dataSource.getRepository(SmsMessage).update({ id: msg.id }, { status: 'sent', providerMessageId, attempts: msg.attempts + 1 });
      } catch (error) {
        const attempts = msg.attempts + 1;
        this.logger.warn(`SMS ${msg.id} not sent (attempt ${attempts}): ${(error as Error).message}`);
        await this.dataSource
          .getRepository(SmsMessage)
          .update({ id: msg.id }, { attempts, status: attempts >= MAX_ATTEMPTS ? 'failed' : 'pending' });
      }
    }
  }

}
