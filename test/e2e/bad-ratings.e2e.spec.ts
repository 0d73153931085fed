import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { shanghaiMonth } from '#shared';
import { startEmbeddedSuite } from '../../apps/embedded/src/suite.js';
import type { EmbeddedSuite } from '../../apps/embedded/src/suite.js';
import { eventually } from '../support/eventually.js';
import { call } from '../support/http.js';
import { hotlineComplaint, temperatureSlip } from '../support/thin-loop.js';

/*
 * 差评处理 end to end on the embedded suite: a 不满意 reply opens the company's callback task; the
 * authority judges the demand; reasonable → rectification and a fresh survey request; unreasonable
 * → reconsideration, approved by the authority (the rating leaves the satisfaction rate); the
 * province spot-checks it, and a faked closure costs the company 1 point.
 */
const ANY_PORT = { INTAKE_PORT: '0', DISPATCH_PORT: '0', SMS_SURVEY_PORT: '0', KPI_PORT: '0', LOG_LEVEL: 'warn' };

describe('bad ratings (差评处理)', () => {
  let suite: EmbeddedSuite;
  let dataDir: string;
  let operator: string;
  let hc1: string;
  let hc2: string;
  let shenyang: string;
  let dalian: string;
  let province: string;
  let phoneNo = 0;

  /** Files a case, has HC0001 close it, and replies to the survey with `reply`; returns the case. */
  async function closedAndRated(reply: string): Promise<{ caseId: string; caseNumber: string }> {
    const phone = `1350000${String(++phoneNo).padStart(4, '0')}`;
    const filed = await call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, hotlineComplaint(phone));
    expect(filed.status).toBe(201);
    const { caseId, caseNumber } = filed.body;
    await eventually(async () => ((await call('GET', `${suite.urls.dispatch}/api/v1/cases/${caseId}`, hc1)).status === 200 ? true : undefined), 15_000, 'dispatched');
    const fb = await call('POST', `${suite.urls.dispatch}/api/v1/cases/${caseId}/feedback`, hc1, { resolution: 'fixed', summary: '已调整阀门', temperatureSlip: temperatureSlip() });
    expect(fb.status).toBe(200);
    await eventually(async () => {
      const sms = await call('GET', `${suite.urls['sms-survey']}/api/v1/sms/messages`, province);
      return sms.body.find((m: any) => m.direction === 'out' && m.text.includes(caseNumber)) ? true : undefined;
    }, 15_000, 'survey SMS');
    const r = await call('POST', `${suite.urls['sms-survey']}/api/v1/sms/console/replies`, province, { phone, text: reply });
    expect(r.body.outcome).toBe('rated');
    return { caseId, caseNumber };
  }

  async function badRatingOf(caseId: string): Promise<any> {
    return eventually(async () => {
      const r = await call('GET', `${suite.urls.dispatch}/api/v1/bad-ratings`, hc1);
      return r.body.find?.((b: any) => b.caseId === caseId);
    }, 15_000, 'bad rating at dispatch');
  }

  const post = (token: string, path: string, body: unknown) => call('POST', `${suite.urls.dispatch}${path}`, token, body);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'heating-bad-ratings-'));
    suite = await startEmbeddedSuite({ dataDir, env: { ...process.env, ...ANY_PORT } });
    operator = await suite.tokens.sign({ sub: 'op-1', role: 'operator' }, 3600);
    hc1 = await suite.tokens.sign({ sub: 'duty-1', role: 'company', unitId: 'HC0001' }, 3600);
    hc2 = await suite.tokens.sign({ sub: 'duty-2', role: 'company', unitId: 'HC0002' }, 3600);
    shenyang = await suite.tokens.sign({ sub: 'sy-1', role: 'authority', unitId: 'AU210100' }, 3600);
    dalian = await suite.tokens.sign({ sub: 'dl-1', role: 'authority', unitId: 'AU210200' }, 3600);
    province = await suite.tokens.sign({ sub: 'prov', role: 'province' }, 3600);
  }, 120_000);

  afterAll(async () => {
    await suite?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a satisfied rating opens nothing; a 不满意 rating opens a callback task due within 1 natural day, with the resident’s comment', async () => {
    const fine = await closedAndRated('1');
    const bad = await closedAndRated('3，还是不热');
    const b = await badRatingOf(bad.caseId);
    expect(b).toMatchObject({ status: 'callback_pending', companyId: 'HC0001', caseNumber: bad.caseNumber, overdue: false });
    expect(b.comment).toContain('还是不热');
    const all = await call('GET', `${suite.urls.dispatch}/api/v1/bad-ratings`, shenyang);
    expect(all.body.some((x: any) => x.caseId === fine.caseId)).toBe(false);
  });

  it('unreasonable demand → reconsideration → approved: the rating leaves HC0001’s satisfaction rate; a faked closure found by the province costs 1 point', async () => {
    const month = shanghaiMonth(new Date());
    const before = (await call('GET', `${suite.urls.kpi}/api/v1/indicators/company/HC0001?month=${month}`, province)).body.counts;
    const bad = await closedAndRated('不满意 要求 25 度');
    const b = await badRatingOf(bad.caseId);

    expect(await post(hc2, `/api/v1/bad-ratings/${b.id}/callback`, { outcome: 'reached', residentDemand: 'x' })).toMatchObject({ status: 403 });
    expect(await post(shenyang, `/api/v1/bad-ratings/${b.id}/callback`, { outcome: 'reached', residentDemand: 'x' })).toMatchObject({ status: 403 });
    const classifyTooEarly = await post(shenyang, `/api/v1/bad-ratings/${b.id}/classification`, { classification: 'unreasonable', note: '超标准' });
    expect(classifyTooEarly).toMatchObject({ status: 409, body: { code: 'BAD_RATING_STATE_CONFLICT' } });

    const called = await post(hc1, `/api/v1/bad-ratings/${b.id}/callback`, { outcome: 'reached', residentDemand: '要求卧室 25℃' });
    expect(called.body).toMatchObject({ status: 'awaiting_classification' });
    expect(await post(dalian, `/api/v1/bad-ratings/${b.id}/classification`, { classification: 'unreasonable', note: '超标准' })).toMatchObject({ status: 403 });
    const judged = await post(shenyang, `/api/v1/bad-ratings/${b.id}/classification`, { classification: 'unreasonable', note: '实测 19℃，诉求超出 18℃ 标准' });
    expect(judged.body).toMatchObject({ status: 'reconsideration_pending', classification: 'unreasonable' });
    const missingEvidence = await post(hc1, `/api/v1/bad-ratings/${b.id}/reconsideration`, { reason: '超标准' });
    expect(missingEvidence).toMatchObject({ status: 400, body: { field: 'evidence' } });
    const applied = await post(hc1, `/api/v1/bad-ratings/${b.id}/reconsideration`, { reason: '居民要求 25℃，超出标准', evidence: '入户测温卧室 19.2℃，居民签字' });
    expect(applied.body.status).toBe('reconsideration_review');
    const approved = await post(shenyang, `/api/v1/bad-ratings/${b.id}/reconsideration-decision`, { decision: 'approve', reason: '测温记录完整' });
    expect(approved.body).toMatchObject({ status: 'reconsideration_approved', reconsiderationDecision: 'approved' });

    const afterApproval = await eventually(async () => {
      const r = await call('GET', `${suite.urls.kpi}/api/v1/indicators/company/HC0001?month=${month}`, province);
      return r.body.counts.approvedReconsiderations === before.approvedReconsiderations + 1 ? r.body : undefined;
    }, 15_000, 'kpi to count the approved reconsideration');
    expect(afterApproval.counts.dissatisfied).toBe(before.dissatisfied + 1);

    const drawn = await post(province, '/api/v1/spot-checks/draw', { month, size: 10 });
    expect(drawn.status).toBe(200);
    const check = drawn.body.find((s: any) => s.badRatingId === b.id);
    expect(check).toBeDefined();
    const again = await post(province, '/api/v1/spot-checks/draw', { month, size: 10 });
    expect(again.body.some((s: any) => s.badRatingId === b.id)).toBe(false); // never drawn twice
    const found = await post(province, `/api/v1/spot-checks/${check.id}/result`, { method: 'site_visit', finding: 'faked', note: '实地核查：居民家中仍不热' });
    expect(found.body).toMatchObject({ finding: 'faked', method: 'site_visit' });
    expect(await post(province, `/api/v1/spot-checks/${check.id}/result`, { method: 'callback', finding: 'confirmed', note: '再次' })).toMatchObject({ status: 409 });
    const penalised = await eventually(async () => {
      const r = await call('GET', `${suite.urls.kpi}/api/v1/indicators/company/HC0001?month=${month}`, province);
      return r.body.counts.failedSpotChecks === before.failedSpotChecks + 1 ? r.body : undefined;
    }, 15_000, 'kpi to count the failed spot-check');
    expect(penalised.counts.failedSpotChecks).toBe(before.failedSpotChecks + 1);

    const timeline = (await call('GET', `${suite.urls.dispatch}/api/v1/cases/${bad.caseId}`, shenyang)).body.actions.map((a: any) => a.action);
    expect(timeline).toEqual(expect.arrayContaining(['bad_rating_opened', 'bad_rating_called_back', 'bad_rating_classified', 'bad_rating_reconsideration_applied', 'bad_rating_reconsideration_decided', 'spot_checked']));
  });

  it('a rejected reconsideration sends the company to rectify; the rectification settles the follow-up (resurveyed)', async () => {
    const bad = await closedAndRated('3');
    const b = await badRatingOf(bad.caseId);
    await post(hc1, `/api/v1/bad-ratings/${b.id}/callback`, { outcome: 'reached', residentDemand: '卧室仍只有 16℃' });
    await post(shenyang, `/api/v1/bad-ratings/${b.id}/classification`, { classification: 'unreasonable', note: '先按不合理处理' });
    await post(hc1, `/api/v1/bad-ratings/${b.id}/reconsideration`, { reason: '超标准', evidence: '测温记录' });
    const rejected = await post(shenyang, `/api/v1/bad-ratings/${b.id}/reconsideration-decision`, { decision: 'reject', reason: '测温记录显示 16℃，不达标' });
    expect(rejected.body).toMatchObject({ status: 'rectifying', reconsiderationDecision: 'rejected' });
    const done = await post(hc1, `/api/v1/bad-ratings/${b.id}/rectification`, { summary: '更换立管阀门，复测 19℃' });
    expect(done.body).toMatchObject({ status: 'resurveyed', rectificationSummary: '更换立管阀门，复测 19℃' });
  });

  it('bad input: an unknown status filter, a malformed id and a wrong month are 400 naming the field', async () => {
    expect(await call('GET', `${suite.urls.dispatch}/api/v1/bad-ratings?status=angry`, hc1)).toMatchObject({ status: 400, body: { field: 'status' } });
    expect(await post(hc1, '/api/v1/bad-ratings/nope/callback', { outcome: 'reached', residentDemand: 'x' })).toMatchObject({ status: 400, body: { field: 'id' } });
    expect(await post(province, '/api/v1/spot-checks/draw', { month: '2026-13', size: 1 })).toMatchObject({ status: 400, body: { field: 'month' } });
    expect(await post(province, '/api/v1/spot-checks/draw', { month: '2099-01', size: 1 })).toMatchObject({ status: 400, body: { code: 'MONTH_IN_FUTURE' } });
  });
});
