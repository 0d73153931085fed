import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Case numbers from a sequence instead of a per-day counter row: the row lock serialised every
 * intake transaction until commit. The sequence starts past every number already issued.
 */
export class CaseNumberSequence1764400000120 implements MigrationInterface {
  name = 'CaseNumberSequence1764400000120';

  async up(q: QueryRunner): Promise<void> {
    const [{ start }] = await q.query(`SELECT coalesce(max(last_value), 0) + 1 AS start FROM case_number_sequence`);
    await q.query(`CREATE SEQUENCE case_number_seq START WITH ${Number(start)} CACHE 1`);
    await q.query(`DROP TABLE case_number_sequence`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE case_number_sequence (day text PRIMARY KEY, last_value int NOT NULL)`);
    await q.query(`DROP SEQUENCE case_number_seq`);
  }
}
