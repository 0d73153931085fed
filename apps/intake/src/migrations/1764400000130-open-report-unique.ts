import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One open case per phone, category and address, enforced by PostgreSQL: a repeat report's insert
 * is refused by the index (ON CONFLICT DO NOTHING) and linked to the open case instead. Statuses
 * only move forwards, so a closed case never collides on its way back. Replaces the plain index
 * the duplicate check used. (The old check never let two open cases of one report exist, short of
 * a race between two identical reports, which this index now settles.)
 */
export class OpenReportUnique1764400000130 implements MigrationInterface {
  name = 'OpenReportUnique1764400000130';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX complaint_open_duplicates`);
    await q.query(
      `CREATE UNIQUE INDEX complaint_open_report ON complaint (phone, category, address_key)
        WHERE status IN ('received', 'dispatched', 'feedback')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX complaint_open_report`);
    await q.query(`CREATE INDEX complaint_open_duplicates ON complaint (phone, category, address_key) WHERE status IN ('received', 'dispatched', 'feedback')`);
  }
}
