import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Replies received through provider callbacks (docs/sms.md): one row per provider message, so a
 * redelivered callback is recognised (Aliyun: sequence_id; Tencent: hash of mobile, time and text)
 * and handled once. Written in the transaction that hands the reply to the survey.
 */
export class SmsInbound1764400000310 implements MigrationInterface {
  name = 'SmsInbound1764400000310';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE sms_inbound_receipt (
      id bigserial PRIMARY KEY,
      provider text NOT NULL,
      receipt_key text NOT NULL,
      phone text,
      text text NOT NULL,
      truncated boolean NOT NULL DEFAULT false,
      original_length int NOT NULL,
      provider_time text,
      dest_code text,
      sign_name text,
      status text NOT NULL,
      outcome text,
      problem text,
      received_at timestamptz NOT NULL,
      CONSTRAINT sms_inbound_receipt_once UNIQUE (provider, receipt_key)
    )`);
    await q.query(`CREATE INDEX sms_inbound_receipt_by_phone ON sms_inbound_receipt (phone, received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sms_inbound_receipt`);
  }
}
