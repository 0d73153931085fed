import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { DataSource, In } from 'typeorm';
import { CLOCK, WorkLoop } from '#shared';
import type { Clock } from '#shared';
import { Company } from '../registry/registry.entities.js';
import { WebhookAttempt, WebhookDelivery } from './webhook-delivery.entity.js';
import { nextAttemptDelay } from './webhook-schedule.js';

const REQUEST_TIMEOUT_MS = 5_000;
const BATCH = 20;

/**
 * Delivers company webhooks by the Standard Webhooks spec (webhook-id, webhook-timestamp,
 * webhook-signature v1 HMAC-SHA256), retrying with backoff for about a day; every attempt is logged.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WebhookDispatcher');
  private readonly loop = new WorkLoop('webhook delivery', () => this.deliverDue().then(() => undefined), {
    idleMs: 1_000,
    maxBackoffMs: 30_000,
    logger: this.logger,
  });

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onApplicationShutdown(): void {
    this.loop.stop();
  }

  /** Deliver soon (a new delivery was committed). */
  kick(): void {
    this.loop.kick();
  }

  /** Runs every due delivery now (tests, after moving the clock). */
  async deliverDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.deliverBatch();
      total += n;
      if (n < BATCH) return total;
    }
  }

  /** Claims due deliveries (SKIP LOCKED across replicas), sends them outside the lock, records results. */
  private async deliverBatch(): Promise<number> {
    const now = this.clock.now();
    const claimed = await this.dataSource.transaction(async (em) => {
      const rows: Array<{ id: string }> = await em.query(
        `SELECT id FROM webhook_delivery WHERE status = 'pending' AND next_attempt_at <= $1
          ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, BATCH],
      );
      if (rows.length === 0) return [];
      const ids = rows.map((r) => r.id);
      // Lease: push the claimed rows out while we send, so another replica does not send them too.
      await em.query(`UPDATE webhook_delivery SET next_attempt_at = $1 WHERE id = ANY($2)`, [new Date(now.getTime() + 60_000), ids]);
      return em.findBy(WebhookDelivery, { id: In(ids) });
    });
    await Promise.all(claimed.map((d) => this.attempt(d)));
    return claimed.length;
  }

  private async attempt(delivery: WebhookDelivery): Promise<void> {
    const company = await this.dataSource.getRepository(Company).findOneBy({ id: delivery.companyId });
    const attempt = delivery.attempts + 1;
    const startedAt = this.clock.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    if (!company?.webhookUrl || !company.webhookSecret) {
      // The endpoint was removed since: the company pulls its cases through the API instead.
      await this.dataSource
        .getRepository(WebhookDelivery)
        .update({ id: delivery.id }, { status: 'failed', lastError: 'company has no webhook endpoint' });
      return;
    } else {
      const body = JSON.stringify(delivery.payload);
      const signature = new Webhook(company.webhookSecret).sign(delivery.id, startedAt, body);
      const started = Date.now();
      try {
        const res = await fetch(company.webhookUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'webhook-id': delivery.id,
            'webhook-timestamp': String(Math.floor(startedAt.getTime() / 1000)),
            'webhook-signature': signature,
          },
          body,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          redirect: 'manual',
        });
        statusCode = res.status;
        await res.body?.cancel();
        if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
      } catch (e) {
        error = (e as Error).name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS} ms` : (e as Error).message;
      }
      await this.dataSource.getRepository(WebhookAttempt).insert({
        deliveryId: delivery.id,
        attempt,
        at: startedAt,
        statusCode,
        durationMs: Date.now() - started,
        error,
      });
    }
    await this.record(delivery, attempt, error);
  }

  private async record(delivery: WebhookDelivery, attempt: number, error: string | null): Promise<void> {
    const repo = this.dataSource.getRepository(WebhookDelivery);
    const now = this.clock.now();
    if (error === null) {
      await repo.update({ id: delivery.id }, { status: 'delivered', attempts: attempt, deliveredAt: now, lastError: null });
      return;
    }
    const delay = nextAttemptDelay(attempt);
    if (delay === null) {
      this.logger.warn(`webhook ${delivery.id} to ${delivery.companyId} failed for good after ${attempt} attempts: ${error}`);
      await repo.update({ id: delivery.id }, { status: 'failed', attempts: attempt, lastError: error });
    } else {
      await repo.update({ id: delivery.id }, { attempts: attempt, lastError: error, nextAttemptAt: new Date(now.getTime() + delay) });
    }
  }
}
