import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Residents' channels: phone verification, photos, duplicate linking, coordinates. */
export class IntakeChannels1764400000110 implements MigrationInterface {
  name = 'IntakeChannels1764400000110';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE complaint
      ADD COLUMN address_key text NOT NULL DEFAULT '',
      ADD COLUMN latitude double precision,
      ADD COLUMN longitude double precision,
      ADD COLUMN photo_ids uuid[] NOT NULL DEFAULT '{}',
      ADD COLUMN repeat_count int NOT NULL DEFAULT 0`);
    await q.query(`UPDATE complaint SET address_key = concat_ws('|', city_code, district_code,
      lower(regexp_replace(street, '[[:space:][:punct:]]', '', 'g')), lower(regexp_replace(coalesce(building, ''), '[[:space:][:punct:]]', '', 'g')),
      lower(regexp_replace(coalesce(unit, ''), '[[:space:][:punct:]]', '', 'g')), lower(regexp_replace(coalesce(room, ''), '[[:space:][:punct:]]', '', 'g')))`);
    await q.query(`UPDATE complaint SET recorded_by = 'unknown' WHERE recorded_by IS NULL`);
    await q.query(`ALTER TABLE complaint ALTER COLUMN recorded_by SET NOT NULL`);
    await q.query(`DROP INDEX complaint_idempotency`);
    await q.query(`CREATE UNIQUE INDEX complaint_idempotency ON complaint (recorded_by, phone, idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await q.query(`CREATE INDEX complaint_open_duplicates ON complaint (phone, category, address_key) WHERE status IN ('received', 'dispatched', 'feedback')`);
    await q.query(`CREATE TABLE attachment (
      id uuid PRIMARY KEY, content_type text NOT NULL, size int NOT NULL, data bytea NOT NULL,
      owner_key text NOT NULL, complaint_id uuid REFERENCES complaint(id), created_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE TABLE phone_verification (
      id uuid PRIMARY KEY, phone text NOT NULL, code_hash text NOT NULL, ip text NOT NULL, status text NOT NULL,
      attempts int NOT NULL, created_at timestamptz NOT NULL, expires_at timestamptz NOT NULL, verified_at timestamptz
    )`);
    await q.query(`CREATE INDEX phone_verification_phone ON phone_verification (phone, created_at DESC)`);
    await q.query(`CREATE INDEX phone_verification_ip ON phone_verification (ip, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE phone_verification`);
    await q.query(`DROP TABLE attachment`);
    await q.query(`DROP INDEX complaint_open_duplicates`);
    await q.query(`DROP INDEX complaint_idempotency`);
    await q.query(`CREATE UNIQUE INDEX complaint_idempotency ON complaint (recorded_by, idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await q.query(`ALTER TABLE complaint DROP COLUMN address_key, DROP COLUMN latitude, DROP COLUMN longitude, DROP COLUMN photo_ids, DROP COLUMN repeat_count`);
  }
}
