import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Outbox and inbox tables; every service includes this migration first. */
export class MessagingTables1764400000000 implements MigrationInterface {
  name = 'MessagingTables1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE outbox_message (
      id bigserial PRIMARY KEY,
      message_id uuid NOT NULL UNIQUE,
      event_type text NOT NULL,
      event_version int NOT NULL,
      payload jsonb NOT NULL,
      occurred_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz
    )`);
    await q.query(`CREATE INDEX outbox_message_pending ON outbox_message (id) WHERE published_at IS NULL`);
    await q.query(`CREATE TABLE inbox_message (
      message_id uuid PRIMARY KEY,
      event_type text NOT NULL,
      handled_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE inbox_message`);
    await q.query(`DROP TABLE outbox_message`);
  }
}
