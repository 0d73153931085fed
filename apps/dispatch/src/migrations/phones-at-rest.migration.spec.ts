import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openDataSource, PhoneVault } from '#shared';
import type { DataSource } from 'typeorm';
import { DISPATCH_SCHEMA } from '../dispatch-schema.js';
import { openPayloadPhones } from '../webhooks/payload-phones.js';
import { PhonesAtRest1764400000270 } from './1764400000270-phones-at-rest.js';

/*
 * Upgrading a database whose cases, outage notices and webhook log hold residents' numbers in clear:
 * afterwards they are sealed with a blind index, nothing readable is left in those tables, look-ups
 * by number still find them, one notice per resident and incident still holds on the hash, and the
 * webhook payloads open to exactly what they were. down() restores the plaintext columns.
 */
const MOBILE = /(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])/;
const TABLES = ['dispatch_case', 'incident_resident', 'webhook_delivery'];

describe('migration 1764400000270: phone numbers encrypted at rest in dispatch', () => {
  let dataDir: string;
  let ds: DataSource;
  const vault = PhoneVault.derivedFrom('x'.repeat(40));
  const OLD = DISPATCH_SCHEMA.migrations.slice(0, DISPATCH_SCHEMA.migrations.indexOf(PhonesAtRest1764400000270));
  const cases = [
    { id: randomUUID(), phone: '13912345678' },
    { id: randomUUID(), phone: '13800001111' },
    // The same resident as the first, written another way.
    { id: randomUUID(), phone: '+86 139-1234-5678' },
  ];
  const incidents = [randomUUID(), randomUUID()];
  const payloads: Record<string, unknown> = {};
  /** The payloads as the old schema gave them back (jsonb key order), to compare byte for byte. */
  const storedBefore: Record<string, string> = {};

  const plaintextIn = async (table: string): Promise<string[]> =>
    (await ds.query(`SELECT to_jsonb(t)::text AS row FROM ${table} t`)).map((r: { row: string }) => r.row).filter((row: string) => MOBILE.test(row));

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dispatch-phones-'));
    const old = await openDataSource({ kind: 'pglite', dataDir }, { entities: [], migrations: OLD });
    for (const [i, c] of cases.entries()) {
      await old.query(
        `INSERT INTO dispatch_case (id, case_number, category, community_name, city_code, district_code, address, description, phone, status,
                                    authority_id, routing_reason, received_at, dispatch_limit_at, updated_at)
         VALUES ($1, $2, 'too_cold', '金地小区', '210100', '210102', '{}', '卧室 15 度', $3, 'dispatched', 'AU210100', 'test', now(), now(), now())`,
        [c.id, `GR-20261101-00000${i + 1}`, c.phone],
      );
    }
    for (const id of incidents) {
      await old.query(
        `INSERT INTO outage_incident (id, status, authority_id, city_code, district_code, title, cause, created_at, updated_at)
         VALUES ($1, 'open', 'AU210100', '210100', '210102', '停供', '故障', now(), now())`,
        [id],
      );
    }
    // Incident 0 told both spellings of one number (possible before: the key was the text); incident 1 one resident.
    for (const [incident, phone, at] of [
      [incidents[0], cases[0].phone, '2026-11-30T02:00:00Z'],
      [incidents[0], cases[2].phone, '2026-11-30T03:00:00Z'],
      [incidents[0], cases[1].phone, '2026-11-30T02:00:00Z'],
      [incidents[1], cases[0].phone, '2026-11-30T04:00:00Z'],
    ]) {
      await old.query(`INSERT INTO incident_resident (incident_id, phone, notified_at) VALUES ($1, $2, $3)`, [incident, phone, at]);
    }
    payloads.withPhone = {
      type: 'case.dispatched',
      timestamp: '2026-11-30T02:00:00.000Z',
      data: { caseId: cases[0].id, caseNumber: 'GR-20261101-000001', phone: cases[0].phone, description: '卧室 15 度，回电 138 0000 1111', address: { street: '和平路 1 号' }, dueAt: null, n: 3 },
    };
    payloads.without = { type: 'case.reminder', timestamp: '2026-11-30T02:00:00.000Z', data: { caseId: cases[1].id, hoursLeft: 4 } };
    for (const [id, payload] of Object.entries(payloads)) {
      await old.query(
        `INSERT INTO webhook_delivery (id, company_id, case_id, event_type, payload, status, attempts, next_attempt_at, created_at)
         VALUES ($1, 'HC0001', $2, 'case.dispatched', $3::jsonb, 'pending', 0, now(), now())`,
        [id, cases[0].id, JSON.stringify(payload)],
      );
      const [row] = await old.query(`SELECT payload FROM webhook_delivery WHERE id = $1`, [id]);
      storedBefore[id] = JSON.stringify(row.payload);
    }
    await old.destroy();
    ds = await openDataSource({ kind: 'pglite', dataDir }, { entities: [], migrations: DISPATCH_SCHEMA.migrations }, { phoneVault: vault });
  }, 60_000);

  afterAll(async () => {
    await ds?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the numbers become phone_enc + phone_hash (NOT NULL), the plaintext columns are gone', async () => {
    const columns = await ds.query(
      `SELECT table_name, column_name, is_nullable FROM information_schema.columns
        WHERE table_name = ANY($1) AND column_name LIKE 'phone%' ORDER BY table_name, column_name`,
      [TABLES],
    );
    expect(columns).toEqual([
      { table_name: 'dispatch_case', column_name: 'phone_enc', is_nullable: 'NO' },
      { table_name: 'dispatch_case', column_name: 'phone_hash', is_nullable: 'NO' },
      { table_name: 'incident_resident', column_name: 'phone_enc', is_nullable: 'NO' },
      { table_name: 'incident_resident', column_name: 'phone_hash', is_nullable: 'NO' },
    ]);
  });

  it('every case opens to its number as received, hashed in its normalised form', async () => {
    for (const c of cases) {
      const [row] = await ds.query(`SELECT phone_enc, phone_hash FROM dispatch_case WHERE id = $1`, [c.id]);
      expect(vault.open(row.phone_enc)).toBe(c.phone);
      expect(row.phone_hash).toBe(vault.hash(c.phone === cases[2].phone ? '13912345678' : c.phone));
    }
  });

  it('no number is left readable in those tables', async () => {
    for (const table of TABLES) expect(await plaintextIn(table)).toEqual([]);
    expect(JSON.stringify(await ds.query(`SELECT * FROM webhook_delivery`))).not.toContain('138 0000 1111');
  });

  it('look-ups by number use the blind index and find both spellings of one resident', async () => {
    const found = await ds.query(`SELECT id FROM dispatch_case WHERE phone_hash = $1 ORDER BY case_number`, [vault.hash('13912345678')]);
    expect(found.map((r: { id: string }) => r.id)).toEqual([cases[0].id, cases[2].id]);
  });

  it('one outage notice per resident and incident, on the hash: the two spellings became one row (the first notice), and a second is refused', async () => {
    const rows = await ds.query(`SELECT incident_id, phone_enc, phone_hash, notified_at FROM incident_resident ORDER BY incident_id, notified_at`);
    expect(rows).toHaveLength(3);
    const first = rows.filter((r: { incident_id: string }) => r.incident_id === incidents[0]);
    expect(first.map((r: { phone_enc: string }) => vault.open(r.phone_enc)).sort()).toEqual(['13800001111', '13912345678']);
    const again = await ds.query(
      `INSERT INTO incident_resident (incident_id, phone_enc, phone_hash, notified_at) VALUES ($1, $2, $3, now()) ON CONFLICT DO NOTHING RETURNING incident_id`,
      [incidents[0], vault.seal('13912345678'), vault.hash('13912345678')],
    );
    expect(again).toHaveLength(0);
  });

  it('webhook payloads open to exactly what was stored (same keys, same order), the numbers sealed in place', async () => {
    for (const id of Object.keys(payloads)) {
      const [row] = await ds.query(`SELECT payload FROM webhook_delivery WHERE id = $1`, [id]);
      expect(JSON.stringify(openPayloadPhones(vault, row.payload))).toBe(storedBefore[id]);
    }
    const [sealed] = await ds.query(`SELECT payload FROM webhook_delivery WHERE id = 'withPhone'`);
    expect(Object.keys(sealed.payload.data)).toEqual(Object.keys(JSON.parse(storedBefore.withPhone).data));
    expect(sealed.payload.data.phone).toEqual({ $sealed: expect.stringMatching(/^d1\./) });
    expect(sealed.payload.data.description).toEqual({ $sealed: expect.any(String) });
    expect(sealed.payload.data.caseNumber).toBe('GR-20261101-000001');
  });

  it('down() restores the plaintext columns and payloads, and the old key', async () => {
    const runner = ds.createQueryRunner();
    try {
      await new PhonesAtRest1764400000270().down(runner);
    } finally {
      await runner.release();
    }
    for (const c of cases) {
      expect(await ds.query(`SELECT phone FROM dispatch_case WHERE id = $1`, [c.id])).toEqual([{ phone: c.phone }]);
    }
    const residents = await ds.query(`SELECT incident_id, phone FROM incident_resident ORDER BY incident_id, phone`);
    expect(residents).toHaveLength(3);
    expect(residents.every((r: { phone: string }) => [cases[0].phone, cases[1].phone].includes(r.phone))).toBe(true);
    await expect(ds.query(`INSERT INTO incident_resident (incident_id, phone, notified_at) VALUES ($1, $2, now())`, [incidents[1], cases[0].phone])).rejects.toThrow(/incident_resident_pkey|duplicate/);
    for (const id of Object.keys(payloads)) {
      const [row] = await ds.query(`SELECT payload FROM webhook_delivery WHERE id = $1`, [id]);
      expect(JSON.stringify(row.payload)).toBe(storedBefore[id]);
    }
    const columns = await ds.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'dispatch_case' AND column_name LIKE 'phone%'`);
    expect(columns).toEqual([{ column_name: 'phone' }]);
  });
});
