import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock, naturalDayDeadline } from '#shared';
import { startEmbeddedSuite } from '../../apps/embedded/src/suite.js';
import type { EmbeddedSuite } from '../../apps/embedded/src/suite.js';
import { DeadlineMonitor } from '../../apps/dispatch/src/deadlines/deadline-monitor.js';
import { buildDemoRegistry } from '../../apps/dispatch/src/registry/demo-registry.js';
import { eventually } from '../support/eventually.js';
import { call } from '../support/http.js';
import { postRaw, tinyPng } from '../support/intake-helpers.js';
import { hotlineComplaint, temperatureSlip } from '../support/thin-loop.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { columnsWithPlaintextPhones } from '../support/stored-phones.js';

/*
 * The company and authority workflow on the embedded suite, with a manual clock so deadlines,
 * reminders and the 2-hour dispatch limit are reached without waiting.
 */
const ANY_PORT = { INTAKE_PORT: '0', DISPATCH_PORT: '0', SMS_SURVEY_PORT: '0', KPI_PORT: '0', LOG_LEVEL: 'warn' };
const HOUR = 3600_000;

const demo = buildDemoRegistry();
/** A second Shenyang company (another district, same city authority AU210100) and one of its communities. */
const HC0002 = demo.companies.find((c) => c.id === 'HC0002')!;
const HC0002_COMMUNITY = demo.communities.find((c) => c.companyId === 'HC0002' && !c.unclearOwner)!;
/** A county-level authority in Shenyang that does not supervise 和平区. */
const SHENYANG_COUNTY = demo.authorities.find((a) => a.cityCode === '210100' && a.level === 'county')!;
/** 金地小区 (HC0001) and the station serving it; HC0003's station and a community of it, for the detection test. */
const JINDI = demo.communities.find((c) => c.districtCode === '210102' && c.name === '金地小区')!;
const HC0003 = demo.companies.find((c) => c.id === 'HC0003')!;
const HC0003_COMMUNITY = demo.communities.find((c) => c.companyId === 'HC0003' && !c.unclearOwner)!;
/** A company in Dalian: outside Shenyang's region. */
const DALIAN_COMPANY = demo.companies.find((c) => c.cityCode === '210200')!;

describe('dispatch workflow: company steps, authority decisions, deadlines (embedded suite, manual clock)', () => {
  let suite: EmbeddedSuite;
  let dataDir: string;
  const clock = new ManualClock('2026-11-29T02:00:00Z'); // 10:00 in Shanghai
  const receiver = new WebhookReceiver();
  let operator: string;
  let hc1: string;
  let hc2: string;
  let shenyang: string;
  let county: string;
  let dalian: string;
  let phoneNo = 0;

  const dispatchUrl = () => suite.urls.dispatch;
  const newPhone = () => `1360000${String(++phoneNo).padStart(4, '0')}`;

  /** Files a hotline complaint and waits until dispatch has it; returns the dispatch case. */
  async function fileCase(overrides: Record<string, unknown> = {}): Promise<any> {
    const phone = newPhone();
    const filed = await call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, { ...hotlineComplaint(phone), ...overrides });
    expect(filed.status).toBe(201);
    const province = await suite.tokens.sign({ sub: 'prov', role: 'province' }, 600);
    return eventually(async () => {
      const r = await call('GET', `${dispatchUrl()}/api/v1/cases/${filed.body.caseId}`, province);
      return r.status === 200 ? r.body : undefined;
    }, 15_000, 'case at dispatch');
  }

  const get = (token: string, caseId: string) => call('GET', `${dispatchUrl()}/api/v1/cases/${caseId}`, token);
  const post = (token: string, path: string, body?: unknown) => call('POST', `${dispatchUrl()}${path}`, token, body ?? {});
  const runDeadlines = () => suite.apps.dispatch.get(DeadlineMonitor).runNow();

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'heating-workflow-'));
    suite = await startEmbeddedSuite({ dataDir, env: { ...process.env, ...ANY_PORT }, clock });
    operator = await suite.tokens.sign({ sub: 'op-1', role: 'operator' }, 3600 * 24 * 30);
    hc1 = await suite.tokens.sign({ sub: 'duty-1', role: 'company', unitId: 'HC0001' }, 3600 * 24 * 30);
    hc2 = await suite.tokens.sign({ sub: 'duty-2', role: 'company', unitId: 'HC0002' }, 3600 * 24 * 30);
    shenyang = await suite.tokens.sign({ sub: 'sy-1', role: 'authority', unitId: 'AU210100' }, 3600 * 24 * 30);
    county = await suite.tokens.sign({ sub: 'cty-1', role: 'authority', unitId: SHENYANG_COUNTY.id }, 3600 * 24 * 30);
    dalian = await suite.tokens.sign({ sub: 'dl-1', role: 'authority', unitId: 'AU210200' }, 3600 * 24 * 30);
    const hook = await call('PUT', `${dispatchUrl()}/api/v1/companies/me/webhook`, hc1, { url: await receiver.start() });
    expect(hook.status).toBe(200);
    receiver.secret = hook.body.secret;
  }, 120_000);

  afterAll(async () => {
    await suite?.close();
    await receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('the handling company', () => {
    it('a routed case is due at 24:00 Shanghai time on the 3rd natural day after dispatch', async () => {
      const c = await fileCase();
      expect(c).toMatchObject({ status: 'dispatched', companyId: 'HC0001', complexity: 'general', overdue: false });
      expect(c.dueAt).toBe(naturalDayDeadline(new Date(c.dispatchedAt), 3).toISOString());
      expect(c.dueAt).toBe('2026-12-02T16:00:00.000Z'); // 2026-12-03 00:00 +08:00
      expect(c.actions.map((a: any) => a.action)).toEqual(['received', 'routed']);
    });

    it('signs, logs contact attempts, uploads a photo and feeds back with the temperature slip; the refund band follows Shenyang’s rule', async () => {
      const c = await fileCase();
      const signed = await post(hc1, `/api/v1/cases/${c.caseId}/sign`);
      expect(signed.body).toMatchObject({ status: 'signed', statusLabel: '企业已签收，办理中' });
      const contact = await post(hc1, `/api/v1/cases/${c.caseId}/contacts`, { outcome: 'no_answer' });
      expect(contact.status).toBe(200);
      await post(hc1, `/api/v1/cases/${c.caseId}/contacts`, { outcome: 'visit_arranged', note: '约定下午 2 点入户' });
      const photo = await postRaw(`${dispatchUrl()}/api/v1/cases/${c.caseId}/evidence`, hc1, tinyPng(), 'image/png');
      expect(photo.status).toBe(201);

      const withoutSlip = await post(hc1, `/api/v1/cases/${c.caseId}/feedback`, { resolution: 'fixed', summary: '已调整' });
      expect(withoutSlip).toMatchObject({ status: 400, body: { code: 'TEMPERATURE_SLIP_REQUIRED', field: 'temperatureSlip' } });

      const slip = { ...temperatureSlip(15.5, 19, clock.now()), photoIds: [photo.body.id] };
      const done = await post(hc1, `/api/v1/cases/${c.caseId}/feedback`, { resolution: 'closed_unresolved', summary: '管网末端压力不足，已报维修计划', temperatureSlip: slip });
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({ status: 'closed', resolution: 'closed_unresolved', refundPercent: 50 });
      expect(done.body.temperatureSlip.readings).toHaveLength(2);
      expect(done.body.actions.map((a: any) => a.action)).toEqual(['received', 'routed', 'signed', 'contact', 'contact', 'evidence_uploaded', 'feedback']);
      expect(done.body.actions.at(-1).detail.assessment).toContain('低于 18℃');

      const photoRead = await fetch(`${dispatchUrl()}/api/v1/cases/${c.caseId}/evidence/${photo.body.id}`, { headers: { authorization: `Bearer ${shenyang}` } });
      expect(photoRead.status).toBe(200);
      expect(photoRead.headers.get('content-type')).toBe('image/png');

      const twice = await post(hc1, `/api/v1/cases/${c.caseId}/feedback`, { resolution: 'fixed', summary: '再次反馈', temperatureSlip: slip });
      expect(twice).toMatchObject({ status: 409, body: { code: 'CASE_ALREADY_CLOSED' } });
    });

    it('an impossible temperature on the slip is refused naming the reading, and nothing changes', async () => {
      const c = await fileCase();
      const slip = temperatureSlip(55, 19, clock.now());
      const r = await post(hc1, `/api/v1/cases/${c.caseId}/feedback`, { resolution: 'fixed', summary: '已修复', temperatureSlip: slip });
      expect(r).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED', field: 'temperatureSlip.readings.0.temperatureC' } });
      expect(r.body.message).toContain('40℃');
      expect((await get(hc1, c.caseId)).body.status).toBe('dispatched');
    });

    it('another company cannot read or act on the case (403), and does not see it in its list', async () => {
      const c = await fileCase();
      expect(await get(hc2, c.caseId)).toMatchObject({ status: 403, body: { code: 'CASE_FORBIDDEN' } });
      expect((await post(hc2, `/api/v1/cases/${c.caseId}/sign`)).status).toBe(403);
      expect((await post(hc2, `/api/v1/cases/${c.caseId}/feedback`, { resolution: 'fixed', summary: 'x', temperatureSlip: temperatureSlip(20, 20, clock.now()) })).status).toBe(403);
      expect((await get(hc2, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await get(hc1, c.caseId)).body.status).toBe('dispatched');
      const list = await call('GET', `${dispatchUrl()}/api/v1/cases?limit=200`, hc2);
      expect(list.body.items.some((x: any) => x.caseId === c.caseId)).toBe(false);
    });

    it('the company sees the full phone number; the authority sees it masked', async () => {
      const c = await fileCase();
      expect((await get(hc1, c.caseId)).body.phone).toMatch(/^1\d{10}$/);
      expect((await get(shenyang, c.caseId)).body.phone).toMatch(/^1\d{2}\*{4}\d{4}$/);
    });

    it('escalating a mass problem puts the case on the authority’s escalated list', async () => {
      const c = await fileCase();
      const r = await post(hc1, `/api/v1/cases/${c.caseId}/escalate`, { kind: 'mass', description: '3 号换热站循环泵故障，约 400 户停热', householdsAffected: 400 });
      expect(r.status).toBe(200);
      const queue = await call('GET', `${dispatchUrl()}/api/v1/authority/cases?queue=escalated&limit=200`, shenyang);
      expect(queue.body.items.some((x: any) => x.caseId === c.caseId)).toBe(true);
    });
  });

  describe('returns (退回): the authority decides, and its decision binds', () => {
    it('a return needs a reason', async () => {
      const c = await fileCase();
      const r = await post(hc1, `/api/v1/cases/${c.caseId}/return`, { reasonCode: 'not_our_service_area' });
      expect(r).toMatchObject({ status: 400, body: { field: 'reason' } });
      expect((await get(hc1, c.caseId)).body.status).toBe('dispatched');
    });

    it('rejected: the same company goes on with the same deadline, and cannot return the case again', async () => {
      const c = await fileCase();
      const returned = await post(hc1, `/api/v1/cases/${c.caseId}/return`, { reasonCode: 'not_our_service_area', reason: '该楼已移交其他企业' });
      expect(returned.body.status).toBe('return_requested');
      const extension = await post(hc1, `/api/v1/cases/${c.caseId}/extension`, { days: 2, reason: '等待备件' });
      expect(extension).toMatchObject({ status: 409, body: { code: 'CASE_STATE_CONFLICT' } });

      const queue = await call('GET', `${dispatchUrl()}/api/v1/authority/cases?queue=returns&limit=200`, shenyang);
      expect(queue.body.items.some((x: any) => x.caseId === c.caseId)).toBe(true);
      expect((await post(dalian, `/api/v1/authority/cases/${c.caseId}/return-decision`, { decision: 'reject', note: '驳回' })).status).toBe(403);
      expect((await post(county, `/api/v1/authority/cases/${c.caseId}/return-decision`, { decision: 'reject', note: '驳回' })).status).toBe(403);

      const decided = await post(shenyang, `/api/v1/authority/cases/${c.caseId}/return-decision`, { decision: 'reject', note: '经核实仍由原企业供热' });
      expect(decided.status).toBe(200);
      expect(decided.body).toMatchObject({ status: 'dispatched', companyId: 'HC0001', dueAt: c.dueAt });
      expect(decided.body.requests).toMatchObject([{ kind: 'return', status: 'rejected', decisionNote: '经核实仍由原企业供热' }]);

      const again = await post(hc1, `/api/v1/cases/${c.caseId}/return`, { reasonCode: 'other', reason: '再次申请' });
      expect(again).toMatchObject({ status: 409, body: { code: 'RETURN_NOT_ALLOWED' } });
      const told = await eventually(async () => receiver.received.find((w) => w.payload.type === 'case.return_decided' && w.payload.data.caseId === c.caseId), 15_000, 'decision webhook');
      expect(told.payload.data.decision).toBe('rejected');
    });

    it('approved: the case moves to the company the authority names, with a new deadline; the first company no longer sees it', async () => {
      const c = await fileCase();
      await post(hc1, `/api/v1/cases/${c.caseId}/return`, { reasonCode: 'not_our_service_area', reason: '该楼由 HC0002 供热' });
      const noCompany = await post(shenyang, `/api/v1/authority/cases/${c.caseId}/return-decision`, { decision: 'approve', note: '同意' });
      expect(noCompany).toMatchObject({ status: 400, body: { field: 'companyId' } });
      const outside = await post(shenyang, `/api/v1/authority/cases/${c.caseId}/return-decision`, { decision: 'approve', note: '同意', companyId: DALIAN_COMPANY.id });
      expect(outside).toMatchObject({ status: 400, body: { code: 'COMPANY_OUTSIDE_REGION' } });

      clock.advance(HOUR);
      const moved = await post(shenyang, `/api/v1/authority/cases/${c.caseId}/return-decision`, { decision: 'approve', note: '经核实由 HC0002 供热', companyId: 'HC0002' });
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ status: 'dispatched', companyId: 'HC0002' });
      expect(moved.body.dispatchedAt).toBe(clock.now().toISOString());
      expect(moved.body.dueAt).toBe(naturalDayDeadline(clock.now(), 3).toISOString());
      expect((await get(hc1, c.caseId)).status).toBe(403);
      expect((await get(hc2, c.caseId)).status).toBe(200);
      const back = await post(hc2, `/api/v1/cases/${c.caseId}/return`, { reasonCode: 'other', reason: '也不是我们' });
      expect(back).toMatchObject({ status: 409, body: { code: 'RETURN_NOT_ALLOWED' } });

      const history = await eventually(async () => {
        const r = await call('GET', `${suite.urls.intake}/api/v1/complaints/${c.caseNumber}`, operator);
        return r.body.history?.some((h: any) => h.text.includes('改派')) ? r.body.history : undefined;
      }, 15_000, 'reassignment in the resident’s history');
      expect(history.at(-1).text).toBe('主管单位已将工单改派给负责您小区的供热企业办理');
    });
  });

  describe('extensions and grading move the deadline in natural days', () => {
    it('an approved 2-day extension moves the deadline from 24:00 on the 3rd day to 24:00 on the 5th', async () => {
      const c = await fileCase();
      const asked = await post(hc1, `/api/v1/cases/${c.caseId}/extension`, { days: 2, reason: '需更换阀门，备件 2 天后到货' });
      expect(asked.body.requests).toMatchObject([{ kind: 'extension', status: 'pending', requestedDays: 2 }]);
      expect(asked.body.dueAt).toBe(c.dueAt);
      const queue = await call('GET', `${dispatchUrl()}/api/v1/authority/cases?queue=extensions&limit=200`, shenyang);
      expect(queue.body.items.some((x: any) => x.caseId === c.caseId)).toBe(true);
      const approved = await post(shenyang, `/api/v1/authority/cases/${c.caseId}/extension-decision`, { decision: 'approve', note: '同意' });
      expect(approved.body.dueAt).toBe(new Date(new Date(c.dueAt).getTime() + 2 * 24 * HOUR).toISOString());
      const none = await post(shenyang, `/api/v1/authority/cases/${c.caseId}/extension-decision`, { decision: 'approve' });
      expect(none).toMatchObject({ status: 409, body: { code: 'NO_PENDING_EXTENSION' } });
    });

    it('re-graded complex: 7 natural days from dispatch', async () => {
      const c = await fileCase();
      const graded = await post(shenyang, `/api/v1/authority/cases/${c.caseId}/grade`, { complexity: 'complex', note: '涉及庭院管网改造' });
      expect(graded.body).toMatchObject({ complexity: 'complex', dueAt: naturalDayDeadline(new Date(c.dispatchedAt), 7).toISOString() });
      expect(graded.body.actions.at(-1)).toMatchObject({ action: 'graded', actorRole: 'authority', actorId: 'AU210100/sy-1' });
    });

    it('a supervision note (督办) reaches the company by webhook and stays in the timeline', async () => {
      const c = await fileCase();
      const r = await post(shenyang, `/api/v1/authority/cases/${c.caseId}/supervision`, { note: '请今日 18 时前入户测温' });
      expect(r.body.actions.at(-1)).toMatchObject({ action: 'supervision', label: '主管单位督办', detail: { note: '请今日 18 时前入户测温' } });
      const hook = await eventually(async () => receiver.received.find((w) => w.payload.type === 'case.supervision' && w.payload.data.caseId === c.caseId), 15_000, 'supervision webhook');
      expect(hook.payload.data.note).toBe('请今日 18 时前入户测温');
    });
  });

  describe('deadlines: reminders 24 h and 4 h before, overdue at the deadline, the 2-hour dispatch limit', () => {
    it('the company is reminded twice, then the case is marked overdue, escalated to the authority and shown to the resident', async () => {
      clock.set('2026-11-29T02:00:00Z');
      const c = await fileCase();
      const due = new Date(c.dueAt).getTime();
      const reminders = () => receiver.received.filter((w) => w.payload.type === 'case.reminder' && w.payload.data.caseId === c.caseId);

      clock.set(new Date(due - 25 * HOUR));
      await runDeadlines();
      expect((await get(hc1, c.caseId)).body.actions.map((a: any) => a.action)).not.toContain('reminder');

      clock.set(new Date(due - 24 * HOUR));
      await runDeadlines();
      await eventually(async () => (reminders().length === 1 ? true : undefined), 15_000, '24-hour reminder');
      expect(reminders()[0].payload.data.hoursLeft).toBe(24);

      clock.set(new Date(due - 4 * HOUR));
      await runDeadlines();
      await runDeadlines(); // a second scan sends nothing twice
      await eventually(async () => (reminders().length === 2 ? true : undefined), 15_000, '4-hour reminder');
      expect(reminders()[1].payload.data.hoursLeft).toBe(4);

      clock.set(new Date(due));
      await runDeadlines();
      const overdue = (await get(shenyang, c.caseId)).body;
      expect(overdue).toMatchObject({ overdue: true, overdueAt: new Date(due).toISOString() });
      expect(overdue.actions.filter((a: any) => a.action === 'reminder')).toHaveLength(2);
      expect(overdue.actions.filter((a: any) => a.action === 'overdue')).toHaveLength(1);
      const queue = await call('GET', `${dispatchUrl()}/api/v1/authority/cases?queue=overdue&limit=200`, shenyang);
      expect(queue.body.items.some((x: any) => x.caseId === c.caseId)).toBe(true);
      await eventually(async () => receiver.received.find((w) => w.payload.type === 'case.overdue' && w.payload.data.caseId === c.caseId), 15_000, 'overdue webhook');
      const history = await eventually(async () => {
        const r = await call('GET', `${suite.urls.intake}/api/v1/complaints/${c.caseNumber}`, operator);
        return r.body.history?.some((h: any) => h.text.includes('督办')) ? r.body : undefined;
      }, 15_000, 'overdue in the resident’s history');
      expect(history.status).toBe('dispatched');
    });

    it('an unknown community waits in the district authority’s manual queue; after 2 hours it is late in dispatch; the authority dispatches it by hand', async () => {
      clock.set('2026-11-29T02:00:00Z');
      const c = await fileCase({ communityName: '完全不存在的小区名称' });
      expect(c).toMatchObject({ status: 'awaiting_manual_dispatch', companyId: null, authorityId: 'AU210100' });
      const manual = await call('GET', `${dispatchUrl()}/api/v1/authority/cases?queue=manual&limit=200`, shenyang);
      expect(manual.body.items.some((x: any) => x.caseId === c.caseId)).toBe(true);

      clock.advance(2 * HOUR);
      await runDeadlines();
      const late = await call('GET', `${dispatchUrl()}/api/v1/authority/cases?queue=dispatch_overdue&limit=200`, shenyang);
      expect(late.body.items.find((x: any) => x.caseId === c.caseId)).toMatchObject({ dispatchOverdueAt: clock.now().toISOString() });

      const unknown = await post(shenyang, `/api/v1/authority/cases/${c.caseId}/dispatch`, { companyId: 'HC9999' });
      expect(unknown).toMatchObject({ status: 400, body: { code: 'UNKNOWN_COMPANY', field: 'companyId' } });
      const done = await post(shenyang, `/api/v1/authority/cases/${c.caseId}/dispatch`, { companyId: 'HC0001', note: '经电话核实' });
      expect(done.body).toMatchObject({ status: 'dispatched', companyId: 'HC0001' });
      expect(done.body.routingReason).toContain('人工分转');
      expect(done.body.actions.at(-1)).toMatchObject({ action: 'manual_dispatch', actorRole: 'authority' });
    });

    it('a county authority does not see cases outside its district', async () => {
      const c = await fileCase({ communityName: '又一个不存在的小区' });
      const list = await call('GET', `${dispatchUrl()}/api/v1/authority/cases?queue=manual&limit=200`, county);
      expect(list.status).toBe(200);
      expect(list.body.items.some((x: any) => x.caseId === c.caseId)).toBe(false);
      expect((await get(county, c.caseId)).status).toBe(403);
    });
  });


  describe('outage incidents (大面积停供)', () => {
    const smsTo = async (text: string): Promise<any[]> => {
      const province = await suite.tokens.sign({ sub: 'prov', role: 'province' }, 600);
      const r = await call('GET', `${dispatchUrl()}/api/v1/sms/messages?limit=500`, province);
      return r.body.filter((m: any) => m.text.includes(text));
    };

    it('an incident links the open cases of the station’s communities, texts each resident once, links new cases too, and restoration closes them all', async () => {
      clock.set('2026-11-30T02:00:00Z');
      const phoneA = newPhone();
      const a = await fileCase({ callerPhone: phoneA });
      const a2 = await fileCase({ callerPhone: phoneA, category: 'repair_delayed', indoorTemperatureC: undefined, description: '暖气片漏水无人修' });
      const b = await fileCase();

      const noArea = await post(shenyang, '/api/v1/incidents', { title: '停供', cause: '故障', expectedRestorationAt: '2026-11-30T12:00:00+08:00' });
      expect(noArea).toMatchObject({ status: 400, body: { code: 'AREA_REQUIRED' } });
      const outside = await post(dalian, '/api/v1/incidents', { title: '停供', cause: '故障', stationIds: [JINDI.stationId], expectedRestorationAt: '2026-11-30T12:00:00+08:00' });
      expect(outside).toMatchObject({ status: 400, body: { code: 'OUTSIDE_REGION', field: 'stationIds' } });

      const opened = await post(shenyang, '/api/v1/incidents', {
        title: '和平区 1 号换热站循环泵故障',
        cause: '换热站循环泵故障',
        stationIds: [JINDI.stationId],
        expectedRestorationAt: '2026-11-30T18:00:00+08:00',
      });
      expect(opened.status).toBe(201);
      expect(opened.body).toMatchObject({ status: 'open', companyIds: ['HC0001'] });
      expect(opened.body.communityIds).toContain(JINDI.id);
      for (const c of [a, a2, b]) {
        expect((await get(hc1, c.caseId)).body.actions.map((x: any) => x.action)).toContain('incident_linked');
      }
      const late = await fileCase();
      expect(late.actions.map((x: any) => x.action)).toContain('incident_linked');
      const again = await fileCase({ callerPhone: phoneA, category: 'charges', indoorTemperatureC: undefined, description: '收费问题' });
      expect(again.actions.map((x: any) => x.action)).toContain('incident_linked');

      const view = await call('GET', `${dispatchUrl()}/api/v1/incidents/${opened.body.id}`, shenyang);
      expect(view.body.linkedCases).toBeGreaterThanOrEqual(5);
      const smsA = await eventually(async () => {
        const m = await smsTo(a.caseNumber);
        return m.length ? m : undefined;
      }, 15_000, 'outage SMS');
      expect(smsA).toHaveLength(1);
      expect(smsA[0].text).toContain('换热站循环泵故障');
      expect(smsA[0].text).toContain('11/30 18:00');
      expect(await smsTo(a2.caseNumber)).toHaveLength(0); // the same resident is told once per incident
      expect(await smsTo(again.caseNumber)).toHaveLength(0);

      expect((await post(hc2, `/api/v1/incidents/${opened.body.id}/restore`, { summary: '已恢复' })).status).toBe(404);
      const restored = await post(hc1, `/api/v1/incidents/${opened.body.id}/restore`, { summary: '已更换循环泵，18:20 恢复供热' });
      expect(restored.body).toMatchObject({ status: 'restored', restorationSummary: '已更换循环泵，18:20 恢复供热' });
      for (const c of [a, a2, b, late, again]) {
        const closed = (await get(hc1, c.caseId)).body;
        expect(closed).toMatchObject({ status: 'closed', resolution: 'fixed' });
        expect(closed.feedbackSummary).toContain('大面积停供已恢复供热');
      }
      const history = await eventually(async () => {
        const r = await call('GET', `${suite.urls.intake}/api/v1/complaints/${b.caseNumber}`, operator);
        return r.body.status === 'closed' ? r.body : undefined;
      }, 15_000, 'closed at intake');
      expect(history.statusText).toBe('已办结（问题已解决）');
    });

    it('5 households of one station without heat within 30 minutes → a suspected outage is proposed to the authority, who confirms it', async () => {
      clock.set('2026-11-30T06:00:00Z');
      const address = { ...hotlineComplaint('13600000000').address, districtCode: HC0003.districtCode };
      const filed: any[] = [];
      for (let i = 0; i < 5; i++) {
        filed.push(await fileCase({ communityName: HC0003_COMMUNITY.name, address, category: 'heating_cut_off', indoorTemperatureC: undefined, daysWithoutHeat: 1 }));
        clock.advance(60_000);
      }
      const proposed = await eventually(async () => {
        const r = await call('GET', `${dispatchUrl()}/api/v1/incidents?status=proposed`, shenyang);
        return r.body.find((i: any) => i.stationIds.includes(HC0003_COMMUNITY.stationId));
      }, 15_000, 'proposed incident');
      expect(proposed.proposedReason).toContain('5 户');
      expect(proposed.linkedCases).toBe(0);

      const confirmed = await post(shenyang, `/api/v1/incidents/${proposed.id}/confirm`, { cause: '一次网爆管', expectedRestorationAt: '2026-11-30T22:00:00+08:00' });
      expect(confirmed.body).toMatchObject({ status: 'open', linkedCases: 5, residentsNotified: 5 });
      const second = await post(shenyang, `/api/v1/incidents/${proposed.id}/confirm`, { cause: 'x', expectedRestorationAt: '2026-11-30T22:00:00+08:00' });
      expect(second).toMatchObject({ status: 409, body: { code: 'INCIDENT_STATE_CONFLICT' } });
    });

    it('the other services are told: case.dispatched names the case’s district, community and station; every incident change is an incident.updated event', async () => {
      const ds = suite.apps.dispatch.get(DataSource);
      const c = await fileCase({ communityName: HC0003_COMMUNITY.name, address: { ...hotlineComplaint('13600000000').address, districtCode: HC0003.districtCode } });
      const [dispatched] = await ds.query(`SELECT payload FROM outbox_message WHERE event_type = 'case.dispatched' AND payload->>'caseId' = $1`, [c.caseId]);
      expect(dispatched.payload).toMatchObject({
        companyId: 'HC0003',
        districtCode: HC0003.districtCode,
        communityId: HC0003_COMMUNITY.id,
        communityName: HC0003_COMMUNITY.name,
        stationId: HC0003_COMMUNITY.stationId,
        stationName: expect.stringContaining('站'),
      });
      const [incident] = await ds.query(`SELECT id FROM outage_incident WHERE $1 = ANY(station_ids) AND status = 'open'`, [HC0003_COMMUNITY.stationId]);
      const events: Array<{ payload: Record<string, unknown> }> = await ds.query(
        `SELECT payload FROM outbox_message WHERE event_type = 'incident.updated' AND payload->>'incidentId' = $1 ORDER BY id`,
        [incident.id],
      );
      expect(events.map((e) => [e.payload.status, e.payload.linkedCases])).toEqual([
        ['proposed', 0],
        ['open', 5],
      ]);
      expect(events[1].payload).toMatchObject({ authorityId: 'AU210100', stationIds: [HC0003_COMMUNITY.stationId], cause: '一次网爆管' });
    });
  });

  it('bad input gets a clear 400 in Chinese naming the field', async () => {
    const c = await fileCase();
    const cases = [
      [`/api/v1/cases/${c.caseId}/contacts`, { outcome: 'teleported' }, 'outcome'],
      [`/api/v1/cases/${c.caseId}/extension`, { days: 30, reason: '太久' }, 'days'],
      [`/api/v1/cases/${c.caseId}/escalate`, { kind: 'mass' }, 'description'],
      [`/api/v1/cases/not-a-uuid/sign`, {}, 'caseId'],
    ] as const;
    for (const [path, body, field] of cases) {
      const r = await post(hc1, path, body);
      expect(r.status).toBe(400);
      expect(r.body.field).toBe(field);
      expect(r.body.message).toMatch(/[\u4e00-\u9fff]/);
    }
    const queue = await call('GET', `${dispatchUrl()}/api/v1/authority/cases?queue=everything`, shenyang);
    expect(queue).toMatchObject({ status: 400, body: { field: 'queue' } });
    expect((await call('GET', `${dispatchUrl()}/api/v1/authority/cases?queue=manual`, hc1)).status).toBe(403);
  });

  it('HC0002’s community is routed to HC0002 (the fixture the return tests rely on)', async () => {
    const c = await fileCase({ communityName: HC0002_COMMUNITY.name, address: { ...hotlineComplaint('13600000000').address, districtCode: HC0002.districtCode } });
    expect(c.companyId).toBe('HC0002');
  });

  // Runs last: every flow above (routing, company steps, webhooks, returns, deadlines, outage SMS) has left its rows.
  it('after the whole workflow no table of dispatch holds a mobile number in clear, in any column', async () => {
    const ds = suite.apps.dispatch.get(DataSource);
    const tables: Array<{ tablename: string }> = await ds.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
    expect(tables.map((t) => t.tablename)).toEqual(expect.arrayContaining(['dispatch_case', 'incident_resident', 'webhook_delivery', 'case_action', 'sms_message']));
    expect(phoneNo).toBeGreaterThan(20);
    expect(await columnsWithPlaintextPhones((text, params) => ds.query(text, params))).toEqual([]);
  });
});
