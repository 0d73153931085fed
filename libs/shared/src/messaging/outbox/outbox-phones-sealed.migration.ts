import type { MigrationInterface, QueryRunner } from 'typeorm';
import { phoneVaultOf } from '../../phone/phone-vault.js';
import { SEALED_PHONE_KEY } from './outbox.js';

const BATCH = 1_000;

/**
 * Outbox rows stored before phone numbers were sealed (docs/security.md): their payload's `phone`
 * is sealed under `phoneSealed`, as `Outbox` now stores it; the relay opens it when publishing.
 */
export class OutboxPhonesSealed1764400000910 implements MigrationInterface {
  name = 'OutboxPhonesSealed1764400000910';

  async up(q: QueryRunner): Promise<void> {
    for (let after = '0'; ; ) {
      const rows: Array<{ id: string; phone: string }> = await q.query(
        `SELECT id, payload->>'phone' AS phone FROM outbox_message
          WHERE id > $1::bigint AND jsonb_typeof(payload->'phone') = 'string' ORDER BY id LIMIT ${BATCH}`,
        [after],
      );
      if (rows.length === 0) return;
      const vault = phoneVaultOf(q.connection);
      await q.query(
        `UPDATE outbox_message o SET payload = (o.payload - 'phone') || jsonb_build_object('${SEALED_PHONE_KEY}', s.sealed)
           FROM unnest($1::bigint[], $2::text[]) AS s(id, sealed) WHERE o.id = s.id`,
        [rows.map((r) => r.id), rows.map((r) => vault.seal(r.phone))],
      );
      after = rows[rows.length - 1].id;
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (let after = '0'; ; ) {
      const rows: Array<{ id: string; sealed: string }> = await q.query(
        `SELECT id, payload->>'${SEALED_PHONE_KEY}' AS sealed FROM outbox_message
          WHERE id > $1::bigint AND payload ? '${SEALED_PHONE_KEY}' ORDER BY id LIMIT ${BATCH}`,
        [after],
      );
      if (rows.length === 0) return;
      const vault = phoneVaultOf(q.connection);
      await q.query(
        `UPDATE outbox_message o SET payload = (o.payload - '${SEALED_PHONE_KEY}') || jsonb_build_object('phone', s.phone)
           FROM unnest($1::bigint[], $2::text[]) AS s(id, phone) WHERE o.id = s.id`,
        [rows.map((r) => r.id), rows.map((r) => vault.open(r.sealed))],
      );
      after = rows[rows.length - 1].id;
    }
  }
}
