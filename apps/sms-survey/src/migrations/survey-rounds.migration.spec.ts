import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openDataSource } from '#shared';
import type { DataSource } from 'typeorm';
import { SmsSurveySchema1764400000300 } from './1764400000300-sms-survey-schema.js';
import { SmsInbound1764400000310 } from './1764400000310-sms-inbound.js';
import { SurveyReplies1764400000320 } from './1764400000320-survey-replies.js';
import { SurveyRounds1764400000330 } from './1764400000330-survey-rounds.js';

/*
 * Upgrading a database surveyed before rounds existed (one survey per case): the surveys become
 * round 1, and a case may then hold one survey per round. The migration runs after the ones already
 * applied (the messaging retention migration 1764400000900 included), as on a deployed database.
 */
describe('migration 1764400000330: survey rounds on an existing database', () => {
  let dataDir: string;
  let ds: DataSource;
  const caseId = randomUUID();
  const OLD = [SmsSurveySchema1764400000300, SmsInbound1764400000310, SurveyReplies1764400000320];
  const insert = (round: number | null, status = 'queued') =>
    ds.query(
      `INSERT INTO survey (id, case_id, ${round === null ? '' : 'round, '}case_number, company_id, authority_id, phone, status, created_at)
       VALUES ($1, $2, ${round === null ? '' : `${round}, `}'GR-20261201-000001', 'HC0001', 'HA210102', '13912345678', $3, now())`,
      [randomUUID(), caseId, status],
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sms-survey-rounds-'));
    const old = await openDataSource({ kind: 'pglite', dataDir }, { entities: [], migrations: OLD });
    await old.query(
      `INSERT INTO survey (id, case_id, case_number, company_id, authority_id, phone, status, created_at, rating) VALUES ($1, $2, 'GR-20261201-000001', 'HC0001', 'HA210102', '13912345678', 'rated', now(), 'dissatisfied')`,
      [randomUUID(), caseId],
    );
    await old.destroy();
    ds = await openDataSource({ kind: 'pglite', dataDir }, { entities: [], migrations: [...OLD, SurveyRounds1764400000330] });
  }, 60_000);

  afterAll(async () => {
    await ds?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is applied after the migrations already run, and the existing survey becomes round 1', async () => {
    const applied = (await ds.query('SELECT name FROM schema_migration ORDER BY id')).map((r: { name: string }) => r.name);
    expect(applied.at(-1)).toBe('SurveyRounds1764400000330');
    expect(await ds.query('SELECT round, follows_survey_id, rating FROM survey WHERE case_id = $1', [caseId])).toEqual([
      { round: 1, follows_survey_id: null, rating: 'dissatisfied' },
    ]);
  });

  it('the case may now hold round 2, but not a second round 1, nor round 0', async () => {
    await insert(2);
    await expect(insert(null)).rejects.toThrow(/survey_case_round/);
    await expect(insert(0)).rejects.toThrow(/survey_round_positive/);
    expect(await ds.query('SELECT round FROM survey WHERE case_id = $1 ORDER BY round', [caseId])).toEqual([{ round: 1 }, { round: 2 }]);
  });

  it('undoing it refuses (and deletes nothing) while a case has a later round', async () => {
    const runner = ds.createQueryRunner();
    try {
      await runner.startTransaction();
      await expect(new SurveyRounds1764400000330().down(runner)).rejects.toThrow(/survey_case_id_key|could not create unique index/);
      await runner.rollbackTransaction();
    } finally {
      await runner.release();
    }
    expect(await ds.query('SELECT count(*)::int AS n FROM survey WHERE case_id = $1', [caseId])).toEqual([{ n: 2 }]);
  });
});
