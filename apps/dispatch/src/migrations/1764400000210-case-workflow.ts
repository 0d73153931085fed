import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The company and authority workflow: grading, deadlines and reminders, returns and extensions
 * decided by the authority, escalations, the temperature slip, and an action log of every step.
 */
export class CaseWorkflow1764400000210 implements MigrationInterface {
  name = 'CaseWorkflow1764400000210';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dispatch_case
      ADD COLUMN complexity text NOT NULL DEFAULT 'general',
      ADD COLUMN routing jsonb,
      ADD COLUMN corrected_named_company_id text,
      ADD COLUMN dispatch_limit_at timestamptz,
      ADD COLUMN dispatch_overdue_at timestamptz,
      ADD COLUMN reminded_24h_at timestamptz,
      ADD COLUMN reminded_4h_at timestamptz,
      ADD COLUMN overdue_at timestamptz,
      ADD COLUMN returns_locked boolean NOT NULL DEFAULT false,
      ADD COLUMN escalated_at timestamptz,
      ADD COLUMN temperature_slip jsonb,
      ADD COLUMN refund_percent int,
      ADD COLUMN updated_at timestamptz`);
    await q.query(`UPDATE dispatch_case SET dispatch_limit_at = received_at + interval '2 hours', updated_at = coalesce(closed_at, dispatched_at, received_at)`);
    await q.query(`ALTER TABLE dispatch_case ALTER COLUMN dispatch_limit_at SET NOT NULL, ALTER COLUMN updated_at SET NOT NULL`);
    // The deadline monitor's scans: open cases by due time, and the manual queue by dispatch limit.
    await q.query(`CREATE INDEX dispatch_case_open_due ON dispatch_case (due_at) WHERE status IN ('dispatched', 'signed', 'return_requested')`);
    await q.query(`CREATE INDEX dispatch_case_manual_limit ON dispatch_case (dispatch_limit_at) WHERE status = 'awaiting_manual_dispatch'`);
    await q.query(`CREATE INDEX dispatch_case_district ON dispatch_case (district_code, status)`);
    await q.query(`CREATE INDEX dispatch_case_city ON dispatch_case (city_code, status)`);

    await q.query(`CREATE TABLE case_action (
      id bigserial PRIMARY KEY,
      case_id uuid NOT NULL REFERENCES dispatch_case(id),
      at timestamptz NOT NULL,
      actor_role text NOT NULL,
      actor_id text NOT NULL,
      action text NOT NULL,
      from_status text,
      to_status text,
      detail jsonb NOT NULL DEFAULT '{}'
    )`);
    await q.query(`CREATE INDEX case_action_case ON case_action (case_id, id)`);

    await q.query(`CREATE TABLE case_request (
      id uuid PRIMARY KEY,
      case_id uuid NOT NULL REFERENCES dispatch_case(id),
      kind text NOT NULL,
      company_id text NOT NULL,
      reason text NOT NULL,
      requested_days int,
      previous_status text NOT NULL,
      status text NOT NULL,
      requested_at timestamptz NOT NULL,
      requested_by text NOT NULL,
      decided_at timestamptz,
      decided_by text,
      decision_note text,
      reassigned_to text
    )`);
    // One open request per case: a return and an extension cannot wait side by side.
    await q.query(`CREATE UNIQUE INDEX case_request_one_pending ON case_request (case_id) WHERE status = 'pending'`);

    await q.query(`CREATE TABLE evidence_photo (
      id uuid PRIMARY KEY,
      case_id uuid NOT NULL REFERENCES dispatch_case(id),
      company_id text NOT NULL,
      mime_type text NOT NULL,
      bytes bytea NOT NULL,
      size int NOT NULL,
      uploaded_at timestamptz NOT NULL,
      uploaded_by text NOT NULL
    )`);
    await q.query(`CREATE INDEX evidence_photo_case ON evidence_photo (case_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE evidence_photo`);
    await q.query(`DROP TABLE case_request`);
    await q.query(`DROP TABLE case_action`);
    await q.query(`DROP INDEX dispatch_case_open_due`);
    await q.query(`DROP INDEX dispatch_case_manual_limit`);
    await q.query(`DROP INDEX dispatch_case_district`);
    await q.query(`DROP INDEX dispatch_case_city`);
    await q.query(`ALTER TABLE dispatch_case
      DROP COLUMN complexity, DROP COLUMN routing, DROP COLUMN corrected_named_company_id, DROP COLUMN dispatch_limit_at,
      DROP COLUMN dispatch_overdue_at, DROP COLUMN reminded_24h_at, DROP COLUMN reminded_4h_at, DROP COLUMN overdue_at,
      DROP COLUMN returns_locked, DROP COLUMN escalated_at, DROP COLUMN temperature_slip, DROP COLUMN refund_percent,
      DROP COLUMN updated_at`);
  }
}
