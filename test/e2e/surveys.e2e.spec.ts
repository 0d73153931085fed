import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock, PHONE_VAULT } from '#shared';
import type { PhoneVault } from '#shared';
import { startEmbeddedSuite } from '../../apps/embedded/src/suite.js';
import type { EmbeddedSuite } from '../../apps/embedded/src/suite.js';
import { SurveyExpiry } from '../../apps/sms-survey/src/surveys/survey-expiry.js';
import { NEXT_SURVEY_GAP_MS } from '../../apps/sms-survey/src/surveys/survey-lifecycle.js';
import { eventually } from '../support/eventually.js';
import { call } from '../support/http.js';
import { columnsWithPlaintextPhones } from '../support/stored-phones.js';
import { hotlineComplaint, temperatureSlip } from '../support/thin-loop.js';

/*
 * Surveys end to end on the embedded suite, with a manual clock: a case is filed at intake,
 * routed by dispatch, closed by the company's feedback (too_cold, with a temperature slip); the
 * resident's replies come in through the console gateway (POST /api/v1/sms/console/replies), the
 * same path as a provider's reply callback; the web link is opened and posted as a browser does.
 */
const ANY_PORT = { INTAKE_PORT: '0', DISPATCH_PORT: '0', SMS_SURVEY_PORT: '0', KPI_PORT: '0', LOG_LEVEL: 'warn' };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('surveys: replies as residents write them, one survey per phone at a time, the web link (embedded suite, manual clock)', () => {
  let suite: EmbeddedSuite;
  let dataDir: string;
  const clock = new ManualClock('2026-12-01T02:00:00Z'); // 10:00 in Shanghai
  let operator: string;
  let company: string;
  let province: string;
  let phoneNo = 0;
  let room = 100;

  /** A phone per test; the last four digits differ, so the masked numbers in the SMS list differ too. */
  const newPhone = () => `1391234${String(++phoneNo * 111).padStart(4, '0')}`;
  const masked = (phone: string) => `${phone.slice(0, 3)}****${phone.slice(7)}`;
  const sweep = () => suite.apps['sms-survey'].get(SurveyExpiry).sweep();
  const surveyDb = () => suite.apps['sms-survey'].get(DataSource);

  /** Files a too-cold complaint for `phone`, waits until HC0001 has it, and closes it with a temperature slip. */
  async function closedCase(phone: string): Promise<{ caseId: string; caseNumber: string }> {
    const complaint = hotlineComplaint(phone);
    const filed = await call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, {
      ...complaint,
      address: { ...complaint.address, room: String(++room) },
    });
    expect(filed.status).toBe(201);
    const { caseId, caseNumber } = filed.body;
    await eventually(async () => ((await call('GET', `${suite.urls.dispatch}/api/v1/cases/${caseId}`, company)).status === 200 ? true : undefined), 15_000, 'case at HC0001');
    const feedback = await call('POST', `${suite.urls.dispatch}/api/v1/cases/${caseId}/feedback`, company, {
      resolution: 'fixed',
      summary: '已入户调整阀门，复测卧室 19.5℃',
      temperatureSlip: temperatureSlip(19.5, 20, clock.now()),
    });
    expect(feedback.status).toBe(200);
    return { caseId, caseNumber };
  }

  /** The texts sms-survey sent to `phone`, oldest first. */
  async function textsTo(phone: string): Promise<string[]> {
    const r = await call('GET', `${suite.urls['sms-survey']}/api/v1/sms/messages?limit=500`, province);
    return (r.body as Array<{ direction: string; phone: string; text: string }>)
      .filter((m) => m.direction === 'out' && m.phone === masked(phone))
      .map((m) => m.text)
      .reverse();
  }

  const invitationFor = (phone: string, caseNumber: string) =>
    eventually(async () => (await textsTo(phone)).find((t) => t.includes(`工单${caseNumber}`) && t.includes('已办结')), 15_000, `survey SMS for ${caseNumber}`);

  const reply = async (phone: string, text: string) => {
    const r = await call('POST', `${suite.urls['sms-survey']}/api/v1/sms/console/replies`, province, { phone, text });
    expect(r.status).toBe(200);
    return r.body.outcome as string;
  };

  /** The case's first survey (round 1, after it closed); later rounds follow rectifications (bad-ratings.e2e.spec.ts). */
  const surveyStatus = async (caseId: string) =>
    (await surveyDb().query('SELECT status, rating, comment, rated_via FROM survey WHERE case_id = $1 AND round = 1', [caseId]))[0];

  const intakeStatus = async (caseNumber: string) => (await call('GET', `${suite.urls.intake}/api/v1/complaints/${caseNumber}`, operator)).body.status as string;

  const tokenIn = (text: string) => /\/r\/([A-Za-z0-9_-]{16})/.exec(text)![1];
  const page = (token: string, init?: RequestInit) => fetch(`${suite.urls['sms-survey']}/r/${token}`, init);
  const postForm = (token: string, form: Record<string, string>) =>
    page(token, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'heating-surveys-'));
    suite = await startEmbeddedSuite({ dataDir, env: { ...process.env, ...ANY_PORT }, clock });
    operator = await suite.tokens.sign({ sub: 'op-1', role: 'operator' }, 3600 * 24 * 60);
    company = await suite.tokens.sign({ sub: 'duty-1', role: 'company', unitId: 'HC0001' }, 3600 * 24 * 60);
    province = await suite.tokens.sign({ sub: 'prov', role: 'province' }, 3600 * 24 * 60);
  }, 120_000);

  afterAll(async () => {
    await suite?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('two closed cases of one phone: one survey at a time; the reply rates the first, then the second goes out and the next reply rates it', async () => {
    const phone = newPhone();
    const first = await closedCase(phone);
    await invitationFor(phone, first.caseNumber);
    const second = await closedCase(phone);
    await eventually(async () => ((await surveyStatus(second.caseId))?.status === 'queued' ? true : undefined), 15_000, 'second survey queued');
    expect((await textsTo(phone)).some((t) => t.includes(second.caseNumber))).toBe(false);

    expect(await reply(phone, ' 3，还是不热 ')).toBe('rated');
    expect(await surveyStatus(first.caseId)).toEqual({ status: 'rated', rating: 'dissatisfied', comment: '还是不热', rated_via: 'sms' });
    // a second message right after the rating stays with the first case
    expect(await reply(phone, '1')).toBe('already_rated');
    expect((await surveyStatus(second.caseId)).status).toBe('queued');

    clock.advance(NEXT_SURVEY_GAP_MS);
    await sweep();
    const secondInvitation = await invitationFor(phone, second.caseNumber);
    expect(secondInvitation).toContain('1满意 2基本满意 3不满意');
    expect(await reply(phone, '１ 谢谢师傅')).toBe('rated');
    expect(await surveyStatus(second.caseId)).toEqual({ status: 'rated', rating: 'satisfied', comment: '谢谢师傅', rated_via: 'sms' });
    expect(await surveyStatus(first.caseId)).toMatchObject({ rating: 'dissatisfied' });

    // survey.rated reached intake for both cases
    await eventually(async () => ((await intakeStatus(first.caseNumber)) === 'rated' ? true : undefined), 15_000, 'intake shows the first rating');
    await eventually(async () => ((await intakeStatus(second.caseNumber)) === 'rated' ? true : undefined), 15_000, 'intake shows the second rating');
  });

  it('an unclear reply is asked again, not guessed', async () => {
    const phone = newPhone();
    const c = await closedCase(phone);
    await invitationFor(phone, c.caseNumber);
    expect(await reply(phone, '1 2')).toBe('unrecognised');
    expect(await reply(phone, '18度')).toBe('unrecognised');
    expect((await textsTo(phone)).filter((t) => t.includes('未能识别'))).toHaveLength(2);
    expect(await surveyStatus(c.caseId)).toMatchObject({ status: 'awaiting_reply', rating: null });
    expect(await reply(phone, '不太满意')).toBe('rated');
    expect((await surveyStatus(c.caseId)).rating).toBe('dissatisfied');
  });

  it('one reminder 24 h before the window closes, never a second', async () => {
    const phone = newPhone();
    const c = await closedCase(phone);
    await invitationFor(phone, c.caseNumber);
    const start = clock.now();
    clock.set(new Date(start.getTime() + 6 * DAY + HOUR));
    await sweep();
    clock.advance(HOUR);
    await sweep();
    const reminders = (await textsTo(phone)).filter((t) => t.includes('提醒') && t.includes(c.caseNumber));
    expect(reminders).toHaveLength(1);
    expect(reminders[0]).toContain('明天截止');
    expect(await reply(phone, '2')).toBe('rated');
  });

  it('after the window the survey expires unrated (intake never shows it rated); a late reply is kept, not applied, answered once', async () => {
    const phone = newPhone();
    const c = await closedCase(phone);
    await invitationFor(phone, c.caseNumber);
    clock.advance(7 * DAY + 60_000);
    await sweep();
    expect(await surveyStatus(c.caseId)).toMatchObject({ status: 'expired', rating: null });

    expect(await reply(phone, '1')).toBe('window_closed');
    expect(await reply(phone, '1')).toBe('window_closed');
    expect(await surveyStatus(c.caseId)).toMatchObject({ status: 'expired', rating: null });
    expect((await textsTo(phone)).filter((t) => t.includes('评价期已结束'))).toHaveLength(1);
    const kept = await surveyDb().query(`SELECT count(*)::int AS n FROM sms_message m JOIN survey s ON s.id = m.survey_id WHERE m.direction = 'in' AND s.case_id = $1`, [c.caseId]);
    expect(kept[0].n).toBe(2);
    expect(await intakeStatus(c.caseNumber)).toBe('closed');
  });

  it('a reply from an unknown phone is stored, applied to nothing and not answered', async () => {
    const stranger = newPhone();
    expect(await reply(stranger, '1')).toBe('no_open_survey');
    expect(await textsTo(stranger)).toEqual([]);
    const kept = await surveyDb().query(`SELECT survey_id FROM sms_message WHERE direction = 'in' AND phone_hash = $1`, [(suite.apps['sms-survey'].get(PHONE_VAULT) as PhoneVault).hash(stranger)]);
    expect(kept).toEqual([{ survey_id: null }]);
  });

  it('STOP is honoured: the open survey is skipped and later closed cases get no survey SMS', async () => {
    const phone = newPhone();
    const first = await closedCase(phone);
    await invitationFor(phone, first.caseNumber);
    expect(await reply(phone, 'STOP')).toBe('unsubscribed');
    expect(await surveyStatus(first.caseId)).toMatchObject({ status: 'skipped_opt_out', rating: null });
    expect((await textsTo(phone)).at(-1)).toContain('您已退订');

    const later = await closedCase(phone);
    await eventually(async () => ((await surveyStatus(later.caseId))?.status === 'skipped_opt_out' ? true : undefined), 15_000, 'later survey skipped');
    clock.advance(DAY);
    await sweep();
    expect((await textsTo(phone)).some((t) => t.includes(later.caseNumber))).toBe(false);
    expect(await intakeStatus(later.caseNumber)).toBe('closed');
  });

  describe('the one-time web rating link', () => {
    it('the link opens a Chinese page with the case number and three buttons; posting a rating stores it via web and publishes it', async () => {
      const phone = newPhone();
      const c = await closedCase(phone);
      const invitation = await invitationFor(phone, c.caseNumber);
      const token = tokenIn(invitation);

      const form = await page(token);
      expect(form.status).toBe(200);
      expect(form.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8/);
      expect(form.headers.get('cache-control')).toBe('no-store');
      const html = await form.text();
      expect(html).toContain(`工单 ${c.caseNumber}`);
      expect(html.match(/<button type="submit" name="rating"/g)).toHaveLength(3);
      expect((await surveyStatus(c.caseId)).status).toBe('awaiting_reply'); // opening changes nothing

      const thanks = await postForm(token, { rating: 'basically_satisfied', comment: '师傅很耐心 <b>' });
      expect(thanks.status).toBe(200);
      expect(await thanks.text()).toContain('感谢您的评价');
      expect(await surveyStatus(c.caseId)).toEqual({ status: 'rated', rating: 'basically_satisfied', comment: '师傅很耐心 <b>', rated_via: 'web' });
      await eventually(async () => ((await intakeStatus(c.caseNumber)) === 'rated' ? true : undefined), 15_000, 'intake shows the web rating');

      // the web rating closed the SMS survey too
      expect(await reply(phone, '3')).toBe('already_rated');
      expect((await surveyStatus(c.caseId)).rating).toBe('basically_satisfied');
    });

    it('a used link answers 410 (GET and POST) and changes nothing', async () => {
      const phone = newPhone();
      const c = await closedCase(phone);
      const token = tokenIn(await invitationFor(phone, c.caseNumber));
      expect((await postForm(token, { rating: 'satisfied' })).status).toBe(200);

      const again = await postForm(token, { rating: 'dissatisfied' });
      expect(again.status).toBe(410);
      expect(await again.text()).toContain('该工单已评价');
      expect((await page(token)).status).toBe(410);
      expect((await surveyStatus(c.caseId)).rating).toBe('satisfied');
    });

    it('after an SMS rating the link says it is already rated (410)', async () => {
      const phone = newPhone();
      const c = await closedCase(phone);
      const token = tokenIn(await invitationFor(phone, c.caseNumber));
      expect(await reply(phone, '满意')).toBe('rated');
      const r = await page(token);
      expect(r.status).toBe(410);
      expect(await r.text()).toContain('该工单已评价');
    });

    it('an expired link answers 410, an unknown one 404, a bad form 400 — Chinese pages, never a 500', async () => {
      const phone = newPhone();
      const c = await closedCase(phone);
      const token = tokenIn(await invitationFor(phone, c.caseNumber));

      const bad = await postForm(token, { rating: 'excellent' });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain('请点击');

      const unknown = await page('AAAAAAAAAAAAAAAA');
      expect(unknown.status).toBe(404);
      expect(await unknown.text()).toContain('链接无效');
      expect((await page('not-a-token')).status).toBe(404);

      clock.advance(7 * DAY + 60_000);
      const expired = await page(token);
      expect(expired.status).toBe(410);
      expect(await expired.text()).toContain('评价已截止');
      expect((await postForm(token, { rating: 'satisfied' })).status).toBe(410);
      expect((await surveyStatus(c.caseId)).rating).toBeNull();
    });
  });

  it('after all these flows no table of sms-survey holds a phone number in clear, in any column (docs/security.md)', async () => {
    const db = surveyDb();
    const tables = (await db.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)) as Array<{ tablename: string }>;
    expect(tables.map((t) => t.tablename)).toEqual(expect.arrayContaining(['case_contact', 'survey', 'sms_message', 'sms_opt_out', 'sms_inbound_receipt']));
    expect(Number((await db.query(`SELECT count(*)::int AS n FROM survey`))[0].n)).toBeGreaterThan(5);
    expect(await columnsWithPlaintextPhones((text, params) => db.query(text, params))).toEqual([]);
  });
});
