import type { MigrationInterface, QueryRunner } from 'typeorm';
import { normalizeMainlandMobile, phoneVaultOf } from '#shared';
import type { PhoneVault } from '#shared';
import { storedReceiptKey } from '../callbacks/provider-formats.js';

/** Rows converted per statement pair (SELECT, then one UPDATE from arrays). */
const BATCH = 500;

/** A table holding a resident's number, and the key its rows are updated by. */
interface PhoneTable {
  table: string;
  key: string;
  keyType: 'uuid' | 'bigint' | 'text';
  nullable: boolean;
}

const TABLES: PhoneTable[] = [
  { table: 'case_contact', key: 'case_id', keyType: 'uuid', nullable: false },
  { table: 'survey', key: 'id', keyType: 'uuid', nullable: false },
  // Keyed by the number itself until the primary key moves to phone_hash.
  { table: 'sms_opt_out', key: 'phone', keyType: 'text', nullable: false },
  { table: 'sms_inbound_receipt', key: 'id', keyType: 'bigint', nullable: true },
];

/** The look-ups by phone, before (on `phone`) and after (on `phone_hash`): same names, same partial WHERE. */
const INDEXES = [
  { name: 'survey_one_open_per_phone', on: (c: string) => `UNIQUE INDEX survey_one_open_per_phone ON survey (${c}) WHERE status = 'awaiting_reply'` },
  { name: 'survey_queued', on: (c: string) => `INDEX survey_queued ON survey (${c}, created_at) WHERE status = 'queued'` },
  { name: 'survey_by_phone', on: (c: string) => `INDEX survey_by_phone ON survey (${c}, sent_at)` },
  { name: 'sms_inbound_receipt_by_phone', on: (c: string) => `INDEX sms_inbound_receipt_by_phone ON sms_inbound_receipt (${c}, received_at)` },
];

/**
 * Residents' numbers at rest (docs/security.md, DOMAIN.md §5): every `phone` column of sms-survey
 * (case_contact, survey, sms_opt_out, sms_inbound_receipt) becomes `phone_enc` (AES-256-GCM) and
 * `phone_hash` (blind index of the normalised number). The rule that keeps a reply on the right
 * case — one survey awaiting a reply per phone — and every look-up by phone now key on
 * `phone_hash`; 退订 is keyed by it too (sms_opt_out's primary key). Existing rows are converted
 * in batches. Tencent receipts' keys (a plain SHA-256 of mobile, time and text, which gives the
 * number back by trying every mobile) are keyed with the blind-index key (storedReceiptKey); down()
 * leaves them so. (`sms_message` is converted by the shared SmsPhonesAtRest1764400000070.)
 */
export class PhonesAtRest1764400000340 implements MigrationInterface {
  name = 'PhonesAtRest1764400000340';

  async up(q: QueryRunner): Promise<void> {
    const vault = lazyVault(q);
    for (const t of TABLES) {
      await q.query(`ALTER TABLE ${t.table} ADD COLUMN phone_enc text, ADD COLUMN phone_hash text`);
      for (let after: string | null = null; ; ) {
        const rows = (await q.query(
          `SELECT ${t.key}::text AS k, phone FROM ${t.table}
            WHERE phone IS NOT NULL AND ($1::text IS NULL OR ${t.key} > $1::${t.keyType}) ORDER BY ${t.key} LIMIT ${BATCH}`,
          [after],
        )) as Array<{ k: string; phone: string }>;
        if (rows.length === 0) break;
        after = rows[rows.length - 1].k;
        const v = vault();
        await q.query(
          `UPDATE ${t.table} t SET phone_enc = v.enc, phone_hash = v.hash
             FROM unnest($1::text[], $2::text[], $3::text[]) AS v(k, enc, hash) WHERE t.${t.key} = v.k::${t.keyType}`,
          [rows.map((r) => r.k), rows.map((r) => v.seal(r.phone)), rows.map((r) => v.hash(normalizeMainlandMobile(r.phone) ?? r.phone))],
        );
      }
      if (!t.nullable) await q.query(`ALTER TABLE ${t.table} ALTER COLUMN phone_enc SET NOT NULL, ALTER COLUMN phone_hash SET NOT NULL`);
    }
    for (const index of INDEXES) await q.query(`DROP INDEX ${index.name}`);
    for (const index of INDEXES) await q.query(`CREATE ${index.on('phone_hash')}`);
    // 退订 is keyed by the blind index: two spellings of one number (if any was stored unnormalised) are one opt-out, the first kept.
    await q.query(
      `DELETE FROM sms_opt_out a USING sms_opt_out b
        WHERE a.phone_hash = b.phone_hash AND (a.opted_out_at, a.phone) > (b.opted_out_at, b.phone)`,
    );
    await q.query(`ALTER TABLE sms_opt_out DROP CONSTRAINT sms_opt_out_pkey`);
    await q.query(`ALTER TABLE sms_opt_out ADD CONSTRAINT sms_opt_out_pkey PRIMARY KEY (phone_hash)`);
    for (const t of TABLES) await q.query(`ALTER TABLE ${t.table} DROP COLUMN phone`);
    for (let after = '0'; ; ) {
      const rows = (await q.query(
        `SELECT id, receipt_key FROM sms_inbound_receipt WHERE provider = 'tencent' AND id > $1::bigint ORDER BY id LIMIT ${BATCH}`,
        [after],
      )) as Array<{ id: string; receipt_key: string }>;
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;
      const v = vault();
      await q.query(`UPDATE sms_inbound_receipt t SET receipt_key = v.k FROM unnest($1::bigint[], $2::text[]) AS v(id, k) WHERE t.id = v.id`, [
        rows.map((r) => r.id),
        rows.map((r) => storedReceiptKey(v, 'tencent', r.receipt_key)),
      ]);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    const vault = lazyVault(q);
    for (const t of TABLES) {
      await q.query(`ALTER TABLE ${t.table} ADD COLUMN phone text`);
      const key = t.key === 'phone' ? 'phone_hash' : t.key;
      for (let after: string | null = null; ; ) {
        const rows = (await q.query(
          `SELECT ${key}::text AS k, phone_enc FROM ${t.table}
            WHERE phone_enc IS NOT NULL AND ($1::text IS NULL OR ${key} > $1::${t.keyType}) ORDER BY ${key} LIMIT ${BATCH}`,
          [after],
        )) as Array<{ k: string; phone_enc: string }>;
        if (rows.length === 0) break;
        after = rows[rows.length - 1].k;
        const v = vault();
        await q.query(
          `UPDATE ${t.table} t SET phone = v.phone FROM unnest($1::text[], $2::text[]) AS v(k, phone) WHERE t.${key} = v.k::${t.keyType}`,
          [rows.map((r) => r.k), rows.map((r) => v.open(r.phone_enc))],
        );
      }
      if (!t.nullable) await q.query(`ALTER TABLE ${t.table} ALTER COLUMN phone SET NOT NULL`);
    }
    for (const index of INDEXES) await q.query(`DROP INDEX ${index.name}`);
    for (const index of INDEXES) await q.query(`CREATE ${index.on('phone')}`);
    await q.query(`ALTER TABLE sms_opt_out DROP CONSTRAINT sms_opt_out_pkey`);
    await q.query(`ALTER TABLE sms_opt_out ADD CONSTRAINT sms_opt_out_pkey PRIMARY KEY (phone)`);
    for (const t of TABLES) await q.query(`ALTER TABLE ${t.table} DROP COLUMN phone_enc, DROP COLUMN phone_hash`);
  }
}

/** The vault, asked for only when there are rows to convert (tools open databases without one). */
function lazyVault(q: QueryRunner): () => PhoneVault {
  let vault: PhoneVault | undefined;
  return () => (vault ??= phoneVaultOf(q.connection));
}
