import { setMaxListeners } from 'node:events';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import type { Agent } from 'undici';
import { CLOCK, PHONE_VAULT, WorkLoop } from '#shared';
import type { Clock, PhoneVault } from '#shared';
import { DeliveredBatch } from './delivered-batch.js';
import { openPayloadPhones } from './payload-phones.js';
import { WebhookAttempt } from './webhook-delivery.entity.js';
import type { DeliveryStatus } from './webhook-delivery.entity.js';
import { WebhookEndpoints } from './webhook-endpoints.js';
import { postWebhook } from './webhook-http.js';
import type { PostOutcome } from './webhook-http.js';
import { nextAttemptDelay } from './webhook-schedule.js';
import { WEBHOOK_SETTINGS } from './webhook-settings.js';
import type { WebhookDeliverySettings } from './webhook-settings.js';
import { modifyReturning } from './webhook-sql.js';
import { createGuardedAgent } from './webhook-target-guard.js';

export const WEBHOOK_USER_AGENT = 'HeatingExpressLane-Webhooks/1.0';

/** A claimed delivery with its company's endpoint, as read when it was claimed (or queued). */
export interface ClaimedDelivery {
  id: string;
  company_id: string;
  event_type: string;
  payload: { type?: unknown; timestamp?: unknown; data?: unknown };
  webhook_url: string | null;
  webhook_secret: string | null;
  webhook_disabled_at: Date | string | null;
  webhook_disabled_reason: string | null;
}

/** A delivery leased to this process when it was queued; it goes out from memory, without a claim. */
export interface FreshDelivery extends ClaimedDelivery {
  leasedUntil: Date;
}

interface InFlight {
  companyId: string;
  done: Promise<void>;
}

/** Fresh deliveries one company may have waiting in memory; beyond that they are left to the claim loop. */
const READY_PER_COMPANY = 200;
/** A waiting fresh delivery whose lease has less than this left beyond the request budget is re-leased first. */
const LEASE_MARGIN_MS = 10_000;

/** Chinese reason shown to the company (GET /api/v1/companies/me/webhook) when a 410 disabled its endpoint. */
export function goneReasonZh(at: Date): string {
  return `接收方于 ${at.toISOString()} 返回 HTTP 410 Gone（要求停止推送），回调地址已自动停用；重新设置回调地址即可恢复推送`;
}

/**
 * Delivers company webhooks by the Standard Webhooks spec (webhook-id, webhook-timestamp,
 * webhook-signature v1 HMAC-SHA256) and records every attempt.
 *
 * Two ways in. A delivery queued by this process is leased to it in the same statement that
 * stores it (`WebhookOutbox.queue`), and is handed over in memory once the transaction commits
 * (`offer`): no claim round trip on the hot path. Everything else — retries, redeliveries, a
 * delivery that must wait for an older one of its case, deliveries whose process died before
 * sending — is claimed from the table by the poll loop (SKIP LOCKED, leases expire, so nothing
 * is lost when a process dies).
 *
 * Isolation: deliveries run as independent in-flight tasks (at most `concurrency` in all,
 * `perCompanyConcurrency` per company); a slow or failing company only ever occupies its own
 * slots. Order: a company's deliveries go out in the order they were queued (claimed ones oldest
 * first), and a delivery never goes out while an older delivery of the same case is still pending.
 * A successful attempt frees its slot as soon as the receiver has answered and is recorded in the
 * background, in batches (`DeliveredBatch`); a failure is recorded before its slot is freed.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WebhookDispatcher');
  private readonly loop: WorkLoop;
  private readonly inFlight = new Map<string, InFlight>();
  /** Per company, in flight in this process. */
  private readonly busy = new Map<string, number>();
  /** Per company, fresh deliveries waiting for a slot, in queue order. */
  private readonly ready = new Map<string, FreshDelivery[]>();
  private readonly delivered: DeliveredBatch;
  /** Successful attempts being recorded (their slots are already free). */
  private readonly recording = new Set<Promise<void>>();
  private readonly agents = new Map<boolean, Agent>();
  private readonly shutdown = new AbortController();
  private claiming: Promise<number> = Promise.resolve(0);
  /** The last claim filled every free slot: more may be due, so a freed slot claims again at once. */
  private moreDue = false;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(WEBHOOK_SETTINGS) private readonly settings: WebhookDeliverySettings,
    private readonly endpoints: WebhookEndpoints,
    @Inject(PHONE_VAULT) private readonly vault: PhoneVault,
  ) {
    this.loop = new WorkLoop('webhook delivery', () => this.pump().then(() => undefined), {
      idleMs: settings.pollIdleMs,
      maxBackoffMs: 30_000,
      logger: this.logger,
    });
    this.delivered = new DeliveredBatch(dataSource, () => this.clock.now());
    // Every request in flight listens for shutdown on this one signal.
    setMaxListeners(0, this.shutdown.signal);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  /**
   * Stops claiming, aborts requests in flight (their leases are released, no attempt is counted)
   * and releases the leases of fresh deliveries still waiting in memory, so another process sends
   * them at once.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.loop.stop();
    this.shutdown.abort();
    const waiting = [...this.ready.values()].flat().map((d) => d.id);
    this.ready.clear();
    await Promise.allSettled([...this.inFlight.values()].map((f) => f.done));
    await Promise.allSettled([...this.recording]);
    if (waiting.length > 0) await this.releaseLeases(waiting);
    await Promise.allSettled([...this.agents.values()].map((a) => a.destroy()));
  }

  /** Look for due deliveries soon (a retry or redelivery was scheduled, or a delivery waits for an older one). */
  kick(): void {
    this.loop.kick();
  }

  /** Until when a delivery queued now is leased to this process (it must outlast one request). */
  freshLeaseUntil(now: Date): Date {
    return new Date(now.getTime() + this.leaseMs());
  }

  /** Fresh deliveries leased to this process at insert, committed now: send them from memory. */
  offer(deliveries: FreshDelivery[]): void {
    if (this.stopping) return;
    const overflow: string[] = [];
    for (const d of deliveries) {
      const queue = this.ready.get(d.company_id) ?? [];
      if (queue.length >= READY_PER_COMPANY) {
        overflow.push(d.id);
        continue;
      }
      queue.push(d);
      this.ready.set(d.company_id, queue);
    }
    if (overflow.length > 0) void this.releaseLeases(overflow).then(() => this.loop.kick());
    this.launchReady();
  }

  /**
   * The company's endpoint changed (set again, or disabled by a 410): fresh deliveries waiting in
   * memory carry the old URL and secret, so they go back to the table (leases released) and are
   * claimed with the endpoint as it is now.
   */
  async forgetCompany(companyId: string): Promise<void> {
    const waiting = this.ready.get(companyId) ?? [];
    this.ready.delete(companyId);
    if (waiting.length > 0) await this.releaseLeases(waiting.map((d) => d.id));
  }

  /** Deliveries in flight in this process (for tests and ops). */
  inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Claims and attempts every due delivery, and waits until none is due, waiting or in flight (tests, after moving the clock). */
  async deliverDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const launched = this.launchReady() + (await this.pump());
      total += launched;
      if (launched === 0 && this.inFlight.size === 0 && this.ready.size === 0) {
        if (this.recording.size === 0) return total;
        await Promise.allSettled([...this.recording]);
        continue;
      }
      if (this.inFlight.size > 0) await Promise.race([...this.inFlight.values()].map((f) => f.done));
    }
  }

  /** Sends waiting fresh deliveries while slots are free, one company after another; returns how many. */
  private launchReady(): number {
    let launched = 0;
    let progressed = true;
    while (progressed && !this.stopping) {
      progressed = false;
      for (const [companyId, queue] of this.ready) {
        if (this.inFlight.size >= this.settings.concurrency) return launched;
        if ((this.busy.get(companyId) ?? 0) >= this.perCompany()) continue;
        const next = queue.shift() as FreshDelivery;
        if (queue.length === 0) this.ready.delete(companyId);
        this.launch(next, true);
        launched++;
        progressed = true;
      }
    }
    return launched;
  }

  /** One claim at a time in this process; returns how many deliveries were launched. */
  private pump(): Promise<number> {
    const run = this.claiming.catch(() => 0).then(() => this.claimAndLaunch());
    this.claiming = run;
    return run;
  }

  private async claimAndLaunch(): Promise<number> {
    if (this.stopping) return 0;
    const free = this.settings.concurrency - this.inFlight.size;
    if (free <= 0) return 0;
    const claimed = await this.claim(free);
    this.moreDue = claimed.length === free;
    for (const delivery of claimed) this.launch(delivery, false);
    return claimed.length;
  }

  private leaseMs(): number {
    return Math.max(this.settings.leaseMs, this.settings.timeoutMs + 30_000);
  }

  private perCompany(): number {
    return Math.max(1, this.settings.perCompanyConcurrency);
  }

  /**
   * Claims up to `limit` due deliveries (SKIP LOCKED across replicas) and leases them: at most
   * perCompanyConcurrency per company including those already leased anywhere, a company's oldest
   * first, none with an older pending delivery of the same case, the first of each company before
   * the second of any.
   */
  private async claim(limit: number): Promise<ClaimedDelivery[]> {
    const now = this.clock.now();
    const leaseMs = this.leaseMs();
    // Fresh deliveries waiting in memory stay this process's even if their lease ran out meanwhile.
    const mine = [...this.inFlight.keys(), ...[...this.ready.values()].flat().map((d) => d.id)];
    return this.dataSource.transaction(async (em) => {
      const rows: Array<{ id: string }> = await em.query(
        `WITH leased AS (
           SELECT company_id, count(*)::int AS n FROM webhook_delivery
            WHERE leased_until IS NOT NULL AND leased_until > $1 AND status = 'pending'
            GROUP BY company_id
         ), candidate AS (
           SELECT d.id, row_number() OVER (PARTITION BY d.company_id ORDER BY d.seq) + COALESCE(l.n, 0) AS slot
             FROM webhook_delivery d
             LEFT JOIN leased l ON l.company_id = d.company_id
            WHERE d.status = 'pending' AND d.next_attempt_at <= $1
              AND (d.leased_until IS NULL OR d.leased_until <= $1)
              AND NOT (d.id = ANY($3::text[]))
              AND NOT EXISTS (
                SELECT 1 FROM webhook_delivery o
                 WHERE o.case_id = d.case_id AND o.company_id = d.company_id AND o.status = 'pending' AND o.seq < d.seq)
         )
         SELECT d.id FROM webhook_delivery d JOIN candidate c ON c.id = d.id
          WHERE c.slot <= $2
          ORDER BY c.slot, d.next_attempt_at, d.seq
          LIMIT $4
          FOR UPDATE OF d SKIP LOCKED`,
        [now, this.perCompany(), mine, limit],
      );
      if (rows.length === 0) return [];
      const ids = rows.map((r) => r.id);
      await em.query(`UPDATE webhook_delivery SET leased_until = $1 WHERE id = ANY($2::text[])`, [new Date(now.getTime() + leaseMs), ids]);
      return em.query(
        `SELECT d.id, d.company_id, d.event_type, d.payload,
                c.webhook_url, c.webhook_secret, c.webhook_disabled_at, c.webhook_disabled_reason
           FROM webhook_delivery d LEFT JOIN company c ON c.id = d.company_id
          WHERE d.id = ANY($1::text[]) ORDER BY d.seq`,
        [ids],
      );
    });
  }

  private launch(delivery: ClaimedDelivery | FreshDelivery, fresh: boolean): void {
    const company = delivery.company_id;
    this.busy.set(company, (this.busy.get(company) ?? 0) + 1);
    const done = (fresh ? this.attemptFresh(delivery as FreshDelivery) : this.attempt(delivery))
      .catch((error: unknown) => {
        // The lease runs out and the delivery is tried again; nothing is lost.
        this.logger.error(`webhook ${delivery.id} to company ${company}: could not record the attempt: ${(error as Error).message}`);
      })
      .finally(() => {
        this.inFlight.delete(delivery.id);
        const left = (this.busy.get(company) ?? 1) - 1;
        if (left > 0) this.busy.set(company, left);
        else this.busy.delete(company);
        if (this.stopping) return;
        this.launchReady();
        if (this.moreDue) this.loop.kick();
      });
    this.inFlight.set(delivery.id, { companyId: company, done });
  }

  /** A fresh delivery that waited in memory long enough for its lease to run short is re-leased first (unless another process took it). */
  private async attemptFresh(delivery: FreshDelivery): Promise<void> {
    const now = this.clock.now();
    if (delivery.leasedUntil.getTime() - now.getTime() < this.settings.timeoutMs + LEASE_MARGIN_MS) {
      const renewed = await modifyReturning(
        this.dataSource.manager,
        `UPDATE webhook_delivery SET leased_until = $3 WHERE id = $1 AND status = 'pending' AND leased_until = $2 RETURNING id`,
        [delivery.id, delivery.leasedUntil, this.freshLeaseUntil(now)],
      );
      if (renewed.length === 0) return;
    }
    await this.attempt(delivery);
  }

  private async releaseLeases(ids: string[]): Promise<void> {
    await this.dataSource
      .query(`UPDATE webhook_delivery SET leased_until = NULL WHERE id = ANY($1::text[]) AND status = 'pending'`, [ids])
      .catch((error: unknown) => this.logger.warn(`could not release ${ids.length} webhook leases (they run out by themselves): ${(error as Error).message}`));
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const { webhook_url: url, webhook_secret: secret } = delivery;
    if (!url || !secret) {
      // The endpoint was removed since: the company pulls its cases through the API instead.
      await this.settleWithoutAttempt(delivery.id, 'company has no webhook endpoint');
      return;
    }
    if (delivery.webhook_disabled_at) {
      await this.settleWithoutAttempt(delivery.id, 'endpoint disabled (after HTTP 410 Gone); not attempted');
      return;
    }
    // A claimed delivery's payload comes from the table with the resident's number sealed: opened here.
    const { type, timestamp, data } = openPayloadPhones(this.vault, delivery.payload);
    const body = JSON.stringify({ type, timestamp, data });
    // The signed webhook-timestamp is wall-clock time on purpose: receivers check it against their
    // own clock (replay protection, 5 minutes' tolerance). The payload's `timestamp` is the event's
    // time on the service clock; retries and leases also run on the service clock.
    const sentAt = new Date();
    const attemptAt = this.clock.now();
    const outcome = await postWebhook(
      url,
      {
        'content-type': 'application/json',
        'user-agent': WEBHOOK_USER_AGENT,
        'webhook-id': delivery.id,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(delivery.id, sentAt, body),
      },
      body,
      {
        dispatcher: this.agent(),
        timeoutMs: this.settings.timeoutMs,
        bodyCapBytes: this.settings.responseBodyCapBytes,
        signal: this.shutdown.signal,
      },
    );
    if (outcome.aborted) {
      await this.dataSource.query(`UPDATE webhook_delivery SET leased_until = NULL WHERE id = $1`, [delivery.id]).catch(() => undefined);
      return;
    }
    if (outcome.error === null) {
      // Delivered: the slot is free for the company's next message now; the attempt is recorded in
      // the background (if that fails, the lease runs out and the message is sent again: at least once).
      this.track(this.recordDelivered(delivery, url, attemptAt, outcome));
      return;
    }
    await this.record(delivery, url, attemptAt, outcome);
  }

  /**
   * A successful attempt, recorded with others in one statement (or alone if the delivery was
   * settled meanwhile). While the database is unreachable the write is retried for half a lease, so
   * a short outage does not make the company receive the message again.
   */
  private async recordDelivered(delivery: ClaimedDelivery, url: string, attemptAt: Date, outcome: PostOutcome): Promise<void> {
    const giveUpAt = Date.now() + this.leaseMs() / 2;
    for (let waitMs = 500; ; waitMs = Math.min(waitMs * 2, 5_000)) {
      try {
        const batched = await this.delivered.add({ deliveryId: delivery.id, attemptAt, statusCode: outcome.statusCode, durationMs: outcome.durationMs });
        if (!batched) await this.record(delivery, url, attemptAt, outcome);
        return;
      } catch (error) {
        if (this.stopping || Date.now() + waitMs > giveUpAt) throw error;
        await new Promise((resolve) => setTimeout(resolve, waitMs).unref());
      }
    }
  }

  private track(recording: Promise<void>): void {
    const tracked = recording
      .catch((error: unknown) => this.logger.error(`could not record a delivered webhook (it is sent again when its lease runs out): ${(error as Error).message}`))
      .finally(() => this.recording.delete(tracked));
    this.recording.add(tracked);
  }

  /** One agent per SSRF rule, so pooled connections opened under one rule are never reused under the other. */
  private agent(): Agent {
    const allowPrivate = this.settings.allowPrivateTargets;
    let agent = this.agents.get(allowPrivate);
    if (!agent) {
      agent = createGuardedAgent({ allowPrivate });
      this.agents.set(allowPrivate, agent);
    }
    return agent;
  }

  /** Logs the attempt and moves the delivery on: delivered, retry later, failed for good, or endpoint gone. */
  private async record(delivery: ClaimedDelivery, url: string, attemptAt: Date, outcome: PostOutcome): Promise<void> {
    const now = this.clock.now();
    let disabled: { failed: number } | undefined;
    let gaveUp: { attempts: number } | undefined;
    await this.dataSource.transaction(async (em) => {
      // Lock order: company (only when disabling it), then deliveries.
      const endpoint = outcome.gone ? await this.endpoints.get(delivery.company_id, em, true) : null;
      const [current]: Array<{ status: DeliveryStatus; attempts: number; schedule_start: number }> = await em.query(
        `SELECT status, attempts, schedule_start FROM webhook_delivery WHERE id = $1 FOR UPDATE`,
        [delivery.id],
      );
      if (!current) return;
      const attempt = current.attempts + 1;
      await em.insert(WebhookAttempt, {
        deliveryId: delivery.id,
        attempt,
        at: attemptAt,
        statusCode: outcome.statusCode,
        durationMs: outcome.durationMs,
        error: outcome.error,
      });
      const update = (set: string, params: unknown[]) =>
        em.query(`UPDATE webhook_delivery SET attempts = $2, leased_until = NULL, updated_at = $3, ${set} WHERE id = $1`, [delivery.id, attempt, now, ...params]);
      if (current.status !== 'pending') {
        // Settled meanwhile (e.g. failed when another delivery's 410 disabled the endpoint): count the attempt only.
        await update('last_error = last_error', []);
        return;
      }
      if (outcome.error === null) {
        await update(`status = 'delivered', delivered_at = $4, last_error = NULL`, [now]);
        return;
      }
      if (outcome.gone && endpoint?.url === url && (await this.endpoints.disable(em, delivery.company_id, url, now, goneReasonZh(now)))) {
        await update(`status = 'failed', last_error = $4`, [outcome.error]);
        const failed = await this.failPendingOfCompany(em, delivery.company_id, now);
        disabled = { failed: failed.length };
        return;
      }
      const delay = nextAttemptDelay(attempt - current.schedule_start, this.settings.random);
      if (delay === null) {
        await update(`status = 'failed', last_error = $4`, [outcome.error]);
        gaveUp = { attempts: attempt };
      } else {
        await update(`last_error = $4, next_attempt_at = $5`, [outcome.error, new Date(now.getTime() + delay)]);
        this.logger.debug(`webhook ${delivery.id} (${delivery.event_type}) to company ${delivery.company_id}: attempt ${attempt} failed (${outcome.error}); next in ${delay} ms`);
      }
    });
    if (disabled) {
      await this.forgetCompany(delivery.company_id);
      this.logger.warn(
        `webhook endpoint of company ${delivery.company_id} disabled: ${new URL(url).origin} answered 410 Gone; ` +
          `${disabled.failed} more pending deliveries marked failed; it is re-enabled when the company sets its webhook again`,
      );
    }
    if (gaveUp) {
      this.logger.warn(`webhook ${delivery.id} (${delivery.event_type}) to company ${delivery.company_id} failed for good after ${gaveUp.attempts} attempts: ${outcome.error}`);
    }
  }

  private failPendingOfCompany(em: EntityManager, companyId: string, now: Date): Promise<unknown[]> {
    return modifyReturning(
      em,
      `UPDATE webhook_delivery SET status = 'failed', last_error = 'endpoint disabled after HTTP 410 Gone; not attempted',
              leased_until = NULL, updated_at = $2
        WHERE company_id = $1 AND status = 'pending' RETURNING id`,
      [companyId, now],
    );
  }

  private async settleWithoutAttempt(id: string, reason: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_delivery SET status = 'failed', last_error = $2, leased_until = NULL, updated_at = $3 WHERE id = $1 AND status = 'pending'`,
      [id, reason, this.clock.now()],
    );
  }
}
