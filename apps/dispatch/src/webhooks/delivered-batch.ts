import type { DataSource } from 'typeorm';
import { modifyReturning } from './webhook-sql.js';

/** A successful attempt waiting to be recorded. */
export interface DeliveredAttempt {
  deliveryId: string;
  attemptAt: Date;
  statusCode: number | null;
  durationMs: number;
}

interface Waiting extends DeliveredAttempt {
  resolve(recorded: boolean): void;
  reject(error: unknown): void;
}

/** Most attempts written by one statement. */
const MAX_BATCH = 500;

/** How long a first success waits for others before its batch is written (off the webhook's path). */
const COALESCE_MS = 20;

/**
 * Records successful webhook attempts in batches: one statement marks every delivery of the batch
 * delivered and logs its attempt. A batch collects for COALESCE_MS after its first attempt, and
 * while one batch is being written the next one collects, so a busy dispatcher writes many per
 * round trip. The webhook has already arrived: only its bookkeeping waits.
 *
 * `add` resolves true once the attempt is recorded, false when the delivery was no longer pending
 * (settled meanwhile, e.g. failed when a 410 disabled the endpoint): the caller records that one
 * attempt the slow way.
 */
export class DeliveredBatch {
  private waiting: Waiting[] = [];
  private flushing = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly now: () => Date,
  ) {}

  add(attempt: DeliveredAttempt): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.waiting.push({ ...attempt, resolve, reject });
      if (!this.flushing && !this.timer) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          void this.flush();
        }, COALESCE_MS);
      }
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, MAX_BATCH);
        try {
          const recorded = await this.write(batch);
          for (const w of batch) w.resolve(recorded.has(w.deliveryId));
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** One autocommit statement: deliveries still pending become delivered, and each gets its attempt row. */
  private async write(batch: DeliveredAttempt[]): Promise<Set<string>> {
    const now = this.now();
    const rows = await modifyReturning<{ delivery_id: string }>(
      this.dataSource.manager,
      `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::int[], $4::int[]) AS t(id, at, status_code, duration_ms)
       ), done AS (
         UPDATE webhook_delivery w
            SET attempts = w.attempts + 1, status = 'delivered', delivered_at = $5, last_error = NULL,
                leased_until = NULL, updated_at = $5
           FROM input i
          WHERE w.id = i.id AND w.status = 'pending'
         RETURNING w.id, w.attempts
       )
       INSERT INTO webhook_attempt (delivery_id, attempt, at, status_code, duration_ms, error)
       SELECT d.id, d.attempts, i.at, i.status_code, i.duration_ms, NULL FROM done d JOIN input i ON i.id = d.id
       RETURNING delivery_id`,
      [
        batch.map((b) => b.deliveryId),
        batch.map((b) => b.attemptAt.toISOString()),
        batch.map((b) => b.statusCode),
        batch.map((b) => b.durationMs),
        now,
      ],
    );
    return new Set(rows.map((r) => r.delivery_id));
  }
}
