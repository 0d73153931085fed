import type { MigrationInterface, QueryRunner } from 'typeorm';

/** 大面积停供: outage incidents, the cases linked to them, and the residents told about them (once each). */
export class OutageIncidents1764400000240 implements MigrationInterface {
  name = 'OutageIncidents1764400000240';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE outage_incident (
      id uuid PRIMARY KEY,
      status text NOT NULL,
      authority_id text NOT NULL,
      city_code text NOT NULL,
      district_code text NOT NULL,
      title text NOT NULL,
      cause text NOT NULL,
      station_ids text[] NOT NULL DEFAULT '{}',
      community_ids text[] NOT NULL DEFAULT '{}',
      company_ids text[] NOT NULL DEFAULT '{}',
      expected_restoration_at timestamptz,
      proposed_reason text,
      created_at timestamptz NOT NULL,
      opened_at timestamptz,
      opened_by text,
      restored_at timestamptz,
      restored_by text,
      restoration_summary text,
      updated_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX outage_incident_active ON outage_incident (status) WHERE status IN ('proposed', 'open')`);
    await q.query(`CREATE TABLE incident_case (
      incident_id uuid NOT NULL REFERENCES outage_incident(id),
      case_id uuid NOT NULL REFERENCES dispatch_case(id),
      linked_at timestamptz NOT NULL,
      PRIMARY KEY (incident_id, case_id)
    )`);
    await q.query(`CREATE TABLE incident_resident (
      incident_id uuid NOT NULL REFERENCES outage_incident(id),
      phone text NOT NULL,
      notified_at timestamptz NOT NULL,
      PRIMARY KEY (incident_id, phone)
    )`);
    await q.query(`ALTER TABLE dispatch_case ADD COLUMN incident_id uuid`);
    await q.query(`CREATE INDEX dispatch_case_community_open ON dispatch_case (community_id) WHERE status <> 'closed'`);
    await q.query(`CREATE INDEX dispatch_case_recent_by_community ON dispatch_case (community_id, received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX dispatch_case_recent_by_community`);
    await q.query(`DROP INDEX dispatch_case_community_open`);
    await q.query(`ALTER TABLE dispatch_case DROP COLUMN incident_id`);
    await q.query(`DROP TABLE incident_resident`);
    await q.query(`DROP TABLE incident_case`);
    await q.query(`DROP TABLE outage_incident`);
  }
}
