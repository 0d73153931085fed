import type { MigrationInterface, QueryRunner } from 'typeorm';
import { normalizeMainlandMobile, phoneVaultOf } from '#shared';
import type { PhoneVault } from '#shared';

/** Rows converted per round trip pair (a keyset SELECT, then one UPDATE from arrays). */
const BATCH = 1000;
const OPEN = `status IN ('received', 'dispatched', 'feedback')`;

/**
 * Residents' numbers at rest (docs/security.md): `complaint.phone` and `phone_verification.phone`
 * become `phone_enc` (AES-256-GCM, opened only to mask it in a view or to put it in a resident's
 * token) and `phone_hash` (blind index of the normalised number). The indexes that looked numbers
 * up — open report, idempotency, a caller's cases, verification limits — move to `phone_hash`,
 * with the same partial WHERE. A resident's photo uploads were owned by `resident:<phone>`; they
 * become `resident:<phone_hash>`.
 */
export class PhonesAtRest1764400000140 implements MigrationInterface {
  name = 'PhonesAtRest1764400000140';

  async up(q: QueryRunner): Promise<void> {
    const vault = lazyVault(q);
    await q.query(`ALTER TABLE complaint ADD COLUMN phone_enc text, ADD COLUMN phone_hash text`);
    await q.query(`ALTER TABLE phone_verification ADD COLUMN phone_enc text, ADD COLUMN phone_hash text`);
    for (const table of ['complaint', 'phone_verification']) {
      await inBatches(q, `SELECT id, phone AS value FROM ${table}`, async (rows) => {
        const v = vault();
        await q.query(
          `UPDATE ${table} t SET phone_enc = v.enc, phone_hash = v.hash
             FROM unnest($1::uuid[], $2::text[], $3::text[]) AS v(id, enc, hash) WHERE t.id = v.id`,
          [rows.map((r) => r.id), rows.map((r) => v.seal(r.value)), rows.map((r) => v.hash(normalizeMainlandMobile(r.value) ?? r.value))],
        );
      });
    }
    await inBatches(q, `SELECT id, substr(owner_key, 10) AS value FROM attachment WHERE owner_key LIKE 'resident:%'`, async (rows) => {
      const v = vault();
      await q.query(`UPDATE attachment a SET owner_key = v.owner FROM unnest($1::uuid[], $2::text[]) AS v(id, owner) WHERE a.id = v.id`, [
        rows.map((r) => r.id),
        rows.map((r) => `resident:${v.hash(normalizeMainlandMobile(r.value) ?? r.value)}`),
      ]);
    });

    await q.query(`DROP INDEX complaint_open_report`);
    await q.query(`DROP INDEX complaint_idempotency`);
    await q.query(`DROP INDEX complaint_phone`);
    await q.query(`DROP INDEX phone_verification_phone`);
    await q.query(`ALTER TABLE complaint ALTER COLUMN phone_enc SET NOT NULL, ALTER COLUMN phone_hash SET NOT NULL, DROP COLUMN phone`);
    await q.query(`ALTER TABLE phone_verification ALTER COLUMN phone_enc SET NOT NULL, ALTER COLUMN phone_hash SET NOT NULL, DROP COLUMN phone`);
    await q.query(`CREATE UNIQUE INDEX complaint_open_report ON complaint (phone_hash, category, address_key) WHERE ${OPEN}`);
    await q.query(`CREATE UNIQUE INDEX complaint_idempotency ON complaint (recorded_by, phone_hash, idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await q.query(`CREATE INDEX complaint_phone ON complaint (phone_hash, received_at DESC)`);
    await q.query(`CREATE INDEX phone_verification_phone ON phone_verification (phone_hash, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    const vault = lazyVault(q);
    await q.query(`ALTER TABLE complaint ADD COLUMN phone text`);
    await q.query(`ALTER TABLE phone_verification ADD COLUMN phone text`);
    for (const table of ['complaint', 'phone_verification']) {
      await inBatches(q, `SELECT id, phone_enc AS value FROM ${table}`, async (rows) => {
        const v = vault();
        await q.query(`UPDATE ${table} t SET phone = v.phone FROM unnest($1::uuid[], $2::text[]) AS v(id, phone) WHERE t.id = v.id`, [
          rows.map((r) => r.id),
          rows.map((r) => v.open(r.value)),
        ]);
      });
    }
    // A blind index cannot be read back: an upload's number is the one of a case or code with the same hash.
    await q.query(`UPDATE attachment a SET owner_key = 'resident:' || p.phone
      FROM (SELECT DISTINCT ON (phone_hash) phone_hash, phone
              FROM (SELECT phone_hash, phone FROM complaint UNION ALL SELECT phone_hash, phone FROM phone_verification) known) p
     WHERE a.owner_key = 'resident:' || p.phone_hash`);

    await q.query(`DROP INDEX complaint_open_report`);
    await q.query(`DROP INDEX complaint_idempotency`);
    await q.query(`DROP INDEX complaint_phone`);
    await q.query(`DROP INDEX phone_verification_phone`);
    await q.query(`ALTER TABLE complaint ALTER COLUMN phone SET NOT NULL, DROP COLUMN phone_enc, DROP COLUMN phone_hash`);
    await q.query(`ALTER TABLE phone_verification ALTER COLUMN phone SET NOT NULL, DROP COLUMN phone_enc, DROP COLUMN phone_hash`);
    await q.query(`CREATE UNIQUE INDEX complaint_open_report ON complaint (phone, category, address_key) WHERE ${OPEN}`);
    await q.query(`CREATE UNIQUE INDEX complaint_idempotency ON complaint (recorded_by, phone, idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await q.query(`CREATE INDEX complaint_phone ON complaint (phone, received_at DESC)`);
    await q.query(`CREATE INDEX phone_verification_phone ON phone_verification (phone, created_at DESC)`);
  }
}

/** The vault, asked for only once there is a row to convert (tools open empty databases without one). */
function lazyVault(q: QueryRunner): () => PhoneVault {
  let vault: PhoneVault | undefined;
  return () => (vault ??= phoneVaultOf(q.connection));
}

/** Walks `select` (which yields `id` and `value`) in primary-key order, one batch at a time. */
async function inBatches(q: QueryRunner, select: string, convert: (rows: Array<{ id: string; value: string }>) => Promise<void>): Promise<void> {
  const keyset = select.includes(' WHERE ') ? ' AND id > $1' : ' WHERE id > $1';
  let after: string | undefined;
  for (;;) {
    const rows = (await (after === undefined
      ? q.query(`${select} ORDER BY id LIMIT ${BATCH}`)
      : q.query(`${select}${keyset} ORDER BY id LIMIT ${BATCH}`, [after]))) as Array<{ id: string; value: string }>;
    if (rows.length === 0) return;
    await convert(rows);
    if (rows.length < BATCH) return;
    after = rows[rows.length - 1].id;
  }
}
