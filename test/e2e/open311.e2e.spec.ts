import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { XMLParser } from 'fast-xml-parser';
import { startEmbeddedSuite } from '../../apps/embedded/src/suite.js';
import type { EmbeddedSuite } from '../../apps/embedded/src/suite.js';
import { call } from '../support/http.js';
import { verifyPhone } from '../support/intake-helpers.js';

const KEY = 'open311-demo-key-0001';
const xml = new XMLParser({ parseTagValue: false, isArray: (name) => ['service', 'request', 'attribute', 'value', 'error'].includes(name) });

async function get(url: string): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

async function postForm(url: string, fields: Record<string, string>): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

const tooCold = (token: string, extra: Record<string, string> = {}) => ({
  api_key: KEY,
  token,
  service_code: 'too_cold',
  'attribute[community_name]': '金地小区',
  'attribute[city_code]': '210100',
  'attribute[district_code]': '210102',
  'attribute[street]': '南京南街 8 号',
  'attribute[room]': '302',
  'attribute[indoor_temperature]': '15.5',
  description: '卧室 15 度 <b>不热</b>',
  ...extra,
});

describe('Open311 GeoReport v2 face of intake', () => {
  let suite: EmbeddedSuite;
  let dataDir: string;
  let base: string;
  let token: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'heating-open311-'));
    suite = await startEmbeddedSuite({
      dataDir,
      env: { ...process.env, INTAKE_PORT: '0', DISPATCH_PORT: '0', SMS_SURVEY_PORT: '0', KPI_PORT: '0', LOG_LEVEL: 'silent' },
    });
    base = `${suite.urls.intake}/open311/v2`;
    token = await verifyPhone({ intakeUrl: suite.urls.intake, tokens: suite.tokens }, '13622223333', '10.31.1.1');
  }, 120_000);

  afterAll(async () => {
    await suite?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('services are the heating categories, in XML (required by the spec) and JSON', () => {
    it('GET services.xml lists <services><service> with code, Chinese name, metadata=true', async () => {
      const r = await get(`${base}/services.xml`);
      expect(r.status).toBe(200);
      expect(r.type).toMatch(/text\/xml/);
      const services = xml.parse(r.text).services.service;
      expect(services.map((s: any) => s.service_code)).toContain('too_cold');
      expect(services.find((s: any) => s.service_code === 'too_cold')).toMatchObject({ service_name: '室温不达标', metadata: 'true', type: 'realtime' });
      expect(services.map((s: any) => s.service_code)).not.toContain('policy_question');
    });

    it('GET services.json has the same services', async () => {
      const r = await call('GET', `${base}/services.json`);
      expect(r.status).toBe(200);
      expect(r.body.find((s: any) => s.service_code === 'heating_cut_off').service_name).toBe('停热');
    });

    it('the too_cold definition requires indoor_temperature; heating_not_started requires days_without_heat', async () => {
      const cold = await call('GET', `${base}/services/too_cold.json`);
      expect(cold.body.service_code).toBe('too_cold');
      expect(cold.body.attributes.find((a: any) => a.code === 'indoor_temperature')).toMatchObject({ required: true, datatype: 'number' });
      const late = xml.parse((await get(`${base}/services/heating_not_started.xml`)).text).service_definition;
      const codes = late.attributes.attribute.map((a: any) => a.code);
      expect(codes).toEqual(expect.arrayContaining(['community_name', 'city_code', 'district_code', 'street', 'days_without_heat']));
      expect(codes).not.toContain('indoor_temperature');
      const city = late.attributes.attribute.find((a: any) => a.code === 'city_code');
      expect(city.values.value).toHaveLength(14);
    });

    it('an unknown service or format is a 404 in the spec error format', async () => {
      const unknown = xml.parse((await get(`${base}/services/snow_removal.xml`)).text);
      expect(unknown.errors.error[0].code).toBe('404');
      expect((await get(`${base}/services.csv`)).status).toBe(404);
    });
  });

  describe('POST requests files a case (form-encoded as the spec says, or JSON) with api_key and the verification token', () => {
    it('a form-encoded too_cold report gets a case number, and is dispatched like any other case', async () => {
      const r = await postForm(`${base}/requests.xml`, tooCold(token));
      expect(r.status).toBe(200);
      const [request] = xml.parse(r.text).service_requests.request;
      expect(request.service_request_id).toMatch(/^GR-\d{8}-\d{6}$/);
      const province = await suite.tokens.sign({ sub: 'p', role: 'province' }, 60);
      const deadline = Date.now() + 5_000;
      let dispatched: any;
      while (Date.now() < deadline && !dispatched) {
        const cases = await call('GET', `${suite.urls.dispatch}/api/v1/cases`, province);
        dispatched = cases.body.items.find((c: any) => c.caseNumber === request.service_request_id);
        await new Promise((r2) => setTimeout(r2, 50));
      }
      expect(dispatched).toMatchObject({ companyId: 'HC0001', status: 'dispatched' });
    });

    it('the same report again while the case is open is linked to it (same service_request_id)', async () => {
      const first = xml.parse((await postForm(`${base}/requests.xml`, tooCold(token, { 'attribute[room]': '303' }))).text).service_requests.request[0];
      const again = xml.parse((await postForm(`${base}/requests.xml`, tooCold(token, { 'attribute[room]': '303' }))).text).service_requests.request[0];
      expect(again.service_request_id).toBe(first.service_request_id);
      expect(again.service_notice).toMatch(/合并/);
    });

    it('JSON with an attribute object works too, with the token as a bearer header', async () => {
      const res = await fetch(`${base}/requests.json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          api_key: KEY,
          service_code: 'heating_not_started',
          attribute: { community_name: '金地小区', city_code: '210100', district_code: '210102', street: '南京南街 8 号', room: '401', days_without_heat: 3 },
          description: '还没来暖气',
        }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as any[];
      expect(body[0].service_request_id).toMatch(/^GR-/);
    });

    it('without api_key → 401; without the verification token → 401; both in the spec error format', async () => {
      const noKey = await postForm(`${base}/requests.json`, { ...tooCold(token), api_key: '' });
      expect(noKey.status).toBe(401);
      expect(JSON.parse(noKey.text)).toEqual([{ code: 401, description: expect.stringMatching(/api_key/) }]);
      const noToken = await postForm(`${base}/requests.xml`, { ...tooCold(token), token: '' });
      expect(noToken.status).toBe(401);
      expect(xml.parse(noToken.text).errors.error[0].description).toMatch(/验证/);
    });

    it('an operator token is not a verification token', async () => {
      const operator = await suite.tokens.sign({ sub: 'op', role: 'operator' }, 60);
      const r = await postForm(`${base}/requests.json`, tooCold(operator));
      expect(r.status).toBe(401);
    });

    it('a missing required attribute is a 400 naming the Open311 parameter, and nothing is filed', async () => {
      const before = (await call('GET', `${base}/requests.json?api_key=${KEY}`)).body.length;
      const fields = tooCold(token, { 'attribute[room]': '999' });
      delete (fields as Record<string, string>)['attribute[indoor_temperature]'];
      const r = await postForm(`${base}/requests.json`, fields);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.text)[0].description).toMatch(/attribute\[indoor_temperature\]/);
      const wrongCity = await postForm(`${base}/requests.json`, tooCold(token, { 'attribute[city_code]': '110100' }));
      expect(wrongCity.status).toBe(400);
      expect(JSON.parse(wrongCity.text)[0].description).toMatch(/attribute\[city_code\]/);
      expect((await call('GET', `${base}/requests.json?api_key=${KEY}`)).body.length).toBe(before);
    });
  });

  describe('GET requests shows a client what it filed: status open/closed with notes, no personal data', () => {
    it('lists this client’s requests with status, notes and an escaped description in XML', async () => {
      const r = await get(`${base}/requests.xml?api_key=${KEY}&status=open`);
      expect(r.status).toBe(200);
      expect(r.text).toContain('&lt;b&gt;不热&lt;/b&gt;');
      const requests = xml.parse(r.text).service_requests.request;
      expect(requests.length).toBeGreaterThanOrEqual(2);
      for (const request of requests) {
        expect(request.status).toBe('open');
        expect(request.status_notes).not.toBe('');
        expect(r.text).not.toContain('13622223333');
        expect(request.address).not.toContain('302');
      }
    });

    it('GET requests/{id} returns one; another case number is 404', async () => {
      const [first] = (await call('GET', `${base}/requests.json?api_key=${KEY}`)).body;
      const one = await call('GET', `${base}/requests/${first.service_request_id}.json?api_key=${KEY}`);
      expect(one.body).toHaveLength(1);
      expect(one.body[0].service_request_id).toBe(first.service_request_id);
      expect((await call('GET', `${base}/requests/GR-20000101-000001.json?api_key=${KEY}`)).status).toBe(404);
    });

    it('a case filed on the hotline is not visible through Open311', async () => {
      const operator = await suite.tokens.sign({ sub: 'op', role: 'operator' }, 60);
      const hotline = await call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, {
        callerPhone: '13622224444', type: 'complaint', category: 'pipe_leak', communityName: '金地小区',
        address: { cityCode: '210100', districtCode: '210102', street: '南京南街 9 号' }, description: '漏水',
      });
      expect(hotline.status).toBe(201);
      const r = await call('GET', `${base}/requests/${hotline.body.caseNumber}.json?api_key=${KEY}`);
      expect(r.status).toBe(404);
    });

    it('a bad status filter or date is a 400 naming it', async () => {
      expect((await call('GET', `${base}/requests.json?api_key=${KEY}&status=pending`)).status).toBe(400);
      const badDate = await call('GET', `${base}/requests.json?api_key=${KEY}&start_date=yesterday`);
      expect(badDate.status).toBe(400);
      expect(badDate.body[0].description).toMatch(/start_date/);
    });
  });
});
