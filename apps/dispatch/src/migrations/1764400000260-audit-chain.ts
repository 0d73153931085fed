import type { MigrationInterface, QueryRunner } from 'typeorm';
import { chainEntries } from '../audit/audit-chain.js';
import { toStored } from '../audit/audit-verifier.js';
import type { ActionRow } from '../audit/audit-verifier.js';

/** Cases chained per batch while the existing entries are hashed. */
const BACKFILL_CASES = 500;

/**
 * The audit trail of cases (issue 9): `case_action` entries are hash-chained per case
 * (`prev_hash`, `hash`), each case's chain ends in `case_audit_head` (last hash, entry count), and
 * the table refuses UPDATE and DELETE (append-only). Entries written before this migration are
 * chained here, in id order.
 */
export class AuditChain1764400000260 implements MigrationInterface {
  name = 'AuditChain1764400000260';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE case_action ADD COLUMN prev_hash text, ADD COLUMN hash text`);
    await q.query(`CREATE TABLE case_audit_head (
      case_id uuid PRIMARY KEY REFERENCES dispatch_case(id),
      hash text NOT NULL,
      count int NOT NULL CHECK (count > 0)
    )`);
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const cases: Array<{ case_id: string }> = await q.query(
        `SELECT DISTINCT case_id FROM case_action WHERE case_id > $1 ORDER BY case_id LIMIT $2`,
        [after, BACKFILL_CASES],
      );
      if (cases.length === 0) break;
      after = cases[cases.length - 1].case_id;
      const rows: ActionRow[] = await q.query(`SELECT * FROM case_action WHERE case_id = ANY($1::uuid[]) ORDER BY case_id, id`, [cases.map((c) => c.case_id)]);
      const byCase = new Map<string, ActionRow[]>();
      for (const r of rows) byCase.set(r.case_id, [...(byCase.get(r.case_id) ?? []), r]);
      for (const [caseId, entries] of byCase) {
        const chained = chainEntries(null, entries.map(toStored));
        for (const [i, c] of chained.entries()) {
          await q.query(`UPDATE case_action SET prev_hash = $2, hash = $3 WHERE id = $1`, [entries[i].id, c.prevHash, c.hash]);
        }
        await q.query(`INSERT INTO case_audit_head (case_id, hash, count) VALUES ($1, $2, $3)`, [caseId, chained[chained.length - 1].hash, chained.length]);
      }
    }
    await q.query(`CREATE FUNCTION case_action_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'case_action is an append-only audit trail: % refused', TG_OP;
      END
    $$`);
    await q.query(`CREATE TRIGGER case_action_append_only BEFORE UPDATE OR DELETE ON case_action
      FOR EACH ROW EXECUTE FUNCTION case_action_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER case_action_append_only ON case_action`);
    await q.query(`DROP FUNCTION case_action_append_only()`);
    await q.query(`DROP TABLE case_audit_head`);
    await q.query(`ALTER TABLE case_action DROP COLUMN hash, DROP COLUMN prev_hash`);
  }
}
