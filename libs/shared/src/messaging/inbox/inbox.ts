import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import type { EventEnvelope } from '../envelope.js';

export const INBOX_SETTINGS = Symbol('INBOX_SETTINGS');

export interface InboxSettings {
  /** Most messages handled in one transaction (1: one transaction per message). */
  maxBatch: number;
  /** Transactions of this service's consumers running at once. */
  concurrency: number;
}

const DEFAULT_SETTINGS: InboxSettings = { maxBatch: 1, concurrency: 8 };

type Effect = (em: EntityManager) => Promise<void>;

interface Job {
  envelope: EventEnvelope;
  effect: Effect;
  resolve: (fresh: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * Consumer-side de-duplication: the message id is stored in the same transaction as the handler's
 * effect, so a redelivered message (after a crash before the ack) has no second effect.
 *
 * Group commit: while `concurrency` transactions are running, further messages wait, and the next
 * transaction takes up to `maxBatch` of them at once — one BEGIN, one inbox insert and one COMMIT
 * for the lot, each handler's statements in arrival order. A quiet consumer still handles each
 * message in its own transaction at once; a busy one spends fewer round trips per message. Each
 * caller's promise settles only after the transaction that holds its effect committed, so the
 * transport still acks after commit. If any effect (or the commit) fails, the whole transaction
 * rolls back and every message of it is handled again in a transaction of its own: the failing
 * one fails alone, the others are not delayed by its retries.
 */
@Injectable()
export class Inbox {
  private readonly logger = new Logger('Inbox');
  private readonly waiting: Job[] = [];
  private running = 0;
  private readonly settings: InboxSettings;

  constructor(
    private readonly dataSource: DataSource,
    @Optional() @Inject(INBOX_SETTINGS) settings?: InboxSettings,
  ) {
    this.settings = settings ?? DEFAULT_SETTINGS;
  }

  /** Runs `effect` once per message id; resolves (after commit) to false if the message had been handled already. */
  once(envelope: EventEnvelope, effect: Effect): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.waiting.push({ envelope, effect, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.settings.concurrency && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.settings.maxBatch);
      this.running++;
      void (batch.length === 1 ? this.alone(batch[0]) : this.together(batch)).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  /** One message, one transaction; its outcome goes to its caller. */
  private async alone(job: Job): Promise<void> {
    try {
      job.resolve(
        await this.dataSource.transaction(async (em) => {
          const inserted: unknown[] = await em.query(
            `INSERT INTO inbox_message (message_id, event_type) VALUES ($1, $2) ON CONFLICT (message_id) DO NOTHING RETURNING message_id`,
            [job.envelope.id, job.envelope.type],
          );
          if (inserted.length === 0) return false;
          await job.effect(em);
          return true;
        }),
      );
    } catch (error) {
      job.reject(error);
    }
  }

  /** Several messages in one transaction; on any failure, each again on its own. */
  private async together(batch: Job[]): Promise<void> {
    let outcomes: boolean[];
    try {
      outcomes = await this.dataSource.transaction(async (em) => {
        const firstOfId = new Map<string, Job>();
        for (const job of batch) if (!firstOfId.has(job.envelope.id.toLowerCase())) firstOfId.set(job.envelope.id.toLowerCase(), job);
        const jobs = [...firstOfId.values()];
        const inserted: Array<{ message_id: string }> = await em.query(
          `INSERT INTO inbox_message (message_id, event_type)
           SELECT * FROM unnest($1::uuid[], $2::text[])
           ON CONFLICT (message_id) DO NOTHING RETURNING message_id`,
          [jobs.map((j) => j.envelope.id), jobs.map((j) => j.envelope.type)],
        );
        const fresh = new Set(inserted.map((r) => String(r.message_id).toLowerCase()));
        const results: boolean[] = [];
        for (const job of batch) {
          const id = job.envelope.id.toLowerCase();
          const isFresh = fresh.has(id) && firstOfId.get(id) === job;
          if (isFresh) await job.effect(em);
          results.push(isFresh);
        }
        return results;
      });
    } catch (error) {
      this.logger.debug(`a transaction of ${batch.length} messages failed (${error instanceof Error ? error.message : String(error)}); handling each alone`);
      for (const job of batch) await this.alone(job);
      return;
    }
    batch.forEach((job, i) => job.resolve(outcomes[i]));
  }
}
