import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { TokenService } from '#shared';
import type { Principal, ServiceName } from '#shared';
import { startTestSuite } from '../support/embedded-suite.js';
import type { TestSuite } from '../support/embedded-suite.js';
import { eventually } from '../support/eventually.js';
import { closeCase, dispatchedCase, fileComplaint, surveyLinkToken } from '../support/flows.js';
import { send } from '../support/fuzz.js';
import type { Reply } from '../support/fuzz.js';
import { call } from '../support/http.js';
import { tinyPng } from '../support/intake-helpers.js';
import { listRoutes } from '../support/routes.js';
import { HC0001_COMMUNITY, temperatureSlip } from '../support/thin-loop.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/*
 * Who may call what: every HTTP route of the four services (read from their routers, so a new
 * endpoint without a row here fails), called as every kind of caller. Then the scopes behind the
 * roles — a company only its own cases, an authority only its region — with valid requests;
 * forged, altered and expired tokens; signed company webhooks; SMS provider callbacks.
 */

const WHO = ['anonymous', 'operator', 'companyA', 'companyB', 'county', 'city', 'otherCity', 'province', 'resident'] as const;
type Who = (typeof WHO)[number];
type Expected = Record<Who, number | number[]>;

const COMPANIES: Who[] = ['companyA', 'companyB'];
const AUTHORITIES: Who[] = ['county', 'city', 'otherCity'];
const SUPERVISORS: Who[] = [...AUTHORITIES, 'province'];
const UNITS: Who[] = [...COMPANIES, ...SUPERVISORS];

/** The listed callers get `status`; anyone else is refused: 401 without a token, 403 with one of another role. */
function only(allowed: Who[], status: number | number[], scoped: Partial<Expected> = {}): Expected {
  return Object.fromEntries(WHO.map((w) => [w, scoped[w] ?? (allowed.includes(w) ? status : w === 'anonymous' ? 401 : 403)])) as Expected;
}

/** A public endpoint: the same answer for every caller. */
const everyone = (status: number): Expected => Object.fromEntries(WHO.map((w) => [w, status])) as Expected;

/** An invalid body: whoever gets past the guards is refused by validation (400), so nothing changes. */
const PROBE = { __probe: true };

interface Row {
  service: ServiceName;
  method: string;
  route: string;
  path: string;
  json?: unknown;
  raw?: Buffer;
  contentType?: string;
  expect: Expected;
  /** A public endpoint that authenticates by itself (api_key, path secret, stream ticket): its own 401, not UNAUTHENTICATED. */
  ownAuth?: boolean;
  /** The answer is an endless event stream: only its status is read. */
  stream?: boolean;
}

const CALLBACK_TOKEN = 'matrix-callback-token-4c2e8a1f9d7b';
const PHONE_A = '13712360001';
const PHONE_B = '13712360002';
const PHONE_RATED = '13712360003';

interface Fixtures {
  caseA: string;
  caseNumberA: string;
  caseB: string;
  companyB: string;
  countyAuthority: string;
  countyDistrict: string;
  incidentId: string;
  badRatingId: string;
  deliveryA: string;
  photoA: string;
}

function table(f: Fixtures): Row[] {
  const rows: Row[] = [];
  const add = (service: ServiceName, method: string, route: string, expect: Expected, request: Partial<Row> = {}) =>
    rows.push({ service, method, route, path: route, expect, ...request });

  for (const service of ['intake', 'dispatch', 'sms-survey', 'kpi'] as const) {
    add(service, 'GET', '/health/live', everyone(200));
    add(service, 'GET', '/health/ready', everyone(200));
    add(service, 'GET', '/ops/dead-letters', only(['province'], 200));
    add(service, 'GET', '/ops/outbox', only(['province'], 200));
    if (service !== 'kpi') add(service, 'GET', '/api/v1/sms/messages', only(['province'], 200));
  }

  // intake
  add('intake', 'POST', '/api/v1/complaints', only(['operator'], 400), { json: PROBE });
  add('intake', 'POST', '/api/v1/me/complaints', only(['resident'], 400), { json: PROBE });
  add('intake', 'GET', '/api/v1/me/complaints', only(['resident'], 200));
  add('intake', 'GET', '/api/v1/complaints', only(['operator', 'province'], 200), { path: `/api/v1/complaints?callerPhone=${PHONE_A}` });
  add('intake', 'GET', '/api/v1/complaints/:caseNumber', only(['operator', 'province'], 200), { path: `/api/v1/complaints/${f.caseNumberA}` });
  add('intake', 'POST', '/api/v1/attachments', only(['resident', 'operator'], 415), { raw: Buffer.from('not a picture'), contentType: 'image/png' });
  add('intake', 'GET', '/api/v1/attachments/:id', only(['resident', 'operator', ...COMPANIES, 'province'], 404), { path: `/api/v1/attachments/${randomUUID()}` });
  add('intake', 'POST', '/api/v1/verifications', everyone(400), { json: PROBE });
  add('intake', 'POST', '/api/v1/verifications/:verificationId/confirm', everyone(404), { path: `/api/v1/verifications/${randomUUID()}/confirm`, json: { code: '123456' } });
  add('intake', 'GET', '/open311/v2/services.:format', everyone(200), { path: '/open311/v2/services.json' });
  add('intake', 'GET', '/open311/v2/services/:code.:format', everyone(200), { path: '/open311/v2/services/too_cold.json' });
  // Open311 clients authenticate with api_key; a platform bearer token is no substitute.
  add('intake', 'POST', '/open311/v2/requests.:format', everyone(401), { path: '/open311/v2/requests.json', json: { service_code: 'too_cold' }, ownAuth: true });
  add('intake', 'GET', '/open311/v2/requests.:format', everyone(401), { path: '/open311/v2/requests.json', ownAuth: true });
  add('intake', 'GET', '/open311/v2/requests/:id.:format', everyone(401), { path: `/open311/v2/requests/${f.caseNumberA}.json`, ownAuth: true });

  // dispatch: cases
  const outsideA = { companyB: 403, county: 403, otherCity: 403 };
  add('dispatch', 'GET', '/api/v1/cases', only(UNITS, 200));
  add('dispatch', 'GET', '/api/v1/cases/:caseId', only(UNITS, 200, outsideA), { path: `/api/v1/cases/${f.caseA}` });
  add('dispatch', 'POST', '/api/v1/cases/:caseId/sign', only(COMPANIES, 200, { companyB: 403 }), { path: `/api/v1/cases/${f.caseA}/sign` });
  for (const action of ['contacts', 'return', 'extension', 'escalate', 'feedback']) {
    add('dispatch', 'POST', `/api/v1/cases/:caseId/${action}`, only(COMPANIES, 400), { path: `/api/v1/cases/${f.caseA}/${action}`, json: PROBE });
  }
  add('dispatch', 'POST', '/api/v1/cases/:caseId/evidence', only(COMPANIES, 201, { companyB: 403 }), { path: `/api/v1/cases/${f.caseA}/evidence`, raw: tinyPng(), contentType: 'image/png' });
  add('dispatch', 'GET', '/api/v1/cases/:caseId/evidence/:photoId', only(UNITS, 404, outsideA), { path: `/api/v1/cases/${f.caseA}/evidence/${randomUUID()}` });
  add('dispatch', 'GET', '/api/v1/authority/cases', only(SUPERVISORS, 200), { path: '/api/v1/authority/cases?queue=manual' });
  for (const action of ['dispatch', 'return-decision', 'extension-decision', 'grade', 'supervision']) {
    add('dispatch', 'POST', `/api/v1/authority/cases/:caseId/${action}`, only(SUPERVISORS, 400), { path: `/api/v1/authority/cases/${f.caseA}/${action}`, json: PROBE });
  }
  // dispatch: incidents (opened by the city for one of company A's stations)
  add('dispatch', 'GET', '/api/v1/incidents', only(UNITS, 200));
  add('dispatch', 'GET', '/api/v1/incidents/:id', only(UNITS, 200, { companyB: 404, county: 404, otherCity: 404 }), { path: `/api/v1/incidents/${f.incidentId}` });
  add('dispatch', 'POST', '/api/v1/incidents', only(SUPERVISORS, 400), { json: PROBE });
  for (const action of ['confirm', 'dismiss']) {
    add('dispatch', 'POST', `/api/v1/incidents/:id/${action}`, only(SUPERVISORS, 400), { path: `/api/v1/incidents/${f.incidentId}/${action}`, json: PROBE });
  }
  add('dispatch', 'POST', '/api/v1/incidents/:id/restore', only(UNITS, 400), { path: `/api/v1/incidents/${f.incidentId}/restore`, json: PROBE });
  // dispatch: registry files
  add('dispatch', 'GET', '/api/v1/registry', only(SUPERVISORS, 200));
  add('dispatch', 'GET', '/api/v1/registry/:kind', only(SUPERVISORS, 200), { path: '/api/v1/registry/companies' });
  add('dispatch', 'POST', '/api/v1/registry/import', only(SUPERVISORS, 400), { path: '/api/v1/registry/import?dryRun=true', raw: Buffer.from('not a workbook'), contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
  add('dispatch', 'POST', '/api/v1/registry/:kind/import', only(SUPERVISORS, 400), { path: '/api/v1/registry/companies/import?dryRun=true', raw: Buffer.from('no,such,columns\n1,2,3\n'), contentType: 'text/csv' });
  // dispatch: webhooks
  add('dispatch', 'GET', '/api/v1/companies/me/webhook', only(COMPANIES, 200));
  add('dispatch', 'PUT', '/api/v1/companies/me/webhook', only(COMPANIES, 400), { json: PROBE });
  add('dispatch', 'GET', '/api/v1/webhooks/deliveries', only(UNITS, 200));
  add('dispatch', 'POST', '/api/v1/webhooks/deliveries/:id/redeliver', only(UNITS, 404), { path: `/api/v1/webhooks/deliveries/msg_${randomUUID()}/redeliver` });
  // dispatch: bad ratings and spot checks
  add('dispatch', 'GET', '/api/v1/bad-ratings', only(UNITS, 200));
  add('dispatch', 'GET', '/api/v1/bad-ratings/:id', only(UNITS, 200, outsideA), { path: `/api/v1/bad-ratings/${f.badRatingId}` });
  for (const step of ['callback', 'rectification', 'reconsideration']) {
    add('dispatch', 'POST', `/api/v1/bad-ratings/:id/${step}`, only(COMPANIES, 400), { path: `/api/v1/bad-ratings/${f.badRatingId}/${step}`, json: PROBE });
  }
  for (const step of ['classification', 'reconsideration-decision']) {
    add('dispatch', 'POST', `/api/v1/bad-ratings/:id/${step}`, only(SUPERVISORS, 400), { path: `/api/v1/bad-ratings/${f.badRatingId}/${step}`, json: PROBE });
  }
  add('dispatch', 'POST', '/api/v1/spot-checks/draw', only(['province'], 400), { json: PROBE });
  add('dispatch', 'GET', '/api/v1/spot-checks', only(['province'], 200));
  add('dispatch', 'POST', '/api/v1/spot-checks/:id/result', only(['province'], 400), { path: `/api/v1/spot-checks/${randomUUID()}/result`, json: PROBE });

  // sms-survey
  add('sms-survey', 'POST', '/api/v1/sms/console/replies', only(['province'], 400), { json: PROBE });
  add('sms-survey', 'POST', '/api/v1/sms/callbacks/aliyun/:token', everyone(401), { path: '/api/v1/sms/callbacks/aliyun/not-the-secret-token', json: [], ownAuth: true });
  add('sms-survey', 'POST', '/api/v1/sms/callbacks/tencent/:token', everyone(401), { path: '/api/v1/sms/callbacks/tencent/not-the-secret-token', json: [], ownAuth: true });
  add('sms-survey', 'GET', '/r/:token', everyone(404), { path: '/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
  add('sms-survey', 'POST', '/r/:token', everyone(404), { path: '/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', json: { rating: 'satisfied' } });

  // kpi
  add('kpi', 'GET', '/api/v1/indicators/:unitType/:unitId', only(UNITS, 200, outsideA), { path: '/api/v1/indicators/company/HC0001' });
  add('kpi', 'GET', '/api/v1/rankings', only(SUPERVISORS, 200));
  add('kpi', 'GET', '/api/v1/rankings/red-black', only(SUPERVISORS, 200));
  add('kpi', 'GET', '/api/v1/benchmark/weights', only(UNITS, 200), { path: '/api/v1/benchmark/weights?season=2026-2027' });
  add('kpi', 'PUT', '/api/v1/benchmark/weights', only(['province'], 400), { json: PROBE });
  add('kpi', 'POST', '/api/v1/benchmark/assessments', only(['province'], 400), { json: PROBE });
  add('kpi', 'GET', '/api/v1/benchmark/ranking', only(UNITS, 200), { path: '/api/v1/benchmark/ranking?season=2026-2027' });
  add('kpi', 'GET', '/api/v1/benchmark/companies/:id', only(UNITS, 200, { companyB: 403 }), { path: '/api/v1/benchmark/companies/HC0001?season=2026-2027' });
  add('kpi', 'POST', '/api/v1/kpi/rebuild', only(['province'], 200));
  add('kpi', 'POST', '/api/v1/bulletins', only(['province'], 400), { json: PROBE });
  add('kpi', 'GET', '/api/v1/bulletins', only(UNITS, 200));
  add('kpi', 'GET', '/api/v1/bulletins/:month/:file', only(UNITS, 404), { path: '/api/v1/bulletins/2026-10/v1.pdf' });
  // kpi: the live monitoring screen (监测大屏) — the page is public, its data belongs to authorities and the province
  add('kpi', 'GET', '/dashboard', everyone(200));
  add('kpi', 'GET', '/dashboard/assets/:file', everyone(404), { path: '/dashboard/assets/no-such-file.js' });
  add('kpi', 'POST', '/api/v1/dashboard/tickets', only(SUPERVISORS, 201));
  add('kpi', 'GET', '/api/v1/dashboard/stream', only(SUPERVISORS, 200), { ownAuth: true, stream: true });
  add('kpi', 'GET', '/api/v1/dashboard/snapshot', only(SUPERVISORS, 200));
  add('kpi', 'GET', '/api/v1/dashboard/warnings', only(SUPERVISORS, 200));
  add('kpi', 'POST', '/api/v1/dashboard/warnings/:id/acknowledge', only(SUPERVISORS, 400), { path: `/api/v1/dashboard/warnings/${randomUUID()}/acknowledge`, json: PROBE });
  return rows;
}

describe('access: every endpoint, every kind of caller', () => {
  let suite: TestSuite;
  let f: Fixtures;
  let rows: Row[];
  const tokens = {} as Record<Who, string | undefined>;
  const receiver = new WebhookReceiver();
  let ratingToken: string;
  let ratedCaseNumber: string;

  const request = async (row: Row, token?: string): Promise<Reply> => {
    if (!row.stream) return send(row.method, `${suite.urls[row.service]}${row.path}`, { token, json: row.json, raw: row.raw, contentType: row.contentType });
    const res = await fetch(`${suite.urls[row.service]}${row.path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (res.status === 200) {
      await res.body?.cancel();
      return { status: 200, headers: res.headers, text: '', body: undefined };
    }
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: JSON.parse(text) };
  };

  beforeAll(async () => {
    suite = await startTestSuite('access-matrix', { SMS_CALLBACK_TOKEN: CALLBACK_TOKEN, SMS_CALLBACK_ALLOWED_IPS: '127.0.0.1,::1,203.0.113.0/24' });
    const dispatchDb = suite.db('dispatch');
    // Company B: a Shenyang company in a district with its own (county-level) authority.
    const [b] = await dispatchDb.query(
      `SELECT c.id, c.district_code, a.id AS authority, m.name AS community
         FROM company c JOIN authority a ON a.id = c.authority_id JOIN community m ON m.company_id = c.id AND NOT m.unclear_owner
        WHERE a.level = 'county' AND a.city_code = '210100' ORDER BY c.id, m.id LIMIT 1`,
    );
    const hour = 3600;
    const sign = (p: Principal) => suite.tokens.sign(p, hour);
    Object.assign(tokens, {
      anonymous: undefined,
      operator: await sign({ sub: 'op-matrix', role: 'operator' }),
      companyA: await sign({ sub: 'duty-HC0001', role: 'company', unitId: 'HC0001' }),
      companyB: await sign({ sub: `duty-${b.id}`, role: 'company', unitId: b.id }),
      county: await sign({ sub: 'au-county', role: 'authority', unitId: b.authority, regionCode: b.district_code }),
      city: await sign({ sub: 'au-shenyang', role: 'authority', unitId: 'AU210100', regionCode: '210100' }),
      otherCity: await sign({ sub: 'au-dalian', role: 'authority', unitId: 'AU210200', regionCode: '210200' }),
      province: await sign({ sub: 'prov-matrix', role: 'province' }),
      resident: await sign({ sub: 'resident-a', role: 'resident', phone: PHONE_A }),
    });

    const hook = await call('PUT', `${suite.urls.dispatch}/api/v1/companies/me/webhook`, tokens.companyA, { url: await receiver.start() });
    expect(hook.status).toBe(200);
    receiver.secret = hook.body.secret;

    const caseA = await fileComplaint(suite, tokens.operator!, PHONE_A, HC0001_COMMUNITY);
    const caseB = await fileComplaint(suite, tokens.operator!, PHONE_B, { communityName: b.community, cityCode: '210100', districtCode: b.district_code });
    expect((await dispatchedCase(suite, caseA.caseId)).company_id).toBe('HC0001');
    expect((await dispatchedCase(suite, caseB.caseId)).company_id).toBe(b.id);

    const photo = await send('POST', `${suite.urls.intake}/api/v1/attachments`, { token: tokens.resident, raw: tinyPng(), contentType: 'image/png' });
    expect(photo.status).toBe(201);

    const [station] = await dispatchDb.query(
      `SELECT s.id FROM station s WHERE s.company_id = 'HC0001' AND NOT EXISTS (SELECT 1 FROM community c WHERE c.station_id = s.id AND c.name = $1) ORDER BY s.id LIMIT 1`,
      [HC0001_COMMUNITY.communityName],
    );
    const incident = await call('POST', `${suite.urls.dispatch}/api/v1/incidents`, tokens.city, {
      title: '换热站循环泵故障', cause: '循环泵故障', stationIds: [station.id], expectedRestorationAt: new Date(Date.now() + 6 * 3600_000).toISOString(),
    });
    expect(incident.status).toBe(201);

    const rated = await fileComplaint(suite, tokens.operator!, PHONE_RATED, HC0001_COMMUNITY);
    ratedCaseNumber = rated.caseNumber;
    await closeCase(suite, tokens.companyA!, rated.caseId);
    ratingToken = await surveyLinkToken(suite, rated.caseNumber);
    expect((await call('POST', `${suite.urls['sms-survey']}/api/v1/sms/console/replies`, tokens.province, { phone: PHONE_RATED, text: '3' })).body).toEqual({ outcome: 'rated' });
    const badRatingId = await eventually(async () => (await dispatchDb.query(`SELECT id FROM bad_rating WHERE case_id = $1`, [rated.caseId]))[0]?.id as string | undefined, 60_000, 'the bad rating');
    const deliveryA = await eventually(async () => (await dispatchDb.query(`SELECT id FROM webhook_delivery WHERE case_id = $1`, [caseA.caseId]))[0]?.id as string | undefined, 60_000, 'the webhook delivery of case A');
    // kpi knows company A once its dispatches arrived.
    await eventually(async () => ((await call('GET', `${suite.urls.kpi}/api/v1/indicators/company/HC0001`, tokens.province)).status === 200 ? true : undefined), 60_000, 'kpi to know HC0001');
    await suite.settle();

    f = {
      caseA: caseA.caseId, caseNumberA: caseA.caseNumber, caseB: caseB.caseId, companyB: b.id, countyAuthority: b.authority, countyDistrict: b.district_code,
      incidentId: incident.body.id, badRatingId, deliveryA, photoA: photo.body.id,
    };
    rows = table(f);
  }, 240_000);

  afterAll(async () => {
    await suite?.stop();
    await receiver.stop();
  });

  describe('the table covers every route', () => {
    it.each([['intake' as const], ['dispatch' as const], ['sms-survey' as const], ['kpi' as const]])('every route of %s has a row, and every row is a route', (service) => {
      const served = listRoutes(suite.apps[service]).map((r) => `${r.method} ${r.path}`).sort();
      const covered = rows.filter((r) => r.service === service).map((r) => `${r.method} ${r.route}`).sort();
      expect(served.length).toBeGreaterThan(3);
      expect({ withoutRow: served.filter((r) => !covered.includes(r)), notServed: covered.filter((r) => !served.includes(r)) }).toEqual({ withoutRow: [], notServed: [] });
    });
  });

  describe('each kind of caller gets what its row says', () => {
    it.each([['intake' as const], ['dispatch' as const], ['sms-survey' as const], ['kpi' as const]])('%s: role and scope answers for all nine callers', async (service) => {
      const mismatches: string[] = [];
      for (const row of rows.filter((r) => r.service === service)) {
        for (const who of WHO) {
          const reply = await request(row, tokens[who]);
          const wanted = ([] as number[]).concat(row.expect[who]);
          if (!wanted.includes(reply.status)) mismatches.push(`${row.method} ${row.path} as ${who}: ${reply.status} (expected ${wanted.join(' or ')}) ${reply.text.slice(0, 160)}`);
          if (reply.status === 401 && !row.ownAuth && who === 'anonymous' && reply.body?.code !== 'UNAUTHENTICATED') {
            mismatches.push(`${row.method} ${row.path} as anonymous: 401 without code UNAUTHENTICATED`);
          }
          if (reply.status === 403 && typeof reply.body?.message === 'string' && !/[\u4e00-\u9fff]/.test(reply.body.message)) {
            mismatches.push(`${row.method} ${row.path} as ${who}: 403 without a Chinese message`);
          }
        }
      }
      expect(mismatches).toEqual([]);
    });
  });

  describe('forged, altered and expired tokens are refused with 401 on every endpoint that needs one', () => {
    it('a token signed with another secret, a token whose role was rewritten, an expired token', async () => {
      const forged = await new TokenService('another-secret-that-is-long-enough-0123456789').sign({ sub: 'prov-x', role: 'province' }, 3600);
      const [header, payload, signature] = (await suite.tokens.sign({ sub: 'op-x', role: 'operator' }, 3600)).split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      const altered = [header, Buffer.from(JSON.stringify({ ...claims, role: 'province' })).toString('base64url'), signature].join('.');
      const expired = await suite.tokens.sign({ sub: 'prov-old', role: 'province' }, -60);
      const wrong: string[] = [];
      for (const row of rows.filter((r) => r.expect.anonymous === 401 && r.expect.province !== 401)) {
        for (const [kind, token] of [['forged', forged], ['altered', altered], ['expired', expired], ['garbage', 'Bearer.not.a.token']] as const) {
          const reply = await request(row, token);
          if (reply.status !== 401 || (!row.ownAuth && reply.body?.code !== 'UNAUTHENTICATED')) wrong.push(`${row.method} ${row.path} with a ${kind} token: ${reply.status}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  });

  describe('a company sees and acts on its own cases only', () => {
    const valid: Record<string, unknown> = {
      contacts: { outcome: 'reached', note: '已电话联系' },
      return: { reasonCode: 'not_our_service_area', reason: '不属于本企业供热范围' },
      extension: { days: 2, reason: '需更换管道配件' },
      escalate: { kind: 'mass', description: '整栋楼不热' },
      feedback: { resolution: 'fixed', summary: '已调整阀门', temperatureSlip: temperatureSlip() },
    };

    it.each(Object.keys(valid))('company B cannot %s on company A\'s case: 403 CASE_FORBIDDEN, the case log unchanged', async (action) => {
      const before = await suite.db('dispatch').query(`SELECT status, company_id, (SELECT count(*) FROM case_action WHERE case_id = $1) AS actions FROM dispatch_case WHERE id = $1`, [f.caseA]);
      const r = await call('POST', `${suite.urls.dispatch}/api/v1/cases/${f.caseA}/${action}`, tokens.companyB, valid[action]);
      expect([r.status, r.body.code]).toEqual([403, 'CASE_FORBIDDEN']);
      expect(await suite.db('dispatch').query(`SELECT status, company_id, (SELECT count(*) FROM case_action WHERE case_id = $1) AS actions FROM dispatch_case WHERE id = $1`, [f.caseA])).toEqual(before);
    });

    it('an unknown case id is 404 CASE_NOT_FOUND for every company', async () => {
      for (const who of COMPANIES) {
        const r = await call('GET', `${suite.urls.dispatch}/api/v1/cases/${randomUUID()}`, tokens[who]);
        expect([who, r.status, r.body.code]).toEqual([who, 404, 'CASE_NOT_FOUND']);
      }
    });

    it("the pull list of each company holds only its own cases", async () => {
      const listed = async (who: Who) => ((await call('GET', `${suite.urls.dispatch}/api/v1/cases?limit=200`, tokens[who])).body.items as Array<{ caseId: string }>).map((c) => c.caseId);
      expect(await listed('companyA')).toContain(f.caseA);
      expect(await listed('companyA')).not.toContain(f.caseB);
      expect(await listed('companyB')).toEqual([f.caseB]);
    });

    it("company B neither sees nor redelivers company A's webhook messages", async () => {
      const list = await call('GET', `${suite.urls.dispatch}/api/v1/webhooks/deliveries`, tokens.companyB);
      expect(list.body.map((d: { companyId: string }) => d.companyId).filter((c: string) => c !== f.companyB)).toEqual([]);
      const r = await call('POST', `${suite.urls.dispatch}/api/v1/webhooks/deliveries/${f.deliveryA}/redeliver`, tokens.companyB);
      expect([r.status, r.body.code]).toEqual([404, 'WEBHOOK_DELIVERY_NOT_FOUND']);
    });

    it("company B cannot record the callback of company A's bad rating", async () => {
      const r = await call('POST', `${suite.urls.dispatch}/api/v1/bad-ratings/${f.badRatingId}/callback`, tokens.companyB, { outcome: 'reached', residentDemand: '要求退费' });
      expect(r.status).toBe(403);
      expect(r.body.code).toBe('BAD_RATING_FORBIDDEN');
    });

    it("company B cannot read company A's figures or benchmark report", async () => {
      expect((await call('GET', `${suite.urls.kpi}/api/v1/indicators/company/HC0001`, tokens.companyB)).status).toBe(403);
      expect((await call('GET', `${suite.urls.kpi}/api/v1/benchmark/companies/HC0001`, tokens.companyB)).status).toBe(403);
    });
  });

  describe('an authority sees and acts on its own region only', () => {
    const listed = async (who: Who) => ((await call('GET', `${suite.urls.dispatch}/api/v1/cases?limit=200`, tokens[who])).body.items as Array<{ caseId: string }>).map((c) => c.caseId);

    it('the city authority lists both cases, the county authority only its district, another city none', async () => {
      expect(await listed('city')).toEqual(expect.arrayContaining([f.caseA, f.caseB]));
      expect(await listed('county')).toContain(f.caseB);
      expect(await listed('county')).not.toContain(f.caseA);
      expect(await listed('otherCity')).toEqual([]);
      expect(await listed('province')).toEqual(expect.arrayContaining([f.caseA, f.caseB]));
    });

    it.each([
      ['grade', { complexity: 'complex', note: '涉及整栋楼管网改造' }],
      ['supervision', { note: '请今日内入户处理' }],
    ])('a county authority and another city cannot %s a case outside their region: 403 CASE_FORBIDDEN', async (action, body) => {
      for (const who of ['county', 'otherCity'] as const) {
        const r = await call('POST', `${suite.urls.dispatch}/api/v1/authority/cases/${f.caseA}/${action}`, tokens[who], body);
        expect([who, r.status, r.body.code]).toEqual([who, 403, 'CASE_FORBIDDEN']);
      }
    });

    it("the county authority reads its own district's case", async () => {
      expect((await call('GET', `${suite.urls.dispatch}/api/v1/cases/${f.caseB}`, tokens.county)).status).toBe(200);
    });

    it('a registry export holds only the region of the authority', async () => {
      const csv = async (who: Who) => (await send('GET', `${suite.urls.dispatch}/api/v1/registry/companies?format=csv`, { token: tokens[who] })).text;
      expect(await csv('county')).toContain(f.companyB);
      expect(await csv('county')).not.toContain('HC0001');
      expect(await csv('otherCity')).not.toContain('HC0001');
      expect(await csv('city')).toContain('HC0001');
    });

    it('the incident of the city is invisible to the county authority and another city', async () => {
      const ids = async (who: Who) => ((await call('GET', `${suite.urls.dispatch}/api/v1/incidents`, tokens[who])).body as Array<{ id: string }>).map((i) => i.id);
      expect(await ids('city')).toContain(f.incidentId);
      expect(await ids('companyA')).toContain(f.incidentId);
      expect(await ids('county')).not.toContain(f.incidentId);
      expect(await ids('otherCity')).not.toContain(f.incidentId);
      expect(await ids('companyB')).not.toContain(f.incidentId);
    });
  });

  describe("residents see their own cases and photos only", () => {
    it("another resident's token lists none of resident A's cases and cannot open A's photo", async () => {
      const other = await suite.tokens.sign({ sub: 'resident-z', role: 'resident', phone: '13712369999' }, 600);
      expect((await call('GET', `${suite.urls.intake}/api/v1/me/complaints`, tokens.resident)).body.map((c: { caseNumber: string }) => c.caseNumber)).toContain(f.caseNumberA);
      expect((await call('GET', `${suite.urls.intake}/api/v1/me/complaints`, other)).body).toEqual([]);
      expect((await send('GET', `${suite.urls.intake}/api/v1/attachments/${f.photoA}`, { token: tokens.resident })).status).toBe(200);
      expect((await send('GET', `${suite.urls.intake}/api/v1/attachments/${f.photoA}`, { token: other })).status).toBe(404);
    });

    it('a rating link opens only its own survey; a forged link is 404; a used one 410', async () => {
      const page = await send('GET', `${suite.urls['sms-survey']}/r/${ratingToken}`);
      // The survey was rated by SMS meanwhile: the link names its case and says it is done.
      expect(page.status).toBe(410);
      expect(page.text).toContain(ratedCaseNumber);
      expect(page.text).not.toContain(f.caseNumberA);
      const forged = `${ratingToken.slice(0, -2)}${ratingToken.endsWith('AA') ? 'BB' : 'AA'}`;
      expect((await send('GET', `${suite.urls['sms-survey']}/r/${forged}`)).status).toBe(404);
    });
  });

  describe('company webhooks are signed per Standard Webhooks (verified with the standardwebhooks package)', () => {
    it("case A's dispatch webhook verifies with company A's secret, and not with another secret or a changed body", async () => {
      const raw = await eventually(async () => receiver.requests.find((r) => JSON.parse(r.body).data?.caseId === f.caseA), 30_000, 'the webhook of case A');
      const headers = raw.headers as Record<string, string>;
      expect(new Webhook(receiver.secret!).verify(raw.body, headers)).toMatchObject({ type: 'case.dispatched', data: { caseId: f.caseA } });
      const otherSecret = `whsec_${Buffer.from('x'.repeat(24)).toString('base64')}`;
      expect(() => new Webhook(otherSecret).verify(raw.body, headers)).toThrow();
      expect(() => new Webhook(receiver.secret!).verify(raw.body.replace(f.caseA, f.caseB), headers)).toThrow();
      expect(() => new Webhook(receiver.secret!).verify(raw.body, { ...headers, 'webhook-id': 'msg_other' })).toThrow();
    });
  });

  describe('SMS provider callbacks need the secret path token and, when set, an allowed address', () => {
    const post = (provider: 'aliyun' | 'tencent', token: string, ip?: string) =>
      send('POST', `${suite.urls['sms-survey']}/api/v1/sms/callbacks/${provider}/${token}`, { json: [], headers: ip ? { 'x-forwarded-for': ip } : {} });

    it.each([['aliyun' as const], ['tencent' as const]])('%s: the right token from an allowed address is answered OK', async (provider) => {
      expect((await post(provider, CALLBACK_TOKEN)).status).toBe(200);
      expect((await post(provider, CALLBACK_TOKEN, '203.0.113.5')).status).toBe(200);
    });

    it.each([['aliyun' as const], ['tencent' as const]])('%s: a wrong, shortened or extended token is 401; an address outside the list is 403', async (provider) => {
      for (const token of ['wrong', CALLBACK_TOKEN.slice(1), `${CALLBACK_TOKEN}x`, CALLBACK_TOKEN.toUpperCase()]) {
        expect([token, (await post(provider, token)).status]).toEqual([token, 401]);
      }
      expect((await post(provider, CALLBACK_TOKEN, '198.51.100.9')).status).toBe(403);
      expect((await send('POST', `${suite.urls['sms-survey']}/api/v1/sms/callbacks/${provider}`, { json: [] })).status).toBe(404);
    });
  });
});
