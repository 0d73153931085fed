import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The SMS outbox table, for every service that sends SMS (sms-survey, intake for verification codes). */
export class SmsTables1764400000050 implements MigrationInterface {
  name = 'SmsTables1764400000050';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE IF NOT EXISTS sms_message (
      id bigserial PRIMARY KEY, direction text NOT NULL, phone text NOT NULL, text text NOT NULL,
      status text NOT NULL, attempts int NOT NULL DEFAULT 0, provider text NOT NULL, provider_message_id text,
      survey_id uuid, at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX IF NOT EXISTS sms_message_pending ON sms_message (id) WHERE status = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sms_message`);
  }
}
