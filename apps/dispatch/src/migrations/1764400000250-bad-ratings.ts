import type { MigrationInterface, QueryRunner } from 'typeorm';

/** 差评处理: the follow-up of every 不满意 rating, and the province's spot-checks of approved reconsiderations. */
export class BadRatings1764400000250 implements MigrationInterface {
  name = 'BadRatings1764400000250';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE bad_rating (
      id uuid PRIMARY KEY,
      survey_id uuid NOT NULL UNIQUE,
      case_id uuid NOT NULL REFERENCES dispatch_case(id),
      case_number text NOT NULL,
      company_id text NOT NULL,
      authority_id text NOT NULL,
      city_code text NOT NULL,
      district_code text NOT NULL,
      comment text,
      rated_at timestamptz NOT NULL,
      status text NOT NULL,
      due_at timestamptz NOT NULL,
      callback jsonb,
      classification text,
      classification_note text,
      classified_by text,
      rectification_summary text,
      reconsideration jsonb,
      reconsideration_decision text,
      reconsideration_reason text,
      reconsideration_decided_by text,
      reconsideration_decided_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX bad_rating_company ON bad_rating (company_id, status)`);
    await q.query(`CREATE INDEX bad_rating_region ON bad_rating (city_code, district_code, status)`);
    await q.query(`CREATE TABLE spot_check (
      id uuid PRIMARY KEY,
      bad_rating_id uuid NOT NULL UNIQUE REFERENCES bad_rating(id),
      case_id uuid NOT NULL,
      company_id text NOT NULL,
      authority_id text NOT NULL,
      month text NOT NULL,
      drawn_at timestamptz NOT NULL,
      drawn_by text NOT NULL,
      method text,
      finding text,
      note text,
      recorded_at timestamptz,
      recorded_by text
    )`);
    await q.query(`CREATE INDEX spot_check_month ON spot_check (month)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE spot_check`);
    await q.query(`DROP TABLE bad_rating`);
  }
}
