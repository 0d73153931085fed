import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { CLOCK } from '#shared';
import type { Clock } from '#shared';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { endpointState, WebhookEndpoints } from './webhook-endpoints.js';

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
/** Marks a transaction that queued a delivery, so the dispatcher is kicked once it commits. */
const QUEUED_IN_TRANSACTION = 'webhookOutboxQueued';

/**
 * The one way to push something to a company: call `queue` inside the transaction that records
 * the event; the delivery goes out once that transaction commits (the dispatcher is kicked then).
 * A company without an (enabled) endpoint gets nothing queued and works from the pull API.
 */
@Injectable()
export class WebhookOutbox {
  constructor(
    private readonly endpoints: WebhookEndpoints,
    private readonly dispatcher: WebhookDispatcher,
    @Inject(CLOCK) private readonly clock: Clock,
    dataSource: DataSource,
  ) {
    dataSource.subscribers.push({
      afterTransactionCommit: (event) => {
        const data = event.queryRunner.data as Record<string, unknown> | undefined;
        if (data?.[QUEUED_IN_TRANSACTION]) {
          data[QUEUED_IN_TRANSACTION] = false;
          this.dispatcher.kick();
        }
      },
    });
  }

  /** Inserts a pending delivery in `em`'s transaction if the company has an enabled endpoint. */
  async queue(em: EntityManager, event: WebhookEvent): Promise<QueueResult> {
    if (!EVENT_TYPE.test(event.type)) throw new Error(`webhook event type "${event.type}" must be dotted lowercase, e.g. case.reminder`);
    const endpoint = await this.endpoints.get(event.companyId, em);
    if (!endpoint) return { queued: false, reason: 'unknown_company' };
    const state = endpointState(endpoint);
    if (state === 'not_configured') return { queued: false, reason: 'no_endpoint' };
    if (state === 'disabled') return { queued: false, reason: 'endpoint_disabled' };
    const now = this.clock.now();
    const deliveryId = `msg_${randomUUID()}`;
    await em.insert(WebhookDelivery, {
      id: deliveryId,
      companyId: event.companyId,
      caseId: event.caseId,
      eventType: event.type,
      payload: { type: event.type, timestamp: now.toISOString(), data: event.data },
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
      deliveredAt: null,
      lastError: null,
      leasedUntil: null,
      scheduleStart: 0,
    });
    const runner = em.queryRunner;
    if (runner?.isTransactionActive) runner.data = { ...(runner.data ?? {}), [QUEUED_IN_TRANSACTION]: true };
    else this.dispatcher.kick();
    return { queued: true, deliveryId };
  }

  /** Deliver soon (not needed after `queue`: the commit kicks the dispatcher). */
  kick(): void {
    this.dispatcher.kick();
  }
}
