import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Replies as residents write them (docs/surveys.md): the reminder, late replies, re-asks, the
 * opt-out list (退订), one-time web rating links (only the token's hash is stored).
 */
export class SurveyReplies1764400000320 implements MigrationInterface {
  name = 'SurveyReplies1764400000320';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE survey
      ADD COLUMN reminded_at timestamptz,
      ADD COLUMN rated_via text,
      ADD COLUMN unrecognised_replies int NOT NULL DEFAULT 0,
      ADD COLUMN late_reply_answered_at timestamptz`);
    await q.query(`CREATE INDEX survey_by_phone ON survey (phone, sent_at)`);
    await q.query(`CREATE INDEX survey_awaiting_by_expiry ON survey (expires_at) WHERE status = 'awaiting_reply'`);
    await q.query(`CREATE TABLE sms_opt_out (phone text PRIMARY KEY, opted_out_at timestamptz NOT NULL)`);
    await q.query(`CREATE TABLE survey_link (
      token_hash text PRIMARY KEY, survey_id uuid NOT NULL REFERENCES survey (id) ON DELETE CASCADE,
      issued_at timestamptz NOT NULL, used_at timestamptz
    )`);
    await q.query(`CREATE INDEX survey_link_by_survey ON survey_link (survey_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE survey_link`);
    await q.query(`DROP TABLE sms_opt_out`);
    await q.query(`DROP INDEX survey_awaiting_by_expiry`);
    await q.query(`DROP INDEX survey_by_phone`);
    await q.query(`ALTER TABLE survey DROP COLUMN reminded_at, DROP COLUMN rated_via, DROP COLUMN unrecognised_replies, DROP COLUMN late_reply_answered_at`);
  }
}
