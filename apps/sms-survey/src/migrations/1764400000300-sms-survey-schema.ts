import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SmsSurveySchema1764400000300 implements MigrationInterface {
  name = 'SmsSurveySchema1764400000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE case_contact (case_id uuid PRIMARY KEY, case_number text NOT NULL, phone text NOT NULL)`);
    await q.query(`CREATE TABLE survey (
      id uuid PRIMARY KEY, case_id uuid NOT NULL UNIQUE, case_number text NOT NULL, company_id text NOT NULL,
      authority_id text NOT NULL, phone text NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL,
      sent_at timestamptz, expires_at timestamptz, rated_at timestamptz, rating text, comment text
    )`);
    // The rule that keeps replies on the right case: one survey awaiting a reply per phone.
    await q.query(`CREATE UNIQUE INDEX survey_one_open_per_phone ON survey (phone) WHERE status = 'awaiting_reply'`);
    await q.query(`CREATE INDEX survey_queued ON survey (phone, created_at) WHERE status = 'queued'`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['survey', 'case_contact']) await q.query(`DROP TABLE ${t}`);
  }
}
