import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Published monthly bulletins (月度通报): one row per (month, version), never changed afterwards.
 * A trigger refuses UPDATE and DELETE, so a published version cannot be altered even by hand;
 * new figures become a new version.
 */
export class Bulletins1764400000450 implements MigrationInterface {
  name = 'Bulletins1764400000450';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE bulletin (
      id uuid PRIMARY KEY,
      month text NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      version int NOT NULL CHECK (version >= 1),
      created_at timestamptz NOT NULL,
      created_by text NOT NULL,
      snapshot jsonb NOT NULL,
      changes jsonb,
      html text NOT NULL,
      pdf bytea NOT NULL,
      xlsx bytea NOT NULL,
      sha256_html text NOT NULL CHECK (sha256_html ~ '^[0-9a-f]{64}$'),
      sha256_pdf text NOT NULL CHECK (sha256_pdf ~ '^[0-9a-f]{64}$'),
      sha256_xlsx text NOT NULL CHECK (sha256_xlsx ~ '^[0-9a-f]{64}$'),
      UNIQUE (month, version)
    )`);
    await q.query(`CREATE FUNCTION bulletin_is_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'bulletin % version % is published and cannot be changed (publish a new version instead)', OLD.month, OLD.version
          USING ERRCODE = 'integrity_constraint_violation';
      END $$`);
    await q.query(`CREATE TRIGGER bulletin_immutable BEFORE UPDATE OR DELETE ON bulletin FOR EACH ROW EXECUTE FUNCTION bulletin_is_immutable()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE bulletin`);
    await q.query(`DROP FUNCTION bulletin_is_immutable()`);
  }
}
