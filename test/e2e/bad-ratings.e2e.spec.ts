import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock, shanghaiMonth } from '#shared';
import { startEmbeddedSuite } from '../../apps/embedded/src/suite.js';
import type { EmbeddedSuite } from '../../apps/embedded/src/suite.js';
import { SurveyExpiry } from '../../apps/sms-survey/src/surveys/survey-expiry.js';
import { NEXT_SURVEY_GAP_MS } from '../../apps/sms-survey/src/surveys/survey-lifecycle.js';
import { eventually } from '../support/eventually.js';
import { call } from '../support/http.js';
import { hotlineComplaint, temperatureSlip } from '../support/thin-loop.js';

/*
 * 差评处理 end to end on the embedded suite: a 不满意 reply opens the company's callback task; the
 * authority judges the demand; reasonable → rectification and a fresh survey request; unreasonable
 * → reconsideration, approved by the authority (the rating leaves the satisfaction rate); the
 * province spot-checks it, and a faked closure costs the company 1 point. A rectification asks the
 * resident again (survey round 2, docs/surveys.md "Rounds"); the case's latest rating is the one kpi
 * counts. A manual clock moves time on (rectifications take days; surveys of one phone keep a gap).
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
  let room = 500;
  const clock = new ManualClock('2026-12-01T02:00:00Z'); // 10:00 in Shanghai

  const newPhone = () => `1350000${String(++phoneNo).padStart(4, '0')}`;
  const sweepSurveys = () => suite.apps['sms-survey'].get(SurveyExpiry).sweep();
  const surveyRounds = (caseId: string) =>
    suite.apps['sms-survey'].get(DataSource).query('SELECT round, status, rating FROM survey WHERE case_id = $1 ORDER BY round', [caseId]);
  const kpiCounts = async (month: string) => (await call('GET', `${suite.urls.kpi}/api/v1/indicators/company/HC0001?month=${month}`, province)).body.counts;

  /** Files a case for `phone` (its own room, so never a duplicate) and has HC0001 close it. */
  async function filedAndClosed(phone: string): Promise<{ caseId: string; caseNumber: string; phone: string }> {
    const complaint = hotlineComplaint(phone);
    const filed = await call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, { ...complaint, address: { ...complaint.address, room: String(++room) } });
    expect(filed.status).toBe(201);
    const { caseId, caseNumber } = filed.body;
    await eventually(async () => ((await call('GET', `${suite.urls.dispatch}/api/v1/cases/${caseId}`, hc1)).status === 200 ? true : undefined), 15_000, 'dispatched');
    const fb = await call('POST', `${suite.urls.dispatch}/api/v1/cases/${caseId}/feedback`, hc1, { resolution: 'fixed', summary: '已调整阀门', temperatureSlip: temperatureSlip(19.5, 20, clock.now()) });
    expect(fb.status).toBe(200);
    return { caseId, caseNumber, phone };
  }

  /** The survey SMS about `caseNumber` that went out (console outbox, number masked): `已办结` for round 1, `已整改` for a later round. */
  const surveySms = (caseNumber: string, kind: '已办结' | '已整改') =>
    eventually(async () => {
      const sms = await call('GET', `${suite.urls['sms-survey']}/api/v1/sms/messages?limit=500`, province);
      return sms.body.find((m: any) => m.direction === 'out' && m.status === 'sent' && m.text.includes(`工单${caseNumber}）${kind}`));
    }, 15_000, `${kind} survey SMS for ${caseNumber}`);

  const sentAbout = async (caseNumber: string, kind: '已办结' | '已整改') =>
    (await call('GET', `${suite.urls['sms-survey']}/api/v1/sms/messages?limit=500`, province)).body.filter((m: any) => m.direction === 'out' && m.text.includes(`工单${caseNumber}）${kind}`));

  const reply = async (phone: string, text: string) =>
    (await call('POST', `${suite.urls['sms-survey']}/api/v1/sms/console/replies`, province, { phone, text })).body.outcome as string;

  /** Files a case, has HC0001 close it, and replies to the survey with `reply`; returns the case. */
  async function closedAndRated(text: string, phone = newPhone()): Promise<{ caseId: string; caseNumber: string; phone: string }> {
    const c = await filedAndClosed(phone);
    await surveySms(c.caseNumber, '已办结');
    expect(await reply(phone, text)).toBe('rated');
    return c;
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
    suite = await startEmbeddedSuite({ dataDir, env: { ...process.env, ...ANY_PORT }, clock });
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
    const month = shanghaiMonth(clock.now());
    const before = await kpiCounts(month);
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

  it('a rejected reconsideration sends the company to rectify; the rectification settles the follow-up (resurveyed), the resident gets a second survey, its rating lands on round 2 of the case and kpi counts the case once, with the new rating', async () => {
    const month = shanghaiMonth(clock.now());
    const before = await kpiCounts(month);
    const bad = await closedAndRated('3');
    const b = await badRatingOf(bad.caseId);
    await eventually(async () => {
      const c = await kpiCounts(month);
      return c.rated === before.rated + 1 && c.dissatisfied === before.dissatisfied + 1 ? c : undefined;
    }, 15_000, 'kpi to count the 不满意 rating');

    await post(hc1, `/api/v1/bad-ratings/${b.id}/callback`, { outcome: 'reached', residentDemand: '卧室仍只有 16℃' });
    await post(shenyang, `/api/v1/bad-ratings/${b.id}/classification`, { classification: 'unreasonable', note: '先按不合理处理' });
    await post(hc1, `/api/v1/bad-ratings/${b.id}/reconsideration`, { reason: '超标准', evidence: '测温记录' });
    const rejected = await post(shenyang, `/api/v1/bad-ratings/${b.id}/reconsideration-decision`, { decision: 'reject', reason: '测温记录显示 16℃，不达标' });
    expect(rejected.body).toMatchObject({ status: 'rectifying', reconsiderationDecision: 'rejected' });
    clock.advance(24 * 3_600_000); // the company rectifies the next day
    const done = await post(hc1, `/api/v1/bad-ratings/${b.id}/rectification`, { summary: '更换立管阀门，复测 19℃' });
    expect(done.body).toMatchObject({ status: 'resurveyed', rectificationSummary: '更换立管阀门，复测 19℃' });

    // survey.requested → sms-survey: a fresh survey SMS (round 2) reaches the resident
    const again = await surveySms(bad.caseNumber, '已整改');
    expect(again.text).toContain('请再次回复数字评价：1满意 2基本满意 3不满意');
    expect(again.text).toMatch(/\/r\/[A-Za-z0-9_-]{16} /); // a fresh one-time web link
    expect(again.phone).toBe(`${bad.phone.slice(0, 3)}****${bad.phone.slice(7)}`);
    expect(await reply(bad.phone, '1 修好了，谢谢')).toBe('rated');
    expect(await surveyRounds(bad.caseId)).toEqual([
      { round: 1, status: 'rated', rating: 'dissatisfied' },
      { round: 2, status: 'rated', rating: 'satisfied' },
    ]);

    // kpi: the case is rated once, with its latest rating (不满意 replaced by 满意)
    const after = await eventually(async () => {
      const c = await kpiCounts(month);
      return c.satisfied === before.satisfied + 1 ? c : undefined;
    }, 15_000, 'kpi to count the round-2 rating');
    expect(after).toMatchObject({ rated: before.rated + 1, satisfied: before.satisfied + 1, dissatisfied: before.dissatisfied, dispatched: before.dispatched + 1 });
    // dispatch: a satisfied round 2 opens nothing; the follow-up stays settled
    const followUps = (await call('GET', `${suite.urls.dispatch}/api/v1/bad-ratings`, hc1)).body.filter((x: any) => x.caseId === bad.caseId);
    expect(followUps).toEqual([expect.objectContaining({ id: b.id, status: 'resurveyed' })]);
  });

  it('a resident with another survey out gets the round-2 survey queued, not sent over it; the replies land on the right cases; 不满意 again in round 2 opens a new follow-up', async () => {
    const month = shanghaiMonth(clock.now());
    const before = await kpiCounts(month);
    const phone = newPhone();
    const a = await filedAndClosed(phone);
    await surveySms(a.caseNumber, '已办结');
    const other = await filedAndClosed(phone); // a second case of the same resident: its survey waits its turn
    expect(await reply(phone, '3')).toBe('rated'); // rates case a, the one asked
    clock.advance(NEXT_SURVEY_GAP_MS);
    await sweepSurveys();
    await surveySms(other.caseNumber, '已办结'); // now the other case's survey is out

    const b = await badRatingOf(a.caseId);
    await post(hc1, `/api/v1/bad-ratings/${b.id}/callback`, { outcome: 'reached', residentDemand: '卧室 16℃' });
    await post(shenyang, `/api/v1/bad-ratings/${b.id}/classification`, { classification: 'reasonable', note: '实测不达标，须整改' });
    const done = await post(hc1, `/api/v1/bad-ratings/${b.id}/rectification`, { summary: '清洗过滤器，复测 19℃' });
    expect(done.body.status).toBe('resurveyed');
    await eventually(async () => ((await surveyRounds(a.caseId))[1]?.status === 'queued' ? true : undefined), 15_000, 'round 2 queued');
    expect(await sentAbout(a.caseNumber, '已整改')).toEqual([]);

    expect(await reply(phone, '1')).toBe('rated'); // the answer to the survey that is out: the other case
    expect(await surveyRounds(other.caseId)).toEqual([{ round: 1, status: 'rated', rating: 'satisfied' }]);
    expect((await surveyRounds(a.caseId))[1]).toEqual({ round: 2, status: 'queued', rating: null });

    clock.advance(NEXT_SURVEY_GAP_MS);
    await sweepSurveys();
    await surveySms(a.caseNumber, '已整改');
    expect(await reply(phone, '3 还是不热')).toBe('rated');
    expect(await surveyRounds(a.caseId)).toEqual([
      { round: 1, status: 'rated', rating: 'dissatisfied' },
      { round: 2, status: 'rated', rating: 'dissatisfied' },
    ]);
    // 不满意 again: a new follow-up for the company; the first stays settled
    const followUps = await eventually(async () => {
      const list = (await call('GET', `${suite.urls.dispatch}/api/v1/bad-ratings`, hc1)).body.filter((x: any) => x.caseId === a.caseId);
      return list.length === 2 ? list : undefined;
    }, 15_000, 'a second follow-up');
    expect(followUps.map((x: any) => x.status).sort()).toEqual(['callback_pending', 'resurveyed']);
    const timeline = (await call('GET', `${suite.urls.dispatch}/api/v1/cases/${a.caseId}`, shenyang)).body.actions;
    const reopened = timeline.filter((x: any) => x.action === 'bad_rating_opened');
    expect(reopened).toHaveLength(2);
    expect(reopened.find((x: any) => x.detail.round === 2)?.detail).toMatchObject({ round: 2, succeedsBadRatingId: b.id });
    // kpi: each case rated once — a 不满意 (round 2 replacing round 1), the other 满意
    const after = await eventually(async () => {
      const c = await kpiCounts(month);
      return c.rated === before.rated + 2 && c.satisfied === before.satisfied + 1 ? c : undefined;
    }, 15_000, 'kpi to count both cases once');
    expect(after).toMatchObject({ dissatisfied: before.dissatisfied + 1, dispatched: before.dispatched + 2 });
  });

  it('bad input: an unknown status filter, a malformed id and a wrong month are 400 naming the field', async () => {
    expect(await call('GET', `${suite.urls.dispatch}/api/v1/bad-ratings?status=angry`, hc1)).toMatchObject({ status: 400, body: { field: 'status' } });
    expect(await post(hc1, '/api/v1/bad-ratings/nope/callback', { outcome: 'reached', residentDemand: 'x' })).toMatchObject({ status: 400, body: { field: 'id' } });
    expect(await post(province, '/api/v1/spot-checks/draw', { month: '2026-13', size: 1 })).toMatchObject({ status: 400, body: { field: 'month' } });
    expect(await post(province, '/api/v1/spot-checks/draw', { month: '2099-01', size: 1 })).toMatchObject({ status: 400, body: { code: 'MONTH_IN_FUTURE' } });
  });
});
