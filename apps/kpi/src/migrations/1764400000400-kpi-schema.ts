import type { MigrationInterface, QueryRunner } from 'typeorm';

export class KpiSchema1764400000400 implements MigrationInterface {
  name = 'KpiSchema1764400000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE kpi_event (
      message_id uuid PRIMARY KEY, type text NOT NULL, version int NOT NULL, occurred_at timestamptz NOT NULL,
      payload jsonb NOT NULL, received_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX kpi_event_occurred ON kpi_event (occurred_at)`);
    await q.query(`CREATE TABLE kpi_case (
      case_id uuid PRIMARY KEY, company_id text NOT NULL, authority_id text NOT NULL, city_code text NOT NULL,
      month text NOT NULL, dispatched_at timestamptz NOT NULL, feedback_at timestamptz, closed_at timestamptz, rating text
    )`);
    await q.query(`CREATE TABLE unit_month (
      unit_type text NOT NULL, unit_id text NOT NULL, month text NOT NULL,
      dispatched int NOT NULL DEFAULT 0, on_time_dispatched int NOT NULL DEFAULT 0, with_feedback int NOT NULL DEFAULT 0,
      feedback_days_sum double precision NOT NULL DEFAULT 0, closed int NOT NULL DEFAULT 0, rated int NOT NULL DEFAULT 0,
      satisfied int NOT NULL DEFAULT 0, basically_satisfied int NOT NULL DEFAULT 0, dissatisfied int NOT NULL DEFAULT 0,
      approved_reconsiderations int NOT NULL DEFAULT 0, failed_spot_checks int NOT NULL DEFAULT 0,
      PRIMARY KEY (unit_type, unit_id, month)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['unit_month', 'kpi_case', 'kpi_event']) await q.query(`DROP TABLE ${t}`);
  }
}
