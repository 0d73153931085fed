import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IntakeSchema1764400000100 implements MigrationInterface {
  name = 'IntakeSchema1764400000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE case_number_sequence (day text PRIMARY KEY, last_value int NOT NULL)`);
    await q.query(`CREATE TABLE complaint (
      id uuid PRIMARY KEY,
      case_number text NOT NULL UNIQUE,
      channel text NOT NULL,
      type text NOT NULL,
      category text NOT NULL,
      community_name text NOT NULL,
      city_code text NOT NULL,
      district_code text NOT NULL,
      street text NOT NULL,
      building text, unit text, room text,
      description text NOT NULL,
      phone text NOT NULL,
      contact_name text,
      named_company_id text,
      indoor_temperature_c real,
      days_without_heat int,
      recorded_by text,
      idempotency_key text,
      status text NOT NULL,
      resolution text,
      company_id text,
      rating text,
      received_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX complaint_phone ON complaint (phone, received_at DESC)`);
    await q.query(`CREATE UNIQUE INDEX complaint_idempotency ON complaint (recorded_by, idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await q.query(`CREATE TABLE complaint_status_entry (
      id bigserial PRIMARY KEY,
      complaint_id uuid NOT NULL REFERENCES complaint(id),
      status text NOT NULL,
      text text NOT NULL,
      at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX complaint_status_entry_complaint ON complaint_status_entry (complaint_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE complaint_status_entry`);
    await q.query(`DROP TABLE complaint`);
    await q.query(`DROP TABLE case_number_sequence`);
  }
}
