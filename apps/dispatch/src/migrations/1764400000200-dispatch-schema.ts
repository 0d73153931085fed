import type { MigrationInterface, QueryRunner } from 'typeorm';

export class DispatchSchema1764400000200 implements MigrationInterface {
  name = 'DispatchSchema1764400000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE authority (
      id text PRIMARY KEY, name text NOT NULL, level text NOT NULL, region_code text NOT NULL UNIQUE, city_code text NOT NULL
    )`);
    await q.query(`CREATE TABLE company (
      id text PRIMARY KEY, name text NOT NULL, authority_id text NOT NULL REFERENCES authority(id),
      city_code text NOT NULL, district_code text NOT NULL, webhook_url text, webhook_secret text
    )`);
    await q.query(`CREATE TABLE station (
      id text PRIMARY KEY, name text NOT NULL, company_id text NOT NULL REFERENCES company(id), district_code text NOT NULL
    )`);
    await q.query(`CREATE TABLE community (
      id text PRIMARY KEY, name text NOT NULL, normalized_name text NOT NULL, district_code text NOT NULL,
      station_id text NOT NULL REFERENCES station(id), company_id text NOT NULL REFERENCES company(id),
      unclear_owner boolean NOT NULL DEFAULT false, aliases text[] NOT NULL DEFAULT '{}'
    )`);
    await q.query(`CREATE INDEX community_district ON community (district_code, normalized_name)`);
    await q.query(`CREATE TABLE dispatch_case (
      id uuid PRIMARY KEY, case_number text NOT NULL UNIQUE, category text NOT NULL, community_name text NOT NULL,
      city_code text NOT NULL, district_code text NOT NULL, address jsonb NOT NULL, description text NOT NULL,
      phone text NOT NULL, contact_name text, indoor_temperature_c real, days_without_heat int,
      status text NOT NULL, company_id text, authority_id text NOT NULL, community_id text,
      routing_reason text NOT NULL, named_company_id text,
      received_at timestamptz NOT NULL, dispatched_at timestamptz, due_at timestamptz, signed_at timestamptz,
      resolution text, feedback_summary text, closed_at timestamptz
    )`);
    await q.query(`CREATE INDEX dispatch_case_company ON dispatch_case (company_id, status)`);
    await q.query(`CREATE INDEX dispatch_case_authority ON dispatch_case (authority_id, status)`);
    await q.query(`CREATE TABLE webhook_delivery (
      id text PRIMARY KEY, company_id text NOT NULL, case_id uuid NOT NULL, event_type text NOT NULL,
      payload jsonb NOT NULL, status text NOT NULL, attempts int NOT NULL, next_attempt_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL, delivered_at timestamptz, last_error text
    )`);
    await q.query(`CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE TABLE webhook_attempt (
      delivery_id text NOT NULL REFERENCES webhook_delivery(id), attempt int NOT NULL, at timestamptz NOT NULL,
      status_code int, duration_ms int NOT NULL, error text, PRIMARY KEY (delivery_id, attempt)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['webhook_attempt', 'webhook_delivery', 'dispatch_case', 'community', 'station', 'company', 'authority']) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
