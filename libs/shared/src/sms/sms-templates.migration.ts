import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SMS from registered templates (docs/sms.md): each outgoing row keeps its template and parameters
 * (what a provider is sent), the provider's reason of the last failure and when to retry.
 */
export class SmsTemplates1764400000060 implements MigrationInterface {
  name = 'SmsTemplates1764400000060';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sms_message
      ADD COLUMN IF NOT EXISTS template text,
      ADD COLUMN IF NOT EXISTS template_params jsonb,
      ADD COLUMN IF NOT EXISTS last_error text,
      ADD COLUMN IF NOT EXISTS next_attempt_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sms_message DROP COLUMN template, DROP COLUMN template_params, DROP COLUMN last_error, DROP COLUMN next_attempt_at`);
  }
}
