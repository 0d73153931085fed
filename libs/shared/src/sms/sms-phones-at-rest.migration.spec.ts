import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { openDataSource } from '../database/data-source.js';
import { PhoneVault } from '../phone/phone-vault.js';
import { SmsPhonesAtRest1764400000070 } from './sms-phones-at-rest.migration.js';
import { SmsTables1764400000050 } from './sms-tables.migration.js';
import { SmsTemplates1764400000060 } from './sms-templates.migration.js';

/*
 * Upgrading an SMS table that holds numbers in clear (intake, dispatch and sms-survey all have
 * one): every row, sent or received, comes out sealed with its blind index, nothing readable is
 * left, look-ups by the blind index find the rows, and down() gives the numbers back.
 */
describe('migration 1764400000070: phone numbers at rest in sms_message', () => {
  const vault = PhoneVault.derivedFrom('x'.repeat(40));
  const OLD = [SmsTables1764400000050, SmsTemplates1764400000060];
  const PHONES = ['13912345678', '13700001111'];
  /** More rows than one batch of the migration. */
  const ROWS = 1_203;
  let dataDir: string;
  let ds: DataSource;

  const clearNumbers = async () =>
    ((await ds.query(`SELECT to_jsonb(m)::text AS row FROM sms_message m`)) as Array<{ row: string }>).filter((r) => /(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])/.test(r.row)).length;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sms-phones-at-rest-'));
    const old = await openDataSource({ kind: 'pglite', dataDir }, { entities: [], migrations: OLD });
    await old.query(
      `INSERT INTO sms_message (direction, phone, text, status, attempts, provider, at, template, template_params)
       SELECT CASE WHEN i % 3 = 0 THEN 'in' ELSE 'out' END, ($1::text[])[1 + i % 2], '【供热直通车】感谢您对工单GR-20261201-000001的评价。',
              CASE WHEN i % 3 = 0 THEN 'received' ELSE 'sent' END, 1, 'console', now(), 'rating_thanks', '{"caseNumber":"GR-20261201-000001"}'
       FROM generate_series(1, ${ROWS}) AS i`,
      [PHONES],
    );
    await old.destroy();
    ds = await openDataSource({ kind: 'pglite', dataDir }, { entities: [], migrations: [...OLD, SmsPhonesAtRest1764400000070] }, { phoneVault: vault });
  }, 60_000);

  afterAll(async () => {
    await ds?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('seals every row with its blind index, and no column holds a number in clear', async () => {
    const columns = ((await ds.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'sms_message'`)) as Array<{ column_name: string }>).map((c) => c.column_name);
    expect(columns).toEqual(expect.arrayContaining(['phone_enc', 'phone_hash']));
    expect(columns).not.toContain('phone');
    expect(await clearNumbers()).toBe(0);
    const rows = (await ds.query(`SELECT id, phone_enc, phone_hash FROM sms_message ORDER BY id`)) as Array<{ id: string; phone_enc: string; phone_hash: string }>;
    expect(rows).toHaveLength(ROWS);
    for (const [i, row] of rows.entries()) {
      const phone = PHONES[(i + 1) % 2];
      expect(vault.open(row.phone_enc)).toBe(phone);
      expect(row.phone_hash).toBe(vault.hash(phone));
    }
    // Random IVs: the same number never gives the same ciphertext.
    expect(new Set(rows.map((r) => r.phone_enc)).size).toBe(ROWS);
  });

  it('a look-up by blind index finds a number\'s messages', async () => {
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM sms_message WHERE phone_hash = $1`, [vault.hash(PHONES[0])]);
    expect(n).toBe(Math.floor(ROWS / 2));
  });

  it('down() gives the numbers back in clear', async () => {
    const runner = ds.createQueryRunner();
    try {
      await runner.startTransaction();
      await new SmsPhonesAtRest1764400000070().down(runner);
      const rows = (await runner.query(`SELECT id, phone FROM sms_message ORDER BY id`)) as Array<{ phone: string }>;
      expect(rows.map((r) => r.phone)).toEqual(Array.from({ length: ROWS }, (_, i) => PHONES[(i + 1) % 2]));
      await runner.rollbackTransaction();
    } finally {
      await runner.release();
    }
  });

  it('an empty table is converted without a vault (tools open databases without one)', async () => {
    const emptyDir = mkdtempSync(join(tmpdir(), 'sms-phones-at-rest-empty-'));
    try {
      const empty = await openDataSource({ kind: 'pglite', dataDir: emptyDir }, { entities: [], migrations: [...OLD, SmsPhonesAtRest1764400000070] });
      const applied = (await empty.query('SELECT name FROM schema_migration ORDER BY id')) as Array<{ name: string }>;
      expect(applied.map((r) => r.name)).toContain('SmsPhonesAtRest1764400000070');
      await empty.destroy();
    } finally {
      rmSync(emptyDir, { recursive: true, force: true });
    }
  }, 60_000);
});
