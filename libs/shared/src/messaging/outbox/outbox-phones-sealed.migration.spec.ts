import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { openDataSource } from '../../database/data-source.js';
import { PhoneVault } from '../../phone/phone-vault.js';
import { OutboxPhonesSealed1764400000910 } from './outbox-phones-sealed.migration.js';

describe('migration OutboxPhonesSealed1764400000910 (outbox rows stored before phones were sealed)', () => {
  const vault = PhoneVault.derivedFrom('outbox-migration-secret-0123456789-abcdef');
  let dir: string;
  let ds: DataSource;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-phones-'));
    ds = await openDataSource({ kind: 'pglite', dataDir: dir }, { entities: [], migrations: [] }, { phoneVault: vault });
  });

  afterAll(async () => {
    await ds?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('seals the phone of every stored payload, leaves other payloads alone, and down() restores them', async () => {
    const rows = Array.from({ length: 1_205 }, (_, i) => [`${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`, `139${String(i).padStart(8, '0')}`]);
    await ds.query(
      `INSERT INTO outbox_message (message_id, event_type, event_version, payload, occurred_at)
       SELECT id::uuid, 'complaint.received', 1, jsonb_build_object('caseId', id, 'phone', phone), now() FROM unnest($1::text[], $2::text[]) AS r(id, phone)`,
      [rows.map((r) => r[0]), rows.map((r) => r[1])],
    );
    await ds.query(`INSERT INTO outbox_message (message_id, event_type, event_version, payload, occurred_at) VALUES (gen_random_uuid(), 'case.closed', 1, '{"caseId":"x"}', now())`);
    // PGlite has one connection: everything below goes through the runner that holds it.
    const runner = ds.createQueryRunner();
    try {
      await new OutboxPhonesSealed1764400000910().up(runner);
      const after: Array<{ payload: Record<string, string> }> = await runner.query(`SELECT payload FROM outbox_message ORDER BY id`);
      expect(after.filter((r) => 'phone' in r.payload)).toEqual([]);
      expect(after.slice(0, 1_205).map((r) => vault.open(r.payload.phoneSealed))).toEqual(rows.map((r) => r[1]));
      expect(after[1_205].payload).toEqual({ caseId: 'x' });
      expect(JSON.stringify(after)).not.toMatch(/139\d{8}/);

      await new OutboxPhonesSealed1764400000910().down(runner);
      const restored: Array<{ payload: Record<string, string> }> = await runner.query(`SELECT payload FROM outbox_message ORDER BY id`);
      expect(restored.slice(0, 1_205).map((r) => r.payload.phone)).toEqual(rows.map((r) => r[1]));
      expect(restored.some((r) => 'phoneSealed' in r.payload)).toBe(false);
    } finally {
      await runner.release();
    }
  });
});
