import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openDataSource, PhoneVault } from '#shared';
import type { DataSource } from 'typeorm';
import { columnsWithPlaintextPhones } from '../../../../test/support/stored-phones.js';
import { IntakeSchema1764400000100 } from './1764400000100-intake-schema.js';
import { IntakeChannels1764400000110 } from './1764400000110-intake-channels.js';
import { CaseNumberSequence1764400000120 } from './1764400000120-case-number-sequence.js';
import { OpenReportUnique1764400000130 } from './1764400000130-open-report-unique.js';
import { PhonesAtRest1764400000140 } from './1764400000140-phones-at-rest.js';

/*
 * Upgrading a database that stored residents' numbers in clear (DOMAIN.md §5, docs/security.md):
 * every complaint and verification code gets its number sealed and blind-indexed (more rows than
 * one batch), a resident's photo uploads are owned by the index, the look-up indexes move to the
 * index, and no number is left in clear anywhere. Undoing it opens the numbers again.
 */
const OLD = [IntakeSchema1764400000100, IntakeChannels1764400000110, CaseNumberSequence1764400000120, OpenReportUnique1764400000130];
const MANY = 1234; // past one batch of 1,000
const RESIDENT = '13812345678';
const phoneOf = (i: number) => `139${String(i).padStart(8, '0')}`;

describe('migration 1764400000140: phone numbers at rest on an existing intake database', () => {
  let dataDir: string;
  let ds: DataSource;
  const vault = PhoneVault.derivedFrom('x'.repeat(40));
  const ids = { open: randomUUID(), closed: randomUUID(), code1: randomUUID(), code2: randomUUID(), upload: randomUUID(), staffUpload: randomUUID() };
  const sql = <T = any>(query: string, params: unknown[] = []): Promise<T[]> => ds.query(query, params);
  const insertCase = (id: string, phone: string, status: string, n: number, idempotencyKey: string | null = null) =>
    sql(
      `INSERT INTO complaint (id, case_number, channel, type, category, community_name, city_code, district_code, street, description, phone,
                              recorded_by, idempotency_key, status, address_key, received_at, updated_at)
       VALUES ($1, $2, 'hotline', 'complaint', 'too_cold', '金地小区', '210100', '210102', '南京南街 12 号', '卧室 15 度', $3, 'op-1', $4, $5,
               '210100|210102|南京南街12号|||', now(), now())`,
      [id, `GR-20261101-9${String(n).padStart(5, '0')}`, phone, idempotencyKey, status],
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'intake-phones-at-rest-'));
    ds = await openDataSource({ kind: 'pglite', dataDir }, { entities: [], migrations: OLD });
    await sql(
      `INSERT INTO complaint (id, case_number, channel, type, category, community_name, city_code, district_code, street, description, phone,
                              recorded_by, status, received_at, updated_at)
       SELECT gen_random_uuid(), 'GR-20261101-' || lpad(i::text, 6, '0'), 'hotline', 'complaint', 'too_cold', '金地小区', '210100', '210102',
              '南京南街', '冷', '139' || lpad(i::text, 8, '0'), 'op-1', 'closed', now(), now()
         FROM generate_series(1, ${MANY}) AS i`,
    );
    await insertCase(ids.open, RESIDENT, 'received', 1, 'call-1');
    await insertCase(ids.closed, RESIDENT, 'closed', 2);
    for (const [id, status] of [[ids.code1, 'superseded'], [ids.code2, 'verified']]) {
      await sql(
        `INSERT INTO phone_verification (id, phone, code_hash, ip, status, attempts, created_at, expires_at)
         VALUES ($1, $2, 'hash', '203.0.113.9', $3, 0, now(), now() + interval '5 minutes')`,
        [id, RESIDENT, status],
      );
    }
    for (const [id, owner] of [[ids.upload, `resident:${RESIDENT}`], [ids.staffUpload, 'operator:op-1']]) {
      await sql(`INSERT INTO attachment (id, content_type, size, data, owner_key, created_at) VALUES ($1, 'image/png', 1, '\\x00', $2, now())`, [id, owner]);
    }
    await ds.destroy();
    ds = await openDataSource({ kind: 'pglite', dataDir }, { entities: [], migrations: [...OLD, PhonesAtRest1764400000140] }, { phoneVault: vault });
  }, 120_000);

  afterAll(async () => {
    await ds?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('up: every stored number is sealed and blind-indexed, and none is left in clear', () => {
    it('is applied after the migrations already run, and the plaintext phone columns are gone', async () => {
      const applied = (await sql('SELECT name FROM schema_migration ORDER BY id')).map((r: { name: string }) => r.name);
      expect(applied.at(-1)).toBe('PhonesAtRest1764400000140');
      const columns = await sql(
        `SELECT table_name, column_name, is_nullable FROM information_schema.columns
          WHERE table_name IN ('complaint', 'phone_verification') AND column_name LIKE 'phone%' ORDER BY 1, 2`,
      );
      expect(columns).toEqual([
        { table_name: 'complaint', column_name: 'phone_enc', is_nullable: 'NO' },
        { table_name: 'complaint', column_name: 'phone_hash', is_nullable: 'NO' },
        { table_name: 'phone_verification', column_name: 'phone_enc', is_nullable: 'NO' },
        { table_name: 'phone_verification', column_name: 'phone_hash', is_nullable: 'NO' },
      ]);
    });

    it(`all ${MANY + 2} cases open to the number they had, with its blind index`, async () => {
      const rows = await sql<{ case_number: string; phone_enc: string; phone_hash: string }>(`SELECT case_number, phone_enc, phone_hash FROM complaint`);
      expect(rows).toHaveLength(MANY + 2);
      for (const row of rows) {
        const n = Number(row.case_number.slice(-6));
        const phone = n >= 900_000 ? RESIDENT : phoneOf(n);
        expect(vault.open(row.phone_enc)).toBe(phone);
        expect(row.phone_hash).toBe(vault.hash(phone));
      }
    });

    it('the same number is sealed differently each time, but indexed the same', async () => {
      const rows = await sql(`SELECT phone_enc, phone_hash FROM complaint WHERE id = ANY($1::uuid[])`, [[ids.open, ids.closed]]);
      expect(rows[0].phone_enc).not.toBe(rows[1].phone_enc);
      expect(rows[0].phone_hash).toBe(rows[1].phone_hash);
      const codes = await sql(`SELECT phone_enc, phone_hash FROM phone_verification ORDER BY id`);
      expect(codes.map((c) => vault.open(c.phone_enc))).toEqual([RESIDENT, RESIDENT]);
      expect(codes.map((c) => c.phone_hash)).toEqual([vault.hash(RESIDENT), vault.hash(RESIDENT)]);
    });

    it('a resident’s upload is owned by the blind index of their number; staff uploads are untouched', async () => {
      const owners = await sql(`SELECT id, owner_key FROM attachment`);
      expect(Object.fromEntries(owners.map((o) => [o.id, o.owner_key]))).toEqual({
        [ids.upload]: `resident:${vault.hash(RESIDENT)}`,
        [ids.staffUpload]: 'operator:op-1',
      });
    });

    it('no table holds a mobile number in clear, in any column', async () => {
      expect(await columnsWithPlaintextPhones(sql)).toEqual([]);
    });

    it('look-ups by number use the blind index: a caller’s cases, the open report, the idempotency key, the codes of a phone', async () => {
      const hash = vault.hash(RESIDENT);
      expect(await sql(`SELECT id FROM complaint WHERE phone_hash = $1 ORDER BY received_at DESC, id`, [hash])).toHaveLength(2);
      const indexes = Object.fromEntries(
        (await sql(`SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN ('complaint_open_report', 'complaint_idempotency', 'complaint_phone', 'phone_verification_phone')`)).map(
          (i) => [i.indexname, i.indexdef.replace(/^.* USING btree /, '')],
        ),
      );
      expect(indexes).toEqual({
        complaint_open_report: `(phone_hash, category, address_key) WHERE (status = ANY (ARRAY['received'::text, 'dispatched'::text, 'feedback'::text]))`,
        complaint_idempotency: '(recorded_by, phone_hash, idempotency_key) WHERE (idempotency_key IS NOT NULL)',
        complaint_phone: '(phone_hash, received_at DESC)',
        phone_verification_phone: '(phone_hash, created_at DESC)',
      });
    });

    it('a second open report of the same number, category and address is still refused by the index, and a closed one is not', async () => {
      const insert = (status: string, n: number) =>
        sql(
          `INSERT INTO complaint (id, case_number, channel, type, category, community_name, city_code, district_code, street, description, phone_enc,
                                  phone_hash, recorded_by, status, address_key, received_at, updated_at)
           SELECT $1, $2, channel, type, category, community_name, city_code, district_code, street, description, $3, phone_hash, recorded_by, $4,
                  address_key, now(), now() FROM complaint WHERE id = $5
           ON CONFLICT DO NOTHING RETURNING id`,
          [randomUUID(), `GR-20261101-8${String(n).padStart(5, '0')}`, vault.seal(RESIDENT), status, ids.open],
        );
      expect(await insert('received', 1)).toEqual([]);
      expect(await insert('closed', 2)).toHaveLength(1);
      await sql(`DELETE FROM complaint WHERE case_number = 'GR-20261101-800002'`);
    });
  });

  describe('down: the numbers are opened back into plaintext columns', () => {
    it('restores phone in both tables and the resident’s upload owner, and the indexes on phone; up again seals them anew', async () => {
      const runner = ds.createQueryRunner();
      try {
        await runner.startTransaction();
        await new PhonesAtRest1764400000140().down(runner);
        expect(await runner.query(`SELECT phone FROM complaint WHERE id = ANY($1::uuid[]) ORDER BY phone`, [[ids.open, ids.closed]])).toEqual([
          { phone: RESIDENT },
          { phone: RESIDENT },
        ]);
        expect(await runner.query(`SELECT count(*)::int AS n FROM complaint WHERE phone = '13900' || substr(case_number, 13, 6) OR phone = $1`, [RESIDENT])).toEqual([
          { n: MANY + 2 },
        ]);
        expect(await runner.query(`SELECT DISTINCT phone FROM phone_verification`)).toEqual([{ phone: RESIDENT }]);
        expect(await runner.query(`SELECT owner_key FROM attachment WHERE id = $1`, [ids.upload])).toEqual([{ owner_key: `resident:${RESIDENT}` }]);
        expect(
          await runner.query(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name IN ('complaint', 'phone_verification') AND column_name LIKE 'phone_%'`),
        ).toEqual([{ n: 0 }]);
        expect(await runner.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'complaint_open_report'`)).toEqual([
          { indexdef: expect.stringContaining('(phone, category, address_key) WHERE') },
        ]);

        await new PhonesAtRest1764400000140().up(runner);
        const [again] = await runner.query(`SELECT phone_enc, phone_hash FROM complaint WHERE id = $1`, [ids.open]);
        expect(vault.open(again.phone_enc)).toBe(RESIDENT);
        expect(again.phone_hash).toBe(vault.hash(RESIDENT));
        await runner.commitTransaction();
      } catch (error) {
        await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      } finally {
        await runner.release();
      }
      expect(await columnsWithPlaintextPhones(sql)).toEqual([]);
    });
  });

  describe('a database with nothing to convert', () => {
    it('migrates without a vault (tools open databases without one)', async () => {
      const emptyDir = mkdtempSync(join(tmpdir(), 'intake-phones-at-rest-empty-'));
      try {
        const empty = await openDataSource({ kind: 'pglite', dataDir: emptyDir }, { entities: [], migrations: [...OLD, PhonesAtRest1764400000140] });
        const applied = await empty.query(`SELECT name FROM schema_migration WHERE name = 'PhonesAtRest1764400000140'`);
        await empty.destroy();
        expect(applied).toHaveLength(1);
      } finally {
        rmSync(emptyDir, { recursive: true, force: true });
      }
    });

    it('but a database holding numbers refuses to migrate without one, saying why', async () => {
      const oldDir = mkdtempSync(join(tmpdir(), 'intake-phones-at-rest-novault-'));
      try {
        const old = await openDataSource({ kind: 'pglite', dataDir: oldDir }, { entities: [], migrations: OLD });
        await old.query(
          `INSERT INTO phone_verification (id, phone, code_hash, ip, status, attempts, created_at, expires_at)
           VALUES ($1, $2, 'hash', '203.0.113.9', 'pending', 0, now(), now())`,
          [randomUUID(), RESIDENT],
        );
        await old.destroy();
        await expect(openDataSource({ kind: 'pglite', dataDir: oldDir }, { entities: [], migrations: [...OLD, PhonesAtRest1764400000140] })).rejects.toThrow(
          /PhoneVault/,
        );
      } finally {
        rmSync(oldDir, { recursive: true, force: true });
      }
    });
  });
});
