import type { MigrationInterface, QueryRunner } from 'typeorm';
import { phoneVaultOf } from '#shared';
import type { PhoneVault } from '#shared';
import { casePhoneHash } from '../cases/case-phone.js';
import { openPayloadPhones, payloadHasSealed, payloadHoldsPhones, sealPayloadPhones } from '../webhooks/payload-phones.js';

/** Rows read and rewritten per statement while the stored numbers are converted. */
const BATCH = 500;

/**
 * Residents' phone numbers encrypted at rest (issue 9, item 5) in dispatch's own tables:
 *  - `dispatch_case.phone` → `phone_enc` (PhoneVault.seal of the number as received) + `phone_hash`
 *    (blind index of the normalised number; the outage detector counts distinct residents by it);
 *  - `incident_resident.phone` → `phone_enc` + `phone_hash`, the key `(incident_id, phone_hash)`:
 *    one outage SMS per resident and incident still holds, on the hash;
 *  - `webhook_delivery.payload`: every string that is or holds a number is sealed in place
 *    (`{"$sealed": …}`, webhooks/payload-phones.ts) and opened again at send time.
 * Existing rows are converted in JS, in batches (one SELECT and one UPDATE per batch); the vault is
 * asked for only when there is something to convert. `down()` decrypts back.
 * (`sms_message` is the shared migration's; `case_action` holds no structured number.)
 */
export class PhonesAtRest1764400000270 implements MigrationInterface {
  name = 'PhonesAtRest1764400000270';

  async up(q: QueryRunner): Promise<void> {
    let vault: PhoneVault | undefined;
    const theVault = () => (vault ??= phoneVaultOf(q.connection));

    // dispatch_case
    await q.query(`ALTER TABLE dispatch_case ADD COLUMN phone_enc text, ADD COLUMN phone_hash text`);
    for (let after = '00000000-0000-0000-0000-000000000000'; ; ) {
      const rows: Array<{ id: string; phone: string }> = await q.query(`SELECT id, phone FROM dispatch_case WHERE id > $1 ORDER BY id LIMIT $2`, [after, BATCH]);
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;
      const v = theVault();
      const converted = rows.map((r) => ({ id: r.id, enc: v.seal(r.phone), hash: casePhoneHash(v, r.phone) }));
      await q.query(
        `UPDATE dispatch_case d SET phone_enc = v.enc, phone_hash = v.hash
           FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, enc text, hash text) WHERE d.id = v.id`,
        [JSON.stringify(converted)],
      );
    }
    await q.query(`ALTER TABLE dispatch_case ALTER COLUMN phone_enc SET NOT NULL, ALTER COLUMN phone_hash SET NOT NULL, DROP COLUMN phone`);

    // incident_resident
    await q.query(`ALTER TABLE incident_resident ADD COLUMN phone_enc text, ADD COLUMN phone_hash text`);
    for (let after: [string, string] = ['00000000-0000-0000-0000-000000000000', '']; ; ) {
      const rows: Array<{ incident_id: string; phone: string }> = await q.query(
        `SELECT incident_id, phone FROM incident_resident WHERE (incident_id, phone) > ($1::uuid, $2::text) ORDER BY incident_id, phone LIMIT $3`,
        [after[0], after[1], BATCH],
      );
      if (rows.length === 0) break;
      after = [rows[rows.length - 1].incident_id, rows[rows.length - 1].phone];
      const v = theVault();
      const converted = rows.map((r) => ({ incident_id: r.incident_id, phone: r.phone, enc: v.seal(r.phone), hash: casePhoneHash(v, r.phone) }));
      await q.query(
        `UPDATE incident_resident r SET phone_enc = v.enc, phone_hash = v.hash
           FROM jsonb_to_recordset($1::jsonb) AS v(incident_id uuid, phone text, enc text, hash text)
          WHERE r.incident_id = v.incident_id AND r.phone = v.phone`,
        [JSON.stringify(converted)],
      );
    }
    // Two spellings of one number told about one incident: the first notice stands.
    await q.query(
      `DELETE FROM incident_resident a USING incident_resident b
        WHERE a.incident_id = b.incident_id AND a.phone_hash = b.phone_hash AND (a.notified_at, a.phone) > (b.notified_at, b.phone)`,
    );
    await q.query(`ALTER TABLE incident_resident DROP CONSTRAINT incident_resident_pkey`);
    await q.query(`ALTER TABLE incident_resident ALTER COLUMN phone_enc SET NOT NULL, ALTER COLUMN phone_hash SET NOT NULL, DROP COLUMN phone`);
    await q.query(`ALTER TABLE incident_resident ADD PRIMARY KEY (incident_id, phone_hash)`);

    // webhook_delivery payloads
    await this.rewritePayloads(q, (payload) => (payloadHoldsPhones(payload) ? sealPayloadPhones(theVault(), payload) : undefined));
  }

  async down(q: QueryRunner): Promise<void> {
    let vault: PhoneVault | undefined;
    const theVault = () => (vault ??= phoneVaultOf(q.connection));

    await this.rewritePayloads(q, (payload) => (payloadHasSealed(payload) ? openPayloadPhones(theVault(), payload) : undefined));

    await q.query(`ALTER TABLE incident_resident ADD COLUMN phone text`);
    for (let after: [string, string] = ['00000000-0000-0000-0000-000000000000', '']; ; ) {
      const rows: Array<{ incident_id: string; phone_hash: string; phone_enc: string }> = await q.query(
        `SELECT incident_id, phone_hash, phone_enc FROM incident_resident WHERE (incident_id, phone_hash) > ($1::uuid, $2::text)
          ORDER BY incident_id, phone_hash LIMIT $3`,
        [after[0], after[1], BATCH],
      );
      if (rows.length === 0) break;
      after = [rows[rows.length - 1].incident_id, rows[rows.length - 1].phone_hash];
      const v = theVault();
      await q.query(
        `UPDATE incident_resident r SET phone = v.phone
           FROM jsonb_to_recordset($1::jsonb) AS v(incident_id uuid, hash text, phone text)
          WHERE r.incident_id = v.incident_id AND r.phone_hash = v.hash`,
        [JSON.stringify(rows.map((r) => ({ incident_id: r.incident_id, hash: r.phone_hash, phone: v.open(r.phone_enc) })))],
      );
    }
    await q.query(`ALTER TABLE incident_resident DROP CONSTRAINT incident_resident_pkey`);
    await q.query(`ALTER TABLE incident_resident ALTER COLUMN phone SET NOT NULL, DROP COLUMN phone_enc, DROP COLUMN phone_hash`);
    await q.query(`ALTER TABLE incident_resident ADD PRIMARY KEY (incident_id, phone)`);

    await q.query(`ALTER TABLE dispatch_case ADD COLUMN phone text`);
    for (let after = '00000000-0000-0000-0000-000000000000'; ; ) {
      const rows: Array<{ id: string; phone_enc: string }> = await q.query(`SELECT id, phone_enc FROM dispatch_case WHERE id > $1 ORDER BY id LIMIT $2`, [after, BATCH]);
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;
      const v = theVault();
      await q.query(
        `UPDATE dispatch_case d SET phone = v.phone FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, phone text) WHERE d.id = v.id`,
        [JSON.stringify(rows.map((r) => ({ id: r.id, phone: v.open(r.phone_enc) })))],
      );
    }
    await q.query(`ALTER TABLE dispatch_case ALTER COLUMN phone SET NOT NULL, DROP COLUMN phone_enc, DROP COLUMN phone_hash`);
  }

  /** Every delivery's payload through `convert` (undefined: unchanged), in batches. */
  private async rewritePayloads(q: QueryRunner, convert: (payload: unknown) => unknown): Promise<void> {
    for (let after = ''; ; ) {
      const rows: Array<{ id: string; payload: unknown }> = await q.query(
        `SELECT id, payload FROM webhook_delivery WHERE id > $1 ORDER BY id LIMIT $2`,
        [after, BATCH],
      );
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;
      const changed = rows.flatMap((r) => {
        const payload = convert(typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload);
        return payload === undefined ? [] : [{ id: r.id, payload }];
      });
      if (changed.length === 0) continue;
      await q.query(
        `UPDATE webhook_delivery w SET payload = v.payload FROM jsonb_to_recordset($1::jsonb) AS v(id text, payload jsonb) WHERE w.id = v.id`,
        [JSON.stringify(changed)],
      );
    }
  }
}
