import { AsyncLocalStorage } from 'node:async_hooks';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
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
  private timer?: NodeJS.Timeout;
  private readonly detached = AsyncLocalStorage.snapshot();
  private running = false;
  private rerun = false;
  private stopped = false;

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
    this.schedule(500);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  kick(): void {
    if (this.running) this.rerun = true;
    else this.schedule(0);
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

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    // Detached from whatever request kicked us, so its logger context does not leak.
    this.timer = setTimeout(() => this.detached(() => void this.tick()), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.rerun = false;
    try {
      await this.sendPending();
    } catch (error) {
      this.logger.warn(`SMS round failed: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
    this.schedule(this.rerun ? 0 : 2_000);
  }
}
