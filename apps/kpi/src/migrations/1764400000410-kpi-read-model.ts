import type { MigrationInterface, QueryRunner } from 'typeorm';
const COUNTERS = [
  'dispatched',
  'on_time_dispatched',
  'with_feedback',
  'feedback_ms_sum',
  'closed',
  'rated',
  'satisfied',
  'basically_satisfied',
  'dissatisfied',
  'approved_reconsiderations',
  'failed_spot_checks',
];

/**
 * The event-sourced read model (docs/kpi.md): kpi_case keeps each case's facts (state), so the
 * counters follow a case to its final company and a fresh survey replaces a rating; unit_month
 * sums handling time in whole milliseconds (exact, whatever the order of additions) and refuses
 * negative counters; kpi_unit_link records which companies the dispatches place under which
 * authority and city. The old rows are not in the new form: the migration files a rebuild request
 * (kpi_rebuild_request) that the service carries out at start-up (KpiRebuilder), from kpi_event
 * with the current rules. A migration never runs the projection code itself: that code follows
 * the latest schema, a migration must keep working against the schema of its own time.
 */
export class KpiReadModel1764400000410 implements MigrationInterface {
  name = 'KpiReadModel1764400000410';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE kpi_case ADD COLUMN state jsonb NOT NULL DEFAULT '{}'::jsonb, ADD COLUMN first_dispatched_at timestamptz`);
    for (const c of ['company_id', 'authority_id', 'city_code', 'month', 'dispatched_at']) await q.query(`ALTER TABLE kpi_case ALTER COLUMN ${c} DROP NOT NULL`);
    await q.query(`CREATE INDEX kpi_case_company ON kpi_case (company_id)`);
    await q.query(`ALTER TABLE unit_month ADD COLUMN feedback_ms_sum bigint NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE unit_month DROP COLUMN feedback_days_sum`);
    await q.query(`ALTER TABLE unit_month ADD CONSTRAINT unit_month_not_negative CHECK (${COUNTERS.map((c) => `${c} >= 0`).join(' AND ')})`);
    await q.query(`CREATE INDEX unit_month_by_month ON unit_month (unit_type, month)`);
    await q.query(`CREATE TABLE kpi_unit_link (
      company_id text NOT NULL, authority_id text NOT NULL, city_code text NOT NULL,
      PRIMARY KEY (company_id, authority_id, city_code)
    )`);
    await q.query(`CREATE INDEX kpi_unit_link_authority ON kpi_unit_link (authority_id)`);
    await q.query(`CREATE INDEX kpi_unit_link_city ON kpi_unit_link (city_code)`);
    await q.query(`DROP INDEX kpi_event_occurred`);
    await q.query(`CREATE INDEX kpi_event_replay ON kpi_event (occurred_at, message_id)`);
    await q.query(`CREATE TABLE kpi_rebuild_request (reason text PRIMARY KEY, requested_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`INSERT INTO kpi_rebuild_request (reason) VALUES ($1)`, [this.name]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE kpi_rebuild_request`);
    await q.query(`DROP INDEX kpi_event_replay`);
    await q.query(`CREATE INDEX kpi_event_occurred ON kpi_event (occurred_at)`);
    await q.query(`DROP TABLE kpi_unit_link`);
    await q.query(`DROP INDEX unit_month_by_month`);
    await q.query(`ALTER TABLE unit_month DROP CONSTRAINT unit_month_not_negative`);
    await q.query(`ALTER TABLE unit_month ADD COLUMN feedback_days_sum double precision NOT NULL DEFAULT 0`);
    await q.query(`UPDATE unit_month SET feedback_days_sum = feedback_ms_sum / 86400000.0`);
    await q.query(`ALTER TABLE unit_month DROP COLUMN feedback_ms_sum`);
    await q.query(`DROP INDEX kpi_case_company`);
    await q.query(`DELETE FROM kpi_case WHERE company_id IS NULL`);
    for (const c of ['company_id', 'authority_id', 'city_code', 'month', 'dispatched_at']) await q.query(`ALTER TABLE kpi_case ALTER COLUMN ${c} SET NOT NULL`);
    await q.query(`ALTER TABLE kpi_case DROP COLUMN state, DROP COLUMN first_dispatched_at`);
  }
}
