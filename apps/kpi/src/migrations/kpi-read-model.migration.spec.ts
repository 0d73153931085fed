import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { openDataSource } from '#shared';
import { KpiCase, KpiEvent, KpiUnitLink, UnitMonth } from '../events/kpi-entities.js';
import { KPI_SCHEMA } from '../kpi-schema.js';
import { KpiRebuilder } from '../rebuild/kpi-rebuilder.js';
import { KpiSchema1764400000400 } from './1764400000400-kpi-schema.js';

/*
 * Upgrading a database filled by the old projector: the migration reshapes the tables and files a
 * rebuild request; the service carries it out at start-up, so the figures follow the new rules
 * (here: a re-dispatched case moves to its final company, a re-survey replaces the rating).
 */
describe('migration 1764400000410: the old read model is rebuilt from kpi_event at start-up', () => {
  let dataDir: string;
  const caseId = '0a000000-0000-4000-8000-000000000001';
  const iso = (s: string) => new Date(s).toISOString();
  const events: Array<[string, string, Record<string, unknown>]> = [
    ['case.dispatched', '2025-12-01T02:00:00Z', { caseId, companyId: 'HC0001', authorityId: 'AU210100', cityCode: '210100', method: 'auto', receivedAt: iso('2025-12-01T01:30:00Z'), dispatchedAt: iso('2025-12-01T02:00:00Z') }],
    ['case.dispatched', '2025-12-02T02:00:00Z', { caseId, companyId: 'HC0002', authorityId: 'AU210100', cityCode: '210100', method: 'manual', previousCompanyId: 'HC0001', receivedAt: iso('2025-12-01T01:30:00Z'), dispatchedAt: iso('2025-12-02T02:00:00Z') }],
    ['case.feedback_submitted', '2025-12-03T02:00:00Z', { caseId, companyId: 'HC0002', submittedAt: iso('2025-12-03T02:00:00Z') }],
    ['survey.rated', '2025-12-04T02:00:00Z', { caseId, surveyId: 'a1000000-0000-4000-8000-000000000001', rating: 'dissatisfied', ratedAt: iso('2025-12-04T02:00:00Z') }],
    ['survey.rated', '2025-12-09T02:00:00Z', { caseId, surveyId: 'a1000000-0000-4000-8000-000000000002', rating: 'satisfied', ratedAt: iso('2025-12-09T02:00:00Z') }],
  ];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kpi-migration-'));
    Logger.overrideLogger(false); // the rebuild's log line is not what this test reads
    // The database as the old projector left it: the events, and counters by the old rules (HC0001, 不满意).
    const old = await openDataSource({ kind: 'pglite', dataDir }, { entities: [], migrations: [KpiSchema1764400000400] });
    for (const [i, [type, at, payload]] of events.entries()) {
      await old.query(`INSERT INTO kpi_event (message_id, type, version, occurred_at, payload, received_at) VALUES ($1, $2, 1, $3, $4, $3)`, [
        `e0000000-0000-4000-8000-00000000000${i}`,
        type,
        at,
        JSON.stringify(payload),
      ]);
    }
    await old.query(`INSERT INTO kpi_case (case_id, company_id, authority_id, city_code, month, dispatched_at, feedback_at, rating) VALUES ($1, 'HC0001', 'AU210100', '210100', '2025-12', $2, $3, 'dissatisfied')`, [
      caseId,
      '2025-12-01T02:00:00Z',
      '2025-12-03T02:00:00Z',
    ]);
    await old.query(`INSERT INTO unit_month (unit_type, unit_id, month, dispatched, with_feedback, feedback_days_sum, rated, dissatisfied) VALUES ('company', 'HC0001', '2025-12', 1, 1, 2, 1, 1)`);
    await old.destroy();
  }, 60_000);

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('after the migration and the start-up rebuild the case counts for HC0002 with its fresh 满意 rating, and the request is settled', async () => {
    const ds = await openDataSource({ kind: 'pglite', dataDir }, KPI_SCHEMA);
    try {
      expect(await ds.query(`SELECT reason FROM kpi_rebuild_request`)).toEqual([{ reason: 'KpiReadModel1764400000410' }]);
      await new KpiRebuilder(ds).onModuleInit();
      const rows = await ds.getRepository(UnitMonth).find({ where: { unitType: 'company' } });
      expect(rows).toEqual([
        expect.objectContaining({ unitId: 'HC0002', month: '2025-12', dispatched: 1, withFeedback: 1, feedbackMsSum: 24 * 3600 * 1000, rated: 1, satisfied: 1, dissatisfied: 0 }),
      ]);
      expect(await ds.getRepository(KpiCase).findOneByOrFail({ caseId })).toMatchObject({ companyId: 'HC0002', month: '2025-12', rating: 'satisfied' });
      expect(await ds.getRepository(KpiUnitLink).count()).toBe(2);
      expect(await ds.getRepository(KpiEvent).count()).toBe(events.length);
      expect(await ds.query(`SELECT reason FROM kpi_rebuild_request`)).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });
});
