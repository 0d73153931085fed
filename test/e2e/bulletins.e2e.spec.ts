import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ExcelJS from 'exceljs';
import { DataSource } from 'typeorm';
import { ManualClock } from '#shared';
import { startEmbeddedSuite } from '../../apps/embedded/src/suite.js';
import type { EmbeddedSuite } from '../../apps/embedded/src/suite.js';
import { BulletinScheduler } from '../../apps/kpi/src/bulletins/bulletin-scheduler.js';
import { eventually } from '../support/eventually.js';
import { call } from '../support/http.js';
import { hotlineComplaint, temperatureSlip } from '../support/thin-loop.js';

/*
 * Monthly bulletins end to end on the embedded suite with a manual clock: cases are filed,
 * handled and rated in November 2026; once November has ended (Asia/Shanghai) the province
 * publishes the bulletin; a late rating of a November case makes version 2 with the change listed;
 * publishing with no change answers the existing version. Then the 标杆企业 API on the same data.
 */
const ANY_PORT = { INTAKE_PORT: '0', DISPATCH_PORT: '0', SMS_SURVEY_PORT: '0', KPI_PORT: '0', LOG_LEVEL: 'error' };
const LONG = 3600 * 24 * 90;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('monthly bulletins (embedded suite, manual clock)', () => {
  let suite: EmbeddedSuite;
  let dataDir: string;
  const clock = new ManualClock('2026-11-20T02:00:00Z'); // 10:00 on Nov 20 in Shanghai
  let operator: string;
  let company: string;
  let otherCompany: string;
  let authority: string;
  let province: string;
  let room = 300;
  const latePhone = '13955500002';
  let v1Sha: Record<string, string>;

  const bulletins = (path = '') => `${suite.urls.kpi}/api/v1/bulletins${path}`;
  const masked = (phone: string) => `${phone.slice(0, 3)}****${phone.slice(7)}`;

  /** Files a too-cold complaint, lets HC0001 close it with feedback, and waits for the survey SMS. */
  async function closedCase(phone: string): Promise<string> {
    const complaint = hotlineComplaint(phone);
    const filed = await call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, { ...complaint, address: { ...complaint.address, room: String(++room) } });
    expect(filed.status).toBe(201);
    const { caseId, caseNumber } = filed.body;
    await eventually(async () => ((await call('GET', `${suite.urls.dispatch}/api/v1/cases/${caseId}`, company)).status === 200 ? true : undefined), 15_000, 'case at HC0001');
    const feedback = await call('POST', `${suite.urls.dispatch}/api/v1/cases/${caseId}/feedback`, company, {
      resolution: 'fixed',
      summary: '已入户调整阀门，复测卧室 19.5℃',
      temperatureSlip: temperatureSlip(19.5, 20, clock.now()),
    });
    expect(feedback.status).toBe(200);
    await eventually(
      async () => {
        const sms = await call('GET', `${suite.urls['sms-survey']}/api/v1/sms/messages?limit=500`, province);
        return (sms.body as Array<{ direction: string; phone: string; text: string }>).find((m) => m.direction === 'out' && m.phone === masked(phone) && m.text.includes(caseNumber));
      },
      15_000,
      `survey SMS for ${caseNumber}`,
    );
    return caseNumber;
  }

  const rate = async (phone: string, text: string) => {
    const r = await call('POST', `${suite.urls['sms-survey']}/api/v1/sms/console/replies`, province, { phone, text });
    expect(r.body).toEqual({ outcome: 'rated' });
  };

  /** HC0001's November counters as kpi has them now (a draft bulletin: nothing stored). */
  async function novemberCounts(): Promise<Record<string, number> | undefined> {
    const r = await call('POST', `${bulletins()}?draft=true`, province, { month: '2026-11' });
    expect(r.status).toBe(200);
    return r.body.snapshot.companies.find((u: { id: string }) => u.id === 'HC0001')?.counts;
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'heating-bulletins-'));
    suite = await startEmbeddedSuite({ dataDir, env: { ...process.env, ...ANY_PORT }, clock });
    operator = await suite.tokens.sign({ sub: 'op-1', role: 'operator' }, LONG);
    company = await suite.tokens.sign({ sub: 'duty-1', role: 'company', unitId: 'HC0001' }, LONG);
    otherCompany = await suite.tokens.sign({ sub: 'duty-2', role: 'company', unitId: 'HC0002' }, LONG);
    authority = await suite.tokens.sign({ sub: 'au-1', role: 'authority', unitId: 'AU210102', regionCode: '210102' }, LONG);
    province = await suite.tokens.sign({ sub: 'prov-1', role: 'province' }, LONG);
  }, 120_000);

  afterAll(async () => {
    await suite?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('during November: a satisfied case is counted; the month in progress can only be previewed as a draft', async () => {
    await closedCase('13955500001');
    await rate('13955500001', '1');
    const counts = await eventually(async () => {
      const c = await novemberCounts();
      return c?.rated === 1 ? c : undefined;
    }, 15_000, 'kpi to count the rating');
    expect(counts).toMatchObject({ dispatched: 1, closed: 1, rated: 1, satisfied: 1 });

    const refused = await call('POST', bulletins(), province, { month: '2026-11' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'MONTH_NOT_ENDED', field: 'month' });
    expect(refused.body.message).toContain('尚未结束');

    const draftPdf = await fetch(`${bulletins()}?draft=true&format=pdf`, {
      method: 'POST',
      headers: { authorization: `Bearer ${province}`, 'content-type': 'application/json' },
      body: JSON.stringify({ month: '2026-11' }),
    });
    expect(draftPdf.status).toBe(200);
    expect(draftPdf.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await draftPdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
    expect((await call('GET', bulletins('?month=2026-11'), province)).body).toEqual([]); // a draft is not stored
  });

  it('a second case is closed late in November, its survey still open when the month ends', async () => {
    clock.set('2026-11-29T02:00:00Z');
    await closedCase(latePhone);
    await eventually(async () => ((await novemberCounts())?.closed === 2 ? true : undefined), 15_000, 'kpi to count the second case');
  });

  it('after November has ended (Shanghai time) the province publishes version 1: listed, downloadable as HTML, PDF and XLSX', async () => {
    clock.set('2026-12-01T06:00:00+08:00');
    const r = await call('POST', bulletins(), province, { month: '2026-11' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ created: true, month: '2026-11', version: 1, createdBy: 'province:prov-1', changedUnits: null });

    const list = await call('GET', bulletins('?month=2026-11'), company);
    expect(list.status).toBe(200);
    expect(list.body.map((b: { version: number }) => b.version)).toEqual([1]);
    v1Sha = list.body[0].sha256;

    const expected = {
      html: ['text/html; charset=utf-8', 'inline', '.html'],
      pdf: ['application/pdf', 'inline', '.pdf'],
      xlsx: ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'attachment', '.xlsx'],
    } as const;
    for (const [format, [type, disposition, ext]] of Object.entries(expected)) {
      const res = await fetch(bulletins(`/2026-11/v1.${format}`), { headers: { authorization: `Bearer ${authority}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      const cd = res.headers.get('content-disposition')!;
      expect(cd.startsWith(`${disposition}; filename="bulletin-2026-11-v1${ext}"`)).toBe(true);
      expect(decodeURIComponent(/filename\*=UTF-8''(.+)$/.exec(cd)![1])).toBe(`辽宁省供热直通车月度通报-2026年11月-第1版${ext}`);
      const body = Buffer.from(await res.arrayBuffer());
      expect(sha256(body)).toBe(v1Sha[format]);
      expect(res.headers.get('etag')).toBe(`"${v1Sha[format]}"`);
      if (format === 'html') {
        expect(body.toString('utf8')).toContain('2026年11月');
        expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      }
      if (format === 'xlsx') {
        const wb = new ExcelJS.Workbook();
        await wb.xlsx.load(body as unknown as ArrayBuffer);
        expect(wb.worksheets.map((w) => w.name)).toEqual(['全省汇总', '各市', '企业排名', '主管单位排名', '红黑榜', '说明']);
      }
    }
  });

  it('publishing again with nothing changed answers version 1 (200), no new version', async () => {
    const again = await call('POST', bulletins(), province, { month: '2026-11' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, version: 1, sha256: v1Sha });
  });

  it('a late rating of a November case makes version 2, which lists the change; version 1 is unchanged', async () => {
    await rate(latePhone, '3');
    await eventually(async () => ((await novemberCounts())?.rated === 2 ? true : undefined), 15_000, 'kpi to count the late rating');
    const r = await call('POST', bulletins(), province, { month: '2026-11' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ created: true, version: 2 });
    expect(r.body.changedUnits).toBeGreaterThanOrEqual(3); // the province, 沈阳市, HC0001 (and its authority)

    const v2 = await call('GET', bulletins('/2026-11/v2.json'), province);
    const hc1 = v2.body.changes.units.find((u: { id: string }) => u.id === 'HC0001');
    expect(v2.body.changes.sinceVersion).toBe(1);
    expect(hc1.fields).toEqual(
      expect.arrayContaining([
        { key: 'rated', label: '已评价件数', old: 1, new: 2 },
        { key: 'dissatisfied', label: '不满意', old: 0, new: 1 },
        { key: 'satisfactionRate', label: '满意率', old: 100, new: 50 },
      ]),
    );
    const html = await fetch(bulletins('/2026-11/v2.html'), { headers: { authorization: `Bearer ${province}` } });
    expect(await html.text()).toContain('本版更新：与第 1 版相比的变化');

    const list = await call('GET', bulletins('?month=2026-11'), province);
    expect(list.body.map((b: { version: number }) => b.version)).toEqual([1, 2]);
    expect(list.body[0].sha256).toEqual(v1Sha);

    const events = await suite.apps.kpi.get(DataSource).query(`SELECT payload FROM outbox_message WHERE event_type = 'bulletin.published' ORDER BY id`);
    const payloads = events.map((e: { payload: unknown }) => (typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload));
    expect(payloads.map((p: { version: number }) => p.version)).toEqual([1, 2]);
    expect(payloads[0]).toMatchObject({ month: '2026-11', sha256Html: v1Sha.html, sha256Pdf: v1Sha.pdf, sha256Xlsx: v1Sha.xlsx });
  });

  it('the schedule (off in embedded mode, started by hand here) finds November already published', async () => {
    expect(await suite.apps.kpi.get(BulletinScheduler).check()).toEqual({ month: '2026-11', outcome: 'already_published' });
  });

  it('refusals: month format and range are 400s naming month; only the province publishes; operators read nothing', async () => {
    for (const [month, code] of [
      ['2026-13', 'INVALID_MONTH'],
      ['2019-12', 'MONTH_OUT_OF_RANGE'],
      ['2027-01', 'MONTH_OUT_OF_RANGE'],
    ]) {
      const r = await call('POST', bulletins(), province, { month });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code, field: 'month' });
      expect(r.body.message).toMatch(/月份（month）/);
    }
    expect((await call('POST', bulletins(), province, {})).body.field).toBe('month');
    expect((await call('POST', bulletins(), company, { month: '2026-11' })).status).toBe(403);
    expect((await call('GET', bulletins(), operator)).status).toBe(403);
    expect((await call('GET', bulletins('/2026-11/v9.pdf'), province)).status).toBe(404);
    expect((await call('GET', bulletins('/2026-11/v1.doc'), province)).body).toMatchObject({ code: 'BULLETIN_FORMAT_UNSUPPORTED' });
  });

  describe('标杆企业 benchmark enterprise (same suite and data)', () => {
    const api = (path: string) => `${suite.urls.kpi}/api/v1/benchmark${path}`;
    const SCORES = [
      { dimension: 'basic_requirements', score: 90, evidence: '证照齐全，供热许可证有效期至 2029 年' },
      { dimension: 'heating_quality', score: 85, evidence: '抽测 30 户，室温均不低于 18℃' },
      { dimension: 'service_quality', score: 88, evidence: '24 小时值班电话接通率 99%' },
      { dimension: 'facilities', score: 80, evidence: '换热站巡检记录完整' },
      { dimension: 'safety', score: 92, evidence: '应急预案已备案并演练 <b>两次</b>' },
      { dimension: 'energy_efficiency', score: 75, evidence: '单位面积热耗 0.38 GJ/m²' },
      { dimension: 'smart_heating', score: 60, evidence: '二网平衡改造覆盖 40% 小区' },
    ];

    it('weights: defaults until the province sets them; a set not summing to 100 is refused', async () => {
      const defaults = await call('GET', api('/weights?season=2026-2027'), company);
      expect(defaults.body).toMatchObject({ season: '2026-2027', source: 'default' });
      const bad = await call('PUT', api('/weights'), province, { season: '2026-2027', weights: { ...weights(), safety: 20 } });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'WEIGHTS_SUM', field: 'weights' });
      expect((await call('PUT', api('/weights'), company, { season: '2026-2027', weights: weights() })).status).toBe(403);
      const set = await call('PUT', api('/weights'), province, { season: '2026-2027', weights: weights() });
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({ source: 'configured', updatedBy: 'province:prov-1' });
    });

    it('assessors (province) enter scores with evidence; 用户评议 cannot be entered', async () => {
      const r = await call('POST', api('/assessments'), province, { season: '2026-2027', companyId: 'HC0001', scores: SCORES });
      expect(r.status).toBe(201);
      expect(r.body.recorded).toHaveLength(7);
      const ue = await call('POST', api('/assessments'), province, { season: '2026-2027', companyId: 'HC0001', scores: [{ dimension: 'user_evaluation', score: 100, evidence: 'x' }] });
      expect(ue.status).toBe(400);
      expect(ue.body.message).toContain('自动计算');
      const noEvidence = await call('POST', api('/assessments'), province, { season: '2026-2027', companyId: 'HC0001', scores: [{ dimension: 'safety', score: 90, evidence: '  ' }] });
      expect(noEvidence.body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'scores.0.evidence' });
    });

    it('the ranking and the company report: the total is the weighted sum; a company reads only its own report', async () => {
      const ranking = await call('GET', api('/ranking?season=2026-2027'), otherCompany);
      expect(ranking.status).toBe(200);
      const hc1 = ranking.body.companies.find((c: { companyId: string }) => c.companyId === 'HC0001');
      // weights(): 用户评议 0 (HC0001 has 2 cases this season, fewer than the 10 it needs); 83.15 rounds to 83.2
      expect(hc1).toMatchObject({ rank: 1, complete: true, total: 83.2 });

      const report = await call('GET', api('/companies/HC0001?season=2026-2027'), company);
      expect(report.status).toBe(200);
      expect(report.body.history).toHaveLength(7);
      const page = await fetch(api('/companies/HC0001?season=2026-2027&format=html'), { headers: { authorization: `Bearer ${company}` } });
      expect(page.headers.get('content-type')).toContain('text/html');
      const html = await page.text();
      expect(html).toContain('标杆企业评定报告');
      expect(html).toContain('&lt;b&gt;两次&lt;/b&gt;');
      expect((await call('GET', api('/companies/HC0001?season=2026-2027'), otherCompany)).status).toBe(403);
      expect((await call('GET', api('/ranking?season=2026-2028'), province)).body).toMatchObject({ code: 'INVALID_SEASON', field: 'season' });
    });
  });
});

/** Weights of the e2e season: 用户评议 0, so the seven entered scores make a complete rating. */
function weights() {
  return {
    basic_requirements: 10,
    heating_quality: 25,
    service_quality: 20,
    facilities: 10,
    safety: 15,
    energy_efficiency: 10,
    smart_heating: 10,
    user_evaluation: 0,
  };
}
