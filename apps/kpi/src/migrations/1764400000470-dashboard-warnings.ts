import type { MigrationInterface, QueryRunner } from 'typeorm';

const RULES = ['surge', 'overdue_wave', 'satisfaction_dip'];
const SUBJECT_TYPES = ['station', 'community', 'district', 'company'];
const list = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ');

/**
 * Live monitoring (docs/dashboard.md): the early warnings kpi raised, each with its reason and the
 * figures behind it, and who acknowledged it. The index on kpi_event.received_at lets a replica
 * read the events the other replicas stored since it last looked (the live board's sync).
 */
export class DashboardWarnings1764400000470 implements MigrationInterface {
  name = 'DashboardWarnings1764400000470';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE dashboard_warning (
      id uuid PRIMARY KEY,
      rule text NOT NULL CHECK (rule IN (${list(RULES)})),
      subject_type text NOT NULL CHECK (subject_type IN (${list(SUBJECT_TYPES)})),
      subject_id text NOT NULL,
      subject_name text NOT NULL,
      city_code text,
      district_code text,
      authority_id text,
      company_id text,
      reason text NOT NULL CHECK (length(reason) > 0),
      figures jsonb NOT NULL,
      raised_at timestamptz NOT NULL,
      acknowledged_at timestamptz,
      acknowledged_by text,
      acknowledgement_note text,
      updated_at timestamptz NOT NULL,
      CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL))
    )`);
    await q.query(`CREATE INDEX dashboard_warning_subject ON dashboard_warning (rule, subject_type, subject_id, raised_at DESC)`);
    await q.query(`CREATE INDEX dashboard_warning_raised ON dashboard_warning (raised_at)`);
    await q.query(`CREATE INDEX dashboard_warning_updated ON dashboard_warning (updated_at)`);
    await q.query(`CREATE INDEX kpi_event_received ON kpi_event (received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX kpi_event_received`);
    await q.query(`DROP TABLE dashboard_warning`);
  }
}
