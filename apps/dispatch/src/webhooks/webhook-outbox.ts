import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { CLOCK, PHONE_VAULT } from '#shared';
import type { Clock, PhoneVault } from '#shared';
import { sealPayloadPhones } from './payload-phones.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import type { FreshDelivery } from './webhook-dispatcher.js';

/** What to push to a company, e.g. `{companyId, caseId, type: 'case.reminder', data: {…}}`. */
export interface WebhookEvent {
  companyId: string;
  caseId: string;
  /** Dotted lowercase event type: case.dispatched, case.reminder, case.overdue, … */
  type: string;
  /** The event's data; sent as the payload's `data` exactly (the company sees it in full). */
  data: Record<string, unknown>;
}

export type QueueResult =
  | { queued: true; deliveryId: string }
  | { queued: false; reason: 'no_endpoint' | 'endpoint_disabled' | 'unknown_company' };

const EVENT_TYPE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
/** What a transaction queued, handed to the dispatcher once it commits. */
const QUEUED_IN_TRANSACTION = 'webhookOutboxQueued';

interface Queued {
  /** Leased to this process at insert: sent from memory after commit. */
  fresh: FreshDelivery[];
  /** Stored unleased (an older delivery of its case is pending): the claim loop sends it. */
  claimable: boolean;
}

interface QueueRow {
  configured: boolean;
  disabled: boolean;
  webhook_url: string | null;
  webhook_secret: string | null;
  delivery_id: string | null;
  leased_until: Date | string | null;
}

/**
 * The one way to push something to a company: call `queue` inside the transaction that records
 * the event; the delivery goes out once that transaction commits. A company without an (enabled)
 * endpoint gets nothing queued and works from the pull API.
 *
 * One statement per call: it reads the company's endpoint, stores the delivery and, unless an
 * older delivery of the same case is still pending, leases it to this process, so that after the
 * commit the dispatcher sends it straight from memory (`WebhookDispatcher.offer`).
 */
@Injectable()
export class WebhookOutbox {
  constructor(
    private readonly dispatcher: WebhookDispatcher,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PHONE_VAULT) private readonly vault: PhoneVault,
    dataSource: DataSource,
  ) {
    dataSource.subscribers.push({
      afterTransactionCommit: (event) => {
        const queued = this.take(event.queryRunner.data);
        if (queued) this.handOver(queued);
      },
      afterTransactionRollback: (event) => {
        this.take(event.queryRunner.data);
      },
    });
  }

  /** Inserts a pending delivery in `em`'s transaction if the company has an enabled endpoint. */
  async queue(em: EntityManager, event: WebhookEvent): Promise<QueueResult> {
    if (!EVENT_TYPE.test(event.type)) throw new Error(`webhook event type "${event.type}" must be dotted lowercase, e.g. case.reminder`);
    const now = this.clock.now();
    const deliveryId = `msg_${randomUUID()}`;
    const payload = { type: event.type, timestamp: now.toISOString(), data: event.data };
    const [row]: QueueRow[] = await em.query(
      `WITH c AS (
         SELECT id, webhook_url, webhook_secret, webhook_disabled_at FROM company WHERE id = $2
       ), ins AS (
         INSERT INTO webhook_delivery (id, company_id, case_id, event_type, payload, status, attempts, next_attempt_at,
                                       created_at, updated_at, leased_until, schedule_start)
         SELECT $1, c.id, $3, $4, $5::jsonb, 'pending', 0, $6, $6, $6,
                CASE WHEN NOT EXISTS (
                  SELECT 1 FROM webhook_delivery o WHERE o.case_id = $3 AND o.company_id = c.id AND o.status = 'pending'
                ) THEN $7::timestamptz END,
                0
           FROM c
          WHERE c.webhook_url IS NOT NULL AND c.webhook_secret IS NOT NULL AND c.webhook_disabled_at IS NULL
         RETURNING id, leased_until
       )
       SELECT c.webhook_url IS NOT NULL AND c.webhook_secret IS NOT NULL AS configured,
              c.webhook_disabled_at IS NOT NULL AS disabled, c.webhook_url, c.webhook_secret,
              ins.id AS delivery_id, ins.leased_until
         FROM c LEFT JOIN ins ON true`,
      [deliveryId, event.companyId, event.caseId, event.type, JSON.stringify(sealPayloadPhones(this.vault, payload)), now, this.dispatcher.freshLeaseUntil(now)],
    );
    if (!row) return { queued: false, reason: 'unknown_company' };
    if (!row.configured) return { queued: false, reason: 'no_endpoint' };
    if (row.disabled || row.delivery_id === null) return { queued: false, reason: 'endpoint_disabled' };
    const queued: Queued = { fresh: [], claimable: false };
    if (row.leased_until === null) queued.claimable = true;
    else {
      queued.fresh.push({
        id: deliveryId,
        company_id: event.companyId,
        event_type: event.type,
        payload,
        webhook_url: row.webhook_url,
        webhook_secret: row.webhook_secret,
        webhook_disabled_at: null,
        webhook_disabled_reason: null,
        leasedUntil: new Date(row.leased_until),
      });
    }
    const runner = em.queryRunner;
    if (runner?.isTransactionActive) {
      const data = (runner.data ?? {}) as Record<string, unknown>;
      const pending = data[QUEUED_IN_TRANSACTION] as Queued | undefined;
      if (pending) {
        pending.fresh.push(...queued.fresh);
        pending.claimable ||= queued.claimable;
      } else runner.data = { ...data, [QUEUED_IN_TRANSACTION]: queued };
    } else this.handOver(queued);
    return { queued: true, deliveryId };
  }

  /** Deliver soon (not needed after `queue`: the commit hands the delivery over). */
  kick(): void {
    this.dispatcher.kick();
  }

  private take(data: Record<string, unknown> | undefined): Queued | undefined {
    const queued = data?.[QUEUED_IN_TRANSACTION] as Queued | undefined;
    if (queued && data) delete data[QUEUED_IN_TRANSACTION];
    return queued;
  }

  private handOver(queued: Queued): void {
    if (queued.fresh.length > 0) this.dispatcher.offer(queued.fresh);
    if (queued.claimable) this.dispatcher.kick();
  }
}
