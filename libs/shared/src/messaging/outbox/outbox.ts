import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import type { EventPayload, EventType } from '../../contracts/events.js';
import type { ServiceName } from '../../contracts/services.js';
import { SERVICE_NAME } from '../../config/tokens.js';
import { CLOCK } from '../../time/clock.js';
import type { Clock } from '../../time/clock.js';
import { PHONE_VAULT } from '../../phone/phone-vault.js';
import type { PhoneVault } from '../../phone/phone-vault.js';
import { WorkLoop } from '../../scheduling/work-loop.js';
import { newEnvelope } from '../envelope.js';
import type { EventEnvelope } from '../envelope.js';
import { EVENT_PUBLISHER } from '../publisher.js';
import type { EventPublisher } from '../publisher.js';

/** Columns of an outbox row, in the order of `Outbox.prepare(...).values`. */
export const OUTBOX_COLUMNS = 'message_id, event_type, event_version, payload, occurred_at';

/**
 * A payload's `phone` is stored sealed under this key until the relay publishes it (phone numbers
 * are encrypted at rest, docs/security.md); the event on the bus carries `phone` as before.
 */
export const SEALED_PHONE_KEY = 'phoneSealed';

/** Marker put on a query runner whose transaction wrote to the outbox (read after commit). */
export const OUTBOX_PENDING = 'outboxPending';

/**
 * Records an event in the same transaction as the change it describes (transactional outbox).
 * Call it with the transaction's EntityManager; the relay publishes after commit.
 */
@Injectable()
export class Outbox {
  private readonly writtenListeners: Array<() => void> = [];

  constructor(
    @Inject(SERVICE_NAME) private readonly service: ServiceName,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(PHONE_VAULT) private readonly vault?: PhoneVault,
  ) {}

  async add<T extends EventType>(em: EntityManager, type: T, payload: EventPayload<T>): Promise<EventEnvelope> {
    const row = this.prepare(em, type, payload);
    await em.query(`INSERT INTO outbox_message (${OUTBOX_COLUMNS}) VALUES ($1, $2, $3, $4, $5)`, row.values);
    return row.envelope;
  }

  /**
   * For a hot path that writes its rows in one statement: the outbox row's columns
   * (`OUTBOX_COLUMNS`) and values; the caller must insert them in the same transaction.
   */
  prepare<T extends EventType>(em: EntityManager, type: T, payload: EventPayload<T>): { envelope: EventEnvelope; values: unknown[] } {
    if (!em.queryRunner?.isTransactionActive) throw new Error('the outbox must be written inside a transaction');
    const envelope = newEnvelope(this.service, type, payload, this.clock.now());
    em.queryRunner.data = { ...(em.queryRunner.data ?? {}), [OUTBOX_PENDING]: true };
    return { envelope, values: [envelope.id, envelope.type, envelope.version, this.storedPayload(envelope.payload), envelope.occurredAt] };
  }

  /**
   * For a hot path whose single autocommit statement (atomic on its own) writes the change and its
   * outbox row together: the row's values, and `written()` to call once the statement has run, so
   * the relay wakes as it does after a transaction's commit.
   */
  prepareStatement<T extends EventType>(type: T, payload: EventPayload<T>): { envelope: EventEnvelope; values: unknown[]; written: () => void } {
    const envelope = newEnvelope(this.service, type, payload, this.clock.now());
    return {
      envelope,
      values: [envelope.id, envelope.type, envelope.version, this.storedPayload(envelope.payload), envelope.occurredAt],
      written: () => this.writtenListeners.forEach((listener) => listener()),
    };
  }

  /** The payload as stored: a top-level `phone` sealed (a process without a vault, e.g. a tool, stores it as is). */
  private storedPayload(payload: unknown): string {
    const p = payload as Record<string, unknown>;
    if (!this.vault || typeof p?.phone !== 'string') return JSON.stringify(payload);
    const { phone, ...rest } = p;
    return JSON.stringify({ ...rest, [SEALED_PHONE_KEY]: this.vault.seal(phone) });
  }

  /** The relay's hook for rows written by `prepareStatement` statements. */
  onWritten(listener: () => void): void {
    this.writtenListeners.push(listener);
  }
}

export const RELAY_SETTINGS = Symbol('RELAY_SETTINGS');

/** Batches a relay has sent and not yet seen confirmed, at most. */
const PIPELINE_DEPTH = 3;

export interface RelaySettings {
  batchSize: number;
  pollIntervalMs: number;
  maxBackoffMs: number;
}

interface OutboxRow {
  id: string;
  message_id: string;
  event_type: string;
  event_version: number;
  payload: unknown;
  occurred_at: Date | string;
}

/**
 * Publishes outbox rows in id order, in batches claimed with FOR UPDATE SKIP LOCKED so replicas
 * share the work (and up to PIPELINE_DEPTH batches of one relay overlap while the broker confirms);
 * a row is marked published only after the broker confirmed it. While the broker is down rows
 * simply wait (backoff), and go out once it is back. Order is best effort (a batch that fails is
 * sent again after later ones): consumers never rely on it.
 */
@Injectable()
export class OutboxRelay implements OnApplicationShutdown {
  private readonly loop: WorkLoop;
  /** Commits that wrote outbox rows, counted: a drain goes on while they keep coming. */
  private wakes = 0;

  constructor(
    private readonly dataSource: DataSource,
    outbox: Outbox,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(SERVICE_NAME) private readonly service: ServiceName,
    @Inject(RELAY_SETTINGS) private readonly settings: RelaySettings,
    @Optional() @Inject(PHONE_VAULT) private readonly vault?: PhoneVault,
  ) {
    this.loop = new WorkLoop('outbox relay', () => this.drainOnce(), {
      idleMs: settings.pollIntervalMs,
      maxBackoffMs: settings.maxBackoffMs,
      logger: new Logger('OutboxRelay'),
    });
    // Wake up right after a transaction that wrote to the outbox commits.
    dataSource.subscribers.push({
      afterTransactionCommit: (event) => {
        const data = event.queryRunner.data as Record<string, unknown> | undefined;
        if (data?.[OUTBOX_PENDING]) {
          data[OUTBOX_PENDING] = false;
          this.wake();
        }
      },
    });
    outbox.onWritten(() => this.wake());
  }

  start(): void {
    this.loop.start();
  }

  private wake(): void {
    this.wakes++;
    this.loop.kick();
  }

  /** Publishes everything pending now; for tests and shutdown. */
  async flush(): Promise<void> {
    await this.loop.runNow();
  }

  async pendingCount(): Promise<number> {
    const rows = await this.dataSource.query(`SELECT count(*)::int AS n FROM outbox_message WHERE published_at IS NULL`);
    return rows[0].n;
  }

  onApplicationShutdown(): void {
    this.loop.stop();
  }

  /**
   * Claims and publishes batches until no more rows wait. While the broker confirms one batch the
   * next is claimed and sent (at most PIPELINE_DEPTH in flight), so a busy outbox does not wait a
   * whole confirm round trip between batches. Each batch's rows are marked published only after
   * the broker confirmed that batch; batches are sent in the order they were claimed.
   */
  private async drainOnce(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    try {
      for (;;) {
        const wakesBefore = this.wakes;
        let handedOver!: (claimed: number) => void;
        const sent = new Promise<number>((resolve) => (handedOver = resolve));
        const batch: Promise<void> = this.publishBatch(handedOver)
          .catch((error: unknown) => {
            failure ??= error;
            handedOver(0);
          })
          .finally(() => inFlight.delete(batch));
        inFlight.add(batch);
        const claimed = await sent;
        if (failure !== undefined || claimed === 0) break;
        // A full batch means more rows wait; a wake-up since this batch was claimed means new commits.
        if (claimed < this.settings.batchSize && this.wakes === wakesBefore) break;
        while (inFlight.size >= PIPELINE_DEPTH) await Promise.race(inFlight);
        if (failure !== undefined) break;
      }
    } finally {
      await Promise.all(inFlight);
    }
    if (failure !== undefined) throw failure;
  }

  /** Claims one batch, sends it (then calls `handedOver` with its size: 0 if none), and marks it published once confirmed. */
  private async publishBatch(handedOver: (claimed: number) => void): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      const rows: OutboxRow[] = await em.query(
        `SELECT id, message_id, event_type, event_version, payload, occurred_at FROM outbox_message
          WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.settings.batchSize],
      );
      if (rows.length === 0) {
        handedOver(0);
        return;
      }
      // publish() sends every message before its first await: the batch is on the wire when it returns its promise.
      const confirmed = this.publisher.publish(rows.map((r) => this.toEnvelope(r)));
      handedOver(rows.length);
      await confirmed;
      await em.query(`UPDATE outbox_message SET published_at = clock_timestamp() WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
    });
  }

  private toEnvelope(row: OutboxRow): EventEnvelope {
    return {
      id: row.message_id,
      type: row.event_type,
      version: row.event_version,
      occurredAt: new Date(row.occurred_at).toISOString(),
      producer: this.service,
      payload: this.publishedPayload(typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload),
    };
  }

  /** The payload as published: a sealed phone opened back into `phone`. */
  private publishedPayload(payload: Record<string, unknown>): Record<string, unknown> {
    const sealed = payload?.[SEALED_PHONE_KEY];
    if (typeof sealed !== 'string') return payload;
    if (!this.vault) throw new Error('an outbox row holds a sealed phone number but this process has no PhoneVault');
    const { [SEALED_PHONE_KEY]: _sealed, ...rest } = payload;
    return { ...rest, phone: this.vault.open(sealed) };
  }
}
