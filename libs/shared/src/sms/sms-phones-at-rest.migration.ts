import type { MigrationInterface, QueryRunner } from 'typeorm';
import { normalizeMainlandMobile } from '../phone/phone.js';
import { phoneVaultOf } from '../phone/phone-vault.js';
import type { PhoneVault } from '../phone/phone-vault.js';

/** Rows converted per statement pair (SELECT, then one UPDATE from arrays). */
const BATCH = 500;

/**
 * Phone numbers at rest in the SMS table (docs/security.md): `sms_message.phone` becomes
 * `phone_enc` (AES-256-GCM, opened only to hand a message to the gateway) and `phone_hash` (the
 * blind index of the normalised number). Existing rows, outgoing and received, are converted in
 * batches. Every service sending SMS runs it (intake, dispatch, sms-survey).
 */
export class SmsPhonesAtRest1764400000070 implements MigrationInterface {
  name = 'SmsPhonesAtRest1764400000070';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sms_message ADD COLUMN phone_enc text, ADD COLUMN phone_hash text`);
    let vault: PhoneVault | undefined;
    for (let after = '0'; ; ) {
      const rows = (await q.query(`SELECT id, phone FROM sms_message WHERE id > $1::bigint ORDER BY id LIMIT ${BATCH}`, [after])) as Array<{ id: string; phone: string }>;
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;
      vault ??= phoneVaultOf(q.connection);
      const v = vault;
      await q.query(
        `UPDATE sms_message m SET phone_enc = v.enc, phone_hash = v.hash
           FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(id, enc, hash) WHERE m.id = v.id`,
        [rows.map((r) => r.id), rows.map((r) => v.seal(r.phone)), rows.map((r) => v.hash(normalizeMainlandMobile(r.phone) ?? r.phone))],
      );
    }
    await q.query(`ALTER TABLE sms_message ALTER COLUMN phone_enc SET NOT NULL, ALTER COLUMN phone_hash SET NOT NULL, DROP COLUMN phone`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sms_message ADD COLUMN phone text`);
    let vault: PhoneVault | undefined;
    for (let after = '0'; ; ) {
      const rows = (await q.query(`SELECT id, phone_enc FROM sms_message WHERE id > $1::bigint ORDER BY id LIMIT ${BATCH}`, [after])) as Array<{ id: string; phone_enc: string }>;
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;
      vault ??= phoneVaultOf(q.connection);
      const v = vault;
      await q.query(`UPDATE sms_message m SET phone = v.phone FROM unnest($1::bigint[], $2::text[]) AS v(id, phone) WHERE m.id = v.id`, [
        rows.map((r) => r.id),
        rows.map((r) => v.open(r.phone_enc)),
      ]);
    }
    await q.query(`ALTER TABLE sms_message ALTER COLUMN phone SET NOT NULL, DROP COLUMN phone_enc, DROP COLUMN phone_hash`);
  }
}
