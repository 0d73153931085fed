import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../support/eventually.js';
import { call } from '../support/http.js';
import { startInfraSuite } from '../support/infra.js';
import type { InfraSuite } from '../support/infra.js';
import { hotlineComplaint, temperatureSlip } from '../support/thin-loop.js';

const run = promisify(execFile);
const VERIFY = resolve('dist/tools/audit-verify.js');

/** Runs `npm run audit:verify` (the built command) against the suite's dispatch database. */
async function verify(suite: InfraSuite): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [VERIFY], { env: { ...process.env, DISPATCH_DATABASE_URL: suite.databaseUrls.dispatch, DATABASE_URL: '' } });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('the audit trail of cases is append-only and hash-chained; the verify command finds rewritten and deleted steps (real PostgreSQL)', () => {
  let suite: InfraSuite;
  let worked: { id: string; number: string };
  let other: { id: string; number: string };

  beforeAll(async () => {
    suite = await startInfraSuite('audit');
    const operator = await suite.tokens.sign({ sub: 'op-audit', role: 'operator' }, 3600);
    const company = await suite.tokens.sign({ sub: 'duty-audit', role: 'company', unitId: 'HC0001' }, 3600);
    const filed = [];
    for (const phone of ['13700001111', '13700002222']) {
      const res = await call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, hotlineComplaint(phone));
      expect(res.status).toBe(201);
      filed.push({ id: res.body.caseId as string, number: res.body.caseNumber as string });
    }
    [worked, other] = filed;
    for (const c of filed) {
      await eventually(async () => ((await suite.query('dispatch', `SELECT 1 FROM dispatch_case WHERE id = $1 AND company_id = 'HC0001'`, [c.id])).length ? true : undefined), 30_000, `case ${c.number} to be dispatched`);
    }
    const post = (path: string, body: unknown = {}) => call('POST', `${suite.urls.dispatch}${path}`, company, body);
    expect((await post(`/api/v1/cases/${worked.id}/sign`)).status).toBe(200);
    expect((await post(`/api/v1/cases/${worked.id}/contacts`, { outcome: 'no_answer' })).status).toBe(200);
    const done = await post(`/api/v1/cases/${worked.id}/feedback`, { resolution: 'fixed', summary: '已调节阀门，室温恢复', temperatureSlip: temperatureSlip(19.5, 20) });
    expect(done.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await suite?.close();
  });

  it('every step carries its hash, linked to the previous step of the same case, and the head counts them', async () => {
    const steps = await suite.query('dispatch', `SELECT action, prev_hash, hash FROM case_action WHERE case_id = $1 ORDER BY id`, [worked.id]);
    expect(steps.map((s) => s.action)).toEqual(['received', 'routed', 'signed', 'contact', 'feedback']);
    expect(steps[0].prev_hash).toBeNull();
    for (let i = 1; i < steps.length; i++) expect(steps[i].prev_hash).toBe(steps[i - 1].hash);
    const [head] = await suite.query('dispatch', `SELECT hash, count FROM case_audit_head WHERE case_id = $1`, [worked.id]);
    expect(head).toEqual({ hash: steps[steps.length - 1].hash, count: steps.length });
  });

  it('the verify command reports an intact trail (exit code 0)', async () => {
    const result = await verify(suite);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').pop() as string)).toMatchObject({ problems: 0, intact: true });
  });

  it('the database refuses to update or delete a step (append-only)', async () => {
    await expect(suite.query('dispatch', `UPDATE case_action SET detail = '{}' WHERE case_id = $1`, [worked.id])).rejects.toThrow(/append-only/);
    await expect(suite.query('dispatch', `DELETE FROM case_action WHERE case_id = $1`, [worked.id])).rejects.toThrow(/append-only/);
  });

  it('a faked closure (feedback rewritten past the trigger) and a deleted last step are found, with case numbers (exit code 1)', async () => {
    await suite.query('dispatch', `ALTER TABLE case_action DISABLE TRIGGER case_action_append_only`);
    try {
      await suite.query('dispatch', `UPDATE case_action SET detail = jsonb_set(detail, '{summary}', '"已办结（改写）"') WHERE case_id = $1 AND action = 'feedback'`, [worked.id]);
      await suite.query('dispatch', `DELETE FROM case_action WHERE id = (SELECT max(id) FROM case_action WHERE case_id = $1)`, [other.id]);
    } finally {
      await suite.query('dispatch', `ALTER TABLE case_action ENABLE TRIGGER case_action_append_only`);
    }
    const result = await verify(suite);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${worked.number}\\t\\d+\\trewritten\\t.*记录被改写`)),
        expect.stringMatching(new RegExp(`^${other.number}\\t-\\thead_mismatch\\t`)),
      ]),
    );
    expect(JSON.parse(lines[lines.length - 1])).toMatchObject({ problems: 2, intact: false });
  });
});
