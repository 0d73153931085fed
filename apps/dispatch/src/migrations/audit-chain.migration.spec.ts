import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openDataSource, PhoneVault } from '#shared';
import type { DataSource } from 'typeorm';
import { verifyAuditTrail } from '../audit/audit-verifier.js';
import { DISPATCH_SCHEMA } from '../dispatch-schema.js';
import { AuditChain1764400000260 } from './1764400000260-audit-chain.js';

/*
 * Upgrading a database whose cases already have action logs: the migration chains the existing
 * steps per case in id order, writes each case's head, and only then makes the table append-only.
 */
describe('migration 1764400000260: the audit chain on an existing database', () => {
  let dataDir: string;
  let ds: DataSource;
  const OLD = DISPATCH_SCHEMA.migrations.slice(0, DISPATCH_SCHEMA.migrations.indexOf(AuditChain1764400000260));
  const cases = [randomUUID(), randomUUID()];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dispatch-audit-'));
    const old = await openDataSource({ kind: 'pglite', dataDir }, { entities: [], migrations: OLD });
    for (const [i, id] of cases.entries()) {
      await old.query(
        `INSERT INTO dispatch_case (id, case_number, category, community_name, city_code, district_code, address, description, phone, status,
                                    authority_id, routing_reason, received_at, dispatch_limit_at, updated_at)
         VALUES ($1, $2, 'too_cold', '金地小区', '210100', '210102', '{}', '卧室 15 度', '13912345678', 'signed', 'AU210100', 'test', now(), now(), now())`,
        [id, `GR-20261101-00000${i + 1}`],
      );
      for (const [n, action] of ['received', 'routed', 'signed'].entries()) {
        await old.query(
          `INSERT INTO case_action (case_id, at, actor_role, actor_id, action, from_status, to_status, detail) VALUES ($1, now() + $2 * interval '1 second', 'system', 'dispatch', $3, NULL, 'signed', $4)`,
          [id, n, action, JSON.stringify({ step: n, 说明: `第${n}步`, nested: { b: 2, a: [1, '二'] } })],
        );
      }
    }
    await old.destroy();
    // Later migrations encrypt the cases' phone numbers: they need a vault.
    ds = await openDataSource({ kind: 'pglite', dataDir }, { entities: [], migrations: DISPATCH_SCHEMA.migrations }, { phoneVault: PhoneVault.derivedFrom('x'.repeat(40)) });
  }, 60_000);

  afterAll(async () => {
    await ds?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('chains the existing steps of every case, and the verifier finds the whole trail intact', async () => {
    const report = await ds.transaction((em) => verifyAuditTrail(em));
    expect(report).toEqual({ cases: 2, entries: 6, problems: [] });
    const heads = await ds.query(`SELECT count FROM case_audit_head ORDER BY case_id`);
    expect(heads).toEqual([{ count: 3 }, { count: 3 }]);
  });

  it('afterwards the table refuses UPDATE and DELETE', async () => {
    await expect(ds.query(`UPDATE case_action SET action = 'feedback'`)).rejects.toThrow(/append-only/);
    await expect(ds.query(`DELETE FROM case_action`)).rejects.toThrow(/append-only/);
  });
});
