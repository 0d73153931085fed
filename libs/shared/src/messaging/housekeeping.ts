import { Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DataSource } from 'typeorm';
import { WorkLoop } from '../scheduling/work-loop.js';

/** Published outbox rows are kept a week (to look into), inbox ids a month (far past any redelivery). */
export const OUTBOX_RETENTION_DAYS = 7;
export const INBOX_RETENTION_DAYS = 30;
const BATCH = 5_000;

/** Hourly: prunes what outbox and inbox no longer need, in small batches so it never blocks writers. */
@Injectable()
export class MessagingHousekeeping implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly loop = new WorkLoop('messaging housekeeping', () => this.prune().then(() => undefined), {
    idleMs: 3_600_000,
    maxBackoffMs: 3_600_000,
    logger: new Logger('MessagingHousekeeping'),
  });

  constructor(private readonly dataSource: DataSource) {}

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onApplicationShutdown(): void {
    this.loop.stop();
  }

  /** Returns how many rows were removed. */
  async prune(): Promise<number> {
    let removed = 0;
    for (const sql of [
      `DELETE FROM outbox_message WHERE id IN (SELECT id FROM outbox_message WHERE published_at < now() - interval '${OUTBOX_RETENTION_DAYS} days' LIMIT ${BATCH})`,
      `DELETE FROM inbox_message WHERE message_id IN (SELECT message_id FROM inbox_message WHERE handled_at < now() - interval '${INBOX_RETENTION_DAYS} days' LIMIT ${BATCH})`,
    ]) {
      for (;;) {
        const [, count] = (await this.dataSource.query(sql)) as [unknown, number];
        removed += count ?? 0;
        if (!count || count < BATCH) break;
      }
    }
    return removed;
  }
}

/** Indexes the housekeeping needs. */
export class MessagingRetention1764400000900 implements MigrationInterface {
  name = 'MessagingRetention1764400000900';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX outbox_message_published ON outbox_message (published_at) WHERE published_at IS NOT NULL`);
    await q.query(`CREATE INDEX inbox_message_handled ON inbox_message (handled_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX inbox_message_handled`);
    await q.query(`DROP INDEX outbox_message_published`);
  }
}
