import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openDataSource, PhoneVault, SmsPhonesAtRest1764400000070, SmsTables1764400000050, SmsTemplates1764400000060 } from '#shared';
import type { DataSource } from 'typeorm';
import { storedReceiptKey } from '../callbacks/provider-formats.js';
import { SmsSurveySchema1764400000300 } from './1764400000300-sms-survey-schema.js';
import { SmsInbound1764400000310 } from './1764400000310-sms-inbound.js';
import { SurveyReplies1764400000320 } from './1764400000320-survey-replies.js';
import { SurveyRounds1764400000330 } from './1764400000330-survey-rounds.js';
import { PhonesAtRest1764400000340 } from './1764400000340-phones-at-rest.js';

/*
 * Upgrading a deployed sms-survey database whose tables hold residents' numbers in clear: every
 * number comes out sealed with its blind index, no table keeps one readable (nor a plain hash of
 * one), the look-ups by phone (one survey out per phone, 退订, replies) work on the blind index,
 * and down() gives the numbers back.
 */
describe('migration 1764400000340: phone numbers at rest in sms-survey', () => {
  const vault = PhoneVault.derivedFrom('x'.repeat(40));
  const A = '13912345678';
  const B = '13700001111';
  const OLD = [
    SmsTables1764400000050,
    SmsTemplates1764400000060,
    SmsSurveySchema1764400000300,
    SmsInbound1764400000310,
    SurveyReplies1764400000320,
    SurveyRounds1764400000330,
  ];
  /** More rated surveys than one batch of the migration. */
  const RATED = 1_105;
  const open = { id: randomUUID(), caseId: randomUUID() };
  const queued = { id: randomUUID(), caseId: randomUUID() };
  const tencentKey = createHash('sha256').update(JSON.stringify([B, '1795950000', '1'])).digest('hex');
  let dataDir: string;
  let ds: DataSource;

  /** Rows of any table that hold a mainland mobile in clear (11 digits on their own) or the plain Tencent hash. */
  async function clearNumbers(): Promise<string[]> {
    const tables = (await ds.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)) as Array<{ tablename: string }>;
    const found: string[] = [];
    for (const { tablename } of tables) {
      for (const { row } of (await ds.query(`SELECT to_jsonb(t)::text AS row FROM "${tablename}" t`)) as Array<{ row: string }>) {
        if (/(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])/.test(row) || row.includes(tencentKey)) found.push(`${tablename}: ${row}`);
      }
    }
    return found;
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sms-survey-phones-'));
    const old = await openDataSource({ kind: 'pglite', dataDir }, { entities: [], migrations: OLD });
    const survey = `INSERT INTO survey (id, case_id, case_number, company_id, authority_id, phone, status, created_at, sent_at, expires_at, rated_at, rating)`;
    await old.query(`INSERT INTO case_contact (case_id, case_number, phone) VALUES ($1, 'GR-20261201-000001', $3), ($2, 'GR-20261201-000002', $3)`, [open.caseId, queued.caseId, A]);
    await old.query(`${survey} VALUES ($1, $2, 'GR-20261201-000001', 'HC0001', 'HA210102', $3, 'awaiting_reply', now(), now(), now() + interval '7 days', NULL, NULL)`, [open.id, open.caseId, A]);
    await old.query(`${survey} VALUES ($1, $2, 'GR-20261201-000002', 'HC0001', 'HA210102', $3, 'queued', now(), NULL, NULL, NULL, NULL)`, [queued.id, queued.caseId, A]);
    await old.query(
      `${survey} SELECT gen_random_uuid(), gen_random_uuid(), 'GR-20261101-' || lpad(i::text, 6, '0'), 'HC0001', 'HA210102', $1, 'rated',
                        now() - interval '40 days', now() - interval '40 days', now() - interval '33 days', now() - interval '39 days', 'satisfied'
         FROM generate_series(1, ${RATED}) AS i`,
      [B],
    );
    // B opted out twice, once as the provider spelt it: one opt-out afterwards, the first.
    await old.query(`INSERT INTO sms_opt_out (phone, opted_out_at) VALUES ($1, now() - interval '1 day'), ('+86 137-0000-1111', now())`, [B]);
    await old.query(
      `INSERT INTO sms_inbound_receipt (provider, receipt_key, phone, text, original_length, status, outcome, received_at) VALUES
         ('aliyun', '1001', $1, '1', 1, 'handled', 'rated', now()), ('tencent', $3, $2, '1', 1, 'handled', 'already_rated', now()),
         ('tencent', 'k-foreign', NULL, '1', 1, 'rejected', NULL, now())`,
      [A, B, tencentKey],
    );
    await old.query(
      `INSERT INTO sms_message (direction, phone, text, status, attempts, provider, survey_id, at) VALUES
         ('out', $1, '【供热直通车】感谢您对工单GR-20261201-000001的评价。', 'sent', 1, 'console', $2, now()), ('in', $1, '1', 'received', 0, 'inbound', $2, now())`,
      [A, open.id],
    );
    await old.destroy();
    ds = await openDataSource(
      { kind: 'pglite', dataDir },
      { entities: [], migrations: [...OLD, SmsPhonesAtRest1764400000070, PhonesAtRest1764400000340] },
      { phoneVault: vault },
    );
  }, 60_000);

  afterAll(async () => {
    await ds?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is applied after the migrations already run, and no column of any table holds a number in clear', async () => {
    const applied = (await ds.query('SELECT name FROM schema_migration ORDER BY id')).map((r: { name: string }) => r.name);
    expect(applied.slice(-2)).toEqual(['SmsPhonesAtRest1764400000070', 'PhonesAtRest1764400000340']);
    const phoneColumns = await ds.query(`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name LIKE 'phone%' ORDER BY 1, 2`);
    expect(phoneColumns).toEqual(
      ['case_contact', 'sms_inbound_receipt', 'sms_message', 'sms_opt_out', 'survey'].flatMap((table_name) => [
        { table_name, column_name: 'phone_enc' },
        { table_name, column_name: 'phone_hash' },
      ]),
    );
    expect(await clearNumbers()).toEqual([]);
  });

  it('every number is sealed with the blind index of its normalised form', async () => {
    for (const table of ['case_contact', 'survey', 'sms_opt_out', 'sms_inbound_receipt', 'sms_message']) {
      const rows = (await ds.query(`SELECT phone_enc, phone_hash FROM ${table} WHERE phone_enc IS NOT NULL`)) as Array<{ phone_enc: string; phone_hash: string }>;
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(vault.hash(vault.open(row.phone_enc).replace(/^\+86 |-/g, ''))).toBe(row.phone_hash);
    }
    expect(await ds.query(`SELECT count(*)::int AS n FROM survey WHERE phone_hash = $1 AND status = 'rated'`, [vault.hash(B)])).toEqual([{ n: RATED }]);
    expect(await ds.query(`SELECT phone_enc, phone_hash FROM sms_inbound_receipt WHERE status = 'rejected'`)).toEqual([{ phone_enc: null, phone_hash: null }]);
  });

  it('the look-ups by phone work on the blind index: the open survey, the queue, 退订, replies', async () => {
    const [openOfA] = await ds.query(`SELECT id FROM survey WHERE phone_hash = $1 AND status = 'awaiting_reply'`, [vault.hash(A)]);
    expect(openOfA).toEqual({ id: open.id });
    const [next] = await ds.query(`SELECT id FROM survey WHERE phone_hash = $1 AND status = 'queued' ORDER BY created_at, id LIMIT 1`, [vault.hash(A)]);
    expect(next).toEqual({ id: queued.id });
    // B's two opt-outs (two spellings of one number) are one, the first.
    const optOuts = (await ds.query(`SELECT phone_enc, phone_hash FROM sms_opt_out`)) as Array<{ phone_enc: string; phone_hash: string }>;
    expect(optOuts.map((o) => [vault.open(o.phone_enc), o.phone_hash])).toEqual([[B, vault.hash(B)]]);
    expect(await ds.query(`SELECT outcome FROM sms_inbound_receipt WHERE phone_hash = $1`, [vault.hash(B)])).toEqual([{ outcome: 'already_rated' }]);
    // Tencent's plain hash of mobile, time and text is keyed: a redelivery is still recognised by it.
    expect(await ds.query(`SELECT receipt_key FROM sms_inbound_receipt WHERE outcome = 'already_rated'`)).toEqual([{ receipt_key: storedReceiptKey(vault, 'tencent', tencentKey) }]);
  });

  it('the indexes and the rule "one survey out per phone" now key on phone_hash', async () => {
    const indexes = (await ds.query(
      `SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN ('survey_one_open_per_phone', 'survey_queued', 'survey_by_phone', 'sms_inbound_receipt_by_phone', 'sms_opt_out_pkey') ORDER BY 1`,
    )) as Array<{ indexname: string; indexdef: string }>;
    expect(indexes.map((i) => i.indexname)).toEqual(['sms_inbound_receipt_by_phone', 'sms_opt_out_pkey', 'survey_by_phone', 'survey_one_open_per_phone', 'survey_queued']);
    for (const { indexdef } of indexes) expect(indexdef).toMatch(/\(phone_hash\b/);
    expect(indexes.find((i) => i.indexname === 'survey_one_open_per_phone')!.indexdef).toMatch(/UNIQUE .* WHERE \(status = 'awaiting_reply'::text\)/);
    await expect(ds.query(`UPDATE survey SET status = 'awaiting_reply' WHERE id = $1`, [queued.id])).rejects.toThrow(/survey_one_open_per_phone/);
  });

  it('down() gives the numbers back in clear, keyed as before', async () => {
    const runner = ds.createQueryRunner();
    try {
      await runner.startTransaction();
      await new PhonesAtRest1764400000340().down(runner);
      expect(await runner.query(`SELECT DISTINCT phone FROM case_contact`)).toEqual([{ phone: A }]);
      expect(await runner.query(`SELECT phone, count(*)::int AS n FROM survey GROUP BY phone ORDER BY phone`)).toEqual([
        { phone: B, n: RATED },
        { phone: A, n: 2 },
      ]);
      expect(await runner.query(`SELECT phone FROM sms_opt_out`)).toEqual([{ phone: B }]);
      expect(await runner.query(`SELECT provider, phone FROM sms_inbound_receipt ORDER BY id`)).toEqual([
        { provider: 'aliyun', phone: A },
        { provider: 'tencent', phone: B },
        { provider: 'tencent', phone: null },
      ]);
      const [{ indexdef }] = await runner.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'survey_one_open_per_phone'`);
      expect(indexdef).toMatch(/\(phone\) WHERE/);
      await runner.rollbackTransaction();
    } finally {
      await runner.release();
    }
  });
});
