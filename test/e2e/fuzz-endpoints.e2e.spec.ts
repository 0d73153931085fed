import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CASE_TYPES, CATEGORIES, shanghaiMonth } from '#shared';
import { startTestSuite } from '../support/embedded-suite.js';
import type { TestSuite } from '../support/embedded-suite.js';
import { eventually } from '../support/eventually.js';
import { closeCase, dispatchedCase, fileComplaint, signTokens, surveyLinkToken } from '../support/flows.js';
import { bigNumber, fuzzBody, fuzzEndpoint, hugeText, malformedJson, mutated, oddDate, oddQueryValue, oddSegment, oddText, send, wrongType } from '../support/fuzz.js';
import { call } from '../support/http.js';
import { tinyPng } from '../support/intake-helpers.js';
import { HC0001_COMMUNITY, temperatureSlip } from '../support/thin-loop.js';

/*
 * Bad input on every public HTTP endpoint and provider callback, on one embedded suite:
 * - residents and providers: intake's phone verification, resident filing, photos and Open311;
 *   sms-survey's web rating page and the Aliyun/Tencent reply callbacks;
 * - operators, companies, authorities, the province: filing and look-up; dispatch (cases,
 *   authority work, incidents, bad ratings, spot checks, webhooks, registry files); kpi
 *   (indicators, rankings, benchmark, bulletins); every service's ops and SMS-log reads.
 * Random JSON, huge strings, odd Unicode (RTL and zero-width marks, lone surrogate halves, emoji,
 * NUL), wrong types, numbers and dates past the columns' ranges, malformed JSON, corrupted files.
 * The rule: never a 5xx; a refusal in the endpoint's own format; a refused request leaves every
 * table of the service as it was. One seed (FUZZ_SEED), a few dozen runs per endpoint.
 */
const CALLBACK_TOKEN = 'fuzz-callback-token-5e1d7c9a3b2f';
const OPEN311_KEY = 'fuzz-open311-key-000000001';
const RESIDENT_PHONE = '13712340001';

const mobile = fc.stringMatching(/^1[3-9]\d{9}$/);
const ipv4 = fc.ipV4();
const category = fc.constantFrom(...CATEGORIES);
const address = fc.record({
  cityCode: fc.constantFrom('210100', '210200', '110100', '2101'),
  districtCode: fc.constantFrom('210102', '210103', '210202', '999999'),
  street: oddText(),
  building: oddText(20),
  unit: oddText(20),
  room: oddText(20),
});
const complaintFields = {
  type: fc.constantFrom(...CASE_TYPES),
  category,
  communityName: fc.oneof(fc.constant(HC0001_COMMUNITY.communityName), oddText(110)),
  address: fc.oneof(address, wrongType),
  description: oddText(300),
  contactName: oddText(60),
  namedCompanyId: fc.constantFrom('HC0001', 'HC9999', ''),
  indoorTemperatureC: fc.double({ min: -30, max: 50, noNaN: true }),
  daysWithoutHeat: fc.oneof(fc.integer({ min: -5, max: 250 }), bigNumber),
  photoIds: fc.array(fc.oneof(fc.uuid(), oddText(10)), { maxLength: 7 }),
  coordinates: fc.record({ latitude: fc.double({ min: -100, max: 100 }), longitude: fc.double({ min: -200, max: 200 }) }),
};

const isoTime = fc.oneof(fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()), oddDate);
const month = fc.oneof(fc.constantFrom(shanghaiMonth(new Date()), '2026-10', '2019-12', '2026-13', '2026-1'), oddText(10));
const slip = fc.record({
  readings: fc.array(fc.record({ room: oddText(20), roomType: fc.constantFrom('bedroom', 'living_room', 'other', 'kitchen'), temperatureC: fc.oneof(fc.double({ min: -60, max: 90 }), wrongType) }), { maxLength: 4 }),
  measuredAt: fc.oneof(isoTime, oddText(20)),
  measuringPoint: oddText(),
  instrument: oddText(),
  measurer: oddText(20),
  residentAcknowledged: fc.oneof(fc.boolean(), wrongType),
  photoIds: fc.array(fc.oneof(fc.uuid(), oddText(8)), { maxLength: 6 }),
});
/** A query string of the given parameter names with odd or plausible values. */
const query = (names: string[], plausible: string[] = []) =>
  fc
    .dictionary(fc.constantFrom(...names, 'unknown'), fc.oneof(oddText(30), oddQueryValue, fc.constantFrom('', 'true', '0', '-1', '201', '1e3', ...plausible)), { maxKeys: names.length })
    .map((q) => new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, v.replace(/[\uD800-\uDFFF]/g, '\uFFFD')])).toString());

describe('bad input on every public endpoint and provider callback never causes a 5xx or a partial write', () => {
  let suite: TestSuite;
  let t: Awaited<ReturnType<typeof signTokens>>;
  let resident: string;
  let ratingToken: string;
  let caseA: string;
  let caseFeedback: string;
  let caseManual: string;
  let badRatingId: string;

  beforeAll(async () => {
    suite = await startTestSuite('fuzz', { SMS_CALLBACK_TOKEN: CALLBACK_TOKEN, OPEN311_API_KEYS: `fuzzapp:${OPEN311_KEY}` });
    t = await signTokens(suite.tokens);
    resident = await suite.tokens.sign({ sub: 'resident-fuzz', role: 'resident', phone: RESIDENT_PHONE }, 3600);
    const linked = await fileComplaint(suite, t.operator, '13712340002', HC0001_COMMUNITY);
    caseA = (await fileComplaint(suite, t.operator, '13712350001', HC0001_COMMUNITY)).caseId;
    caseFeedback = (await fileComplaint(suite, t.operator, '13712350002', HC0001_COMMUNITY)).caseId;
    caseManual = (await fileComplaint(suite, t.operator, '13712350003', { ...HC0001_COMMUNITY, communityName: '不存在的测试小区甲' })).caseId;
    const rated = await fileComplaint(suite, t.operator, '13712350004', HC0001_COMMUNITY);
    await closeCase(suite, t.companyHC0001, linked.caseId);
    await closeCase(suite, t.companyHC0001, rated.caseId);
    ratingToken = await surveyLinkToken(suite, linked.caseNumber);
    await dispatchedCase(suite, caseA);
    await dispatchedCase(suite, caseFeedback);
    expect((await dispatchedCase(suite, caseManual)).status).toBe('awaiting_manual_dispatch');
    // 不满意 opens a bad-rating follow-up for the company.
    await eventually(async () => ((await suite.db('sms-survey').query(`SELECT 1 FROM survey WHERE case_id = $1 AND status = 'awaiting_reply'`, [rated.caseId])).length > 0 ? true : undefined), 60_000, 'the survey');
    expect((await call('POST', `${suite.urls['sms-survey']}/api/v1/sms/console/replies`, t.province, { phone: '13712350004', text: '3 还是冷' })).body).toEqual({ outcome: 'rated' });
    badRatingId = await eventually(async () => (await suite.db('dispatch').query(`SELECT id FROM bad_rating WHERE case_id = $1`, [rated.caseId]))[0]?.id, 60_000, 'the bad rating');
  }, 240_000);

  afterAll(async () => {
    await suite?.stop();
  });

  const intake = () => suite.urls.intake;
  const smsSurvey = () => suite.urls['sms-survey'];
  const dispatch = () => suite.urls.dispatch;
  const kpi = () => suite.urls.kpi;
  const caseId = () => fc.oneof({ weight: 3, arbitrary: fc.constant(caseA) }, { weight: 1, arbitrary: oddSegment });

  describe('intake: phone verification (实名)', () => {
    it('POST /api/v1/verifications with random bodies from random addresses', async () => {
      await fuzzEndpoint(suite, {
        name: 'POST /api/v1/verifications',
        service: 'intake',
        input: fc.tuple(fuzzBody({ phone: mobile }), ipv4),
        send: ([body, ip]) => send('POST', `${intake()}/api/v1/verifications`, { json: body, headers: { 'x-forwarded-for': ip } }),
        runs: 40,
      });
    });

    it('POST /api/v1/verifications with malformed JSON', async () => {
      await fuzzEndpoint(suite, {
        name: 'POST /api/v1/verifications (malformed JSON)',
        service: 'intake',
        input: malformedJson,
        send: (raw) => send('POST', `${intake()}/api/v1/verifications`, { raw, headers: { 'x-forwarded-for': '198.51.100.77' } }),
        runs: 20,
      });
    });

    it('POST /api/v1/verifications/{id}/confirm with random ids and codes (a wrong try is recorded on purpose: attempts)', async () => {
      const requested = await send('POST', `${intake()}/api/v1/verifications`, { json: { phone: '13712340003' }, headers: { 'x-forwarded-for': '198.51.100.78' } });
      expect(requested.status).toBe(202);
      await fuzzEndpoint(suite, {
        name: 'POST /api/v1/verifications/{id}/confirm',
        service: 'intake',
        // A wrong code counts against the verification (its attempts column): the row changes by design, its count must not.
        countOnly: ['phone_verification'],
        input: fc.tuple(fc.oneof(fc.constant(requested.body.verificationId as string), oddSegment), fuzzBody({ code: fc.stringMatching(/^\d{6}$/) }), ipv4),
        send: ([id, body, ip]) => send('POST', `${intake()}/api/v1/verifications/${id}/confirm`, { json: body, headers: { 'x-forwarded-for': ip } }),
        runs: 30,
      });
    });
  });

  describe('intake: filing and looking up complaints', () => {
    it('POST /api/v1/me/complaints (resident token) with random bodies', async () => {
      await fuzzEndpoint(suite, {
        name: 'POST /api/v1/me/complaints',
        service: 'intake',
        // Header values are Latin-1 by the HTTP rules; anything printable may come.
        input: fc.tuple(fuzzBody({ ...complaintFields, channel: fc.constantFrom('web', 'app', 'hotline') }), fc.option(fc.stringMatching(/^[\x21-\x7e\xa0-\xff]{0,150}$/), { nil: undefined })),
        send: ([body, key]) => send('POST', `${intake()}/api/v1/me/complaints`, { token: resident, json: body, headers: key === undefined ? {} : { 'idempotency-key': key } }),
        runs: 40,
      });
    });

    it('POST /api/v1/complaints (operator) with random bodies', async () => {
      await fuzzEndpoint(suite, {
        name: 'POST /api/v1/complaints',
        service: 'intake',
        input: fuzzBody({ ...complaintFields, callerPhone: fc.oneof(mobile, fc.constantFrom('+86 137 1234 0009', '12345')), answer: oddText(300) }),
        send: (body) => send('POST', `${intake()}/api/v1/complaints`, { token: t.operator, json: body }),
        runs: 30,
      });
    });

    it('GET /api/v1/complaints?callerPhone=… and GET /api/v1/complaints/{caseNumber} with odd values', async () => {
      await fuzzEndpoint(suite, {
        name: 'GET /api/v1/complaints',
        service: 'intake',
        input: fc.tuple(fc.boolean(), oddSegment),
        send: ([byPhone, value]) =>
          send('GET', byPhone ? `${intake()}/api/v1/complaints?callerPhone=${value}` : `${intake()}/api/v1/complaints/${value}`, { token: t.operator }),
        runs: 30,
      });
    });

    it('POST /api/v1/attachments with random bytes under image content types, GET with odd ids', async () => {
      await fuzzEndpoint(suite, {
        name: 'POST /api/v1/attachments',
        service: 'intake',
        input: fc.tuple(
          fc.constantFrom('image/png', 'image/jpeg', 'image/webp', 'application/json', 'text/plain'),
          fc.oneof(fc.uint8Array({ maxLength: 2_000 }), fc.constant(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))),
          oddSegment,
        ),
        send: async ([type, bytes, id]) => {
          const upload = await send('POST', `${intake()}/api/v1/attachments`, { token: resident, raw: Buffer.from(bytes), contentType: type });
          if (upload.status >= 500) return upload;
          // A read writes nothing: the upload's answer decides what the tables may show, unless the read failed.
          const read = await send('GET', `${intake()}/api/v1/attachments/${id}`, { token: resident });
          return read.status >= 500 ? read : upload;
        },
        runs: 25,
      });
    });
  });

  describe('intake: Open311 GeoReport v2 (public, api_key)', () => {
    const open311Body = fuzzBody({
      api_key: fc.constantFrom(OPEN311_KEY, 'wrong-key-0000000000', ''),
      token: fc.constantFrom('resident', 'forged.token.value'),
      service_code: category,
      description: oddText(300),
      first_name: oddText(20),
      last_name: oddText(20),
      address_string: oddText(80),
      lat: fc.double({ min: -100, max: 100 }),
      long: fc.double({ min: -200, max: 200 }),
      attribute: fuzzBody({
        community_name: fc.constant(HC0001_COMMUNITY.communityName),
        city_code: fc.constant('210100'),
        district_code: fc.constant('210102'),
        street: oddText(),
        room: oddText(10),
        case_type: fc.constantFrom('complaint', 'report', 'consultation'),
        indoor_temperature: fc.oneof(fc.double({ min: -30, max: 50 }), oddText(5)),
        days_without_heat: fc.integer({ min: -5, max: 300 }),
      }),
    });
    const withToken = (body: unknown) =>
      body && typeof body === 'object' && (body as { token?: unknown }).token === 'resident' ? { ...(body as object), token: resident } : body;

    it('POST /open311/v2/requests.{json,xml} with random JSON bodies', async () => {
      await fuzzEndpoint(suite, {
        name: 'POST /open311/v2/requests.json',
        service: 'intake',
        refusal: 'open311',
        input: fc.tuple(open311Body, fc.constantFrom('json', 'xml')),
        send: ([body, format]) => send('POST', `${intake()}/open311/v2/requests.${format}`, { json: withToken(body) }),
        runs: 40,
      });
    });

    it('POST /open311/v2/requests.json form-encoded with random attribute[…] fields', async () => {
      const form = fc.dictionary(
        fc.oneof(fc.constantFrom('api_key', 'token', 'service_code', 'description', 'attribute[community_name]', 'attribute[city_code]', 'attribute[district_code]', 'attribute[street]', 'attribute[indoor_temperature]', 'attribute[case_type]', 'attribute[x][y]', 'lat', 'long'), fc.string({ maxLength: 12 })),
        fc.oneof(oddText(), fc.constantFrom(OPEN311_KEY, 'too_cold', '210100', '210102', HC0001_COMMUNITY.communityName, '15')),
        { maxKeys: 12 },
      );
      await fuzzEndpoint(suite, {
        name: 'POST /open311/v2/requests.json (form)',
        service: 'intake',
        refusal: 'open311',
        input: form,
        send: (fields) => {
          const params = new URLSearchParams();
          for (const [k, v] of Object.entries(fields)) params.append(k, k === 'token' ? resident : v);
          return send('POST', `${intake()}/open311/v2/requests.json`, { raw: params.toString(), contentType: 'application/x-www-form-urlencoded' });
        },
        runs: 30,
      });
    });

    it('GET services, service definitions and requests with odd codes, formats and filters', async () => {
      const query = fc.dictionary(
        fc.constantFrom('api_key', 'service_request_id', 'service_code', 'start_date', 'end_date', 'status', 'extra'),
        fc.oneof(oddText(30), oddDate, fc.constantFrom(OPEN311_KEY, '2026-11-01T00:00:00+08:00', 'open', 'closed', 'too_cold,pipe_leak')),
        { maxKeys: 6 },
      );
      await fuzzEndpoint(suite, {
        name: 'GET /open311/v2/…',
        service: 'intake',
        refusal: 'open311',
        input: fc.tuple(fc.constantFrom('services', 'service', 'requests', 'request'), oddSegment, fc.constantFrom('json', 'xml', 'html', ''), query),
        send: ([what, segment, format, q]) => {
          const qs = new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, v.replace(/[\uD800-\uDFFF]/g, '?')])).toString();
          const path = { services: `services.${format}`, service: `services/${segment}.${format}`, requests: `requests.${format}`, request: `requests/${segment}.${format}` }[what];
          return send('GET', `${intake()}/open311/v2/${path}?${qs}`);
        },
        runs: 40,
      });
    });
  });

  describe('sms-survey: the web rating page (/r/{token})', () => {
    it('GET /r/{token} with random tokens: 404 page, never a 5xx', async () => {
      await fuzzEndpoint(suite, {
        name: 'GET /r/{token}',
        service: 'sms-survey',
        refusal: 'html',
        input: oddSegment,
        send: (token) => send('GET', `${smsSurvey()}/r/${token}`),
        runs: 25,
      });
    });

    it('POST /r/{token} with random forms and JSON, to a real link and to random ones', async () => {
      const form = fc.dictionary(fc.constantFrom('rating', 'comment', 'other', 'rating[]'), fc.oneof(oddText(), hugeText.map((s) => s.slice(0, 5_000)), fc.constantFrom('satisfied', 'basically_satisfied', 'dissatisfied', 'bad')), { maxKeys: 3 });
      await fuzzEndpoint(suite, {
        name: 'POST /r/{token}',
        service: 'sms-survey',
        refusal: 'html',
        input: fc.tuple(fc.oneof({ weight: 3, arbitrary: fc.constant('real') }, { weight: 1, arbitrary: oddSegment }), fc.oneof(form, fc.anything()), fc.boolean()),
        send: ([which, fields, asForm]) => {
          const token = which === 'real' ? ratingToken : which;
          if (!asForm) return send('POST', `${smsSurvey()}/r/${token}`, { json: fields ?? null });
          const params = new URLSearchParams();
          if (fields && typeof fields === 'object') for (const [k, v] of Object.entries(fields)) params.append(k, String(v).replace(/[\uD800-\uDFFF]/g, '?'));
          return send('POST', `${smsSurvey()}/r/${token}`, { raw: params.toString(), contentType: 'application/x-www-form-urlencoded' });
        },
        runs: 30,
      });
    });
  });

  describe('sms-survey: provider reply callbacks', () => {
    const aliyunItem = fc.record(
      {
        phone_number: mutated(fc.oneof(mobile, fc.constantFrom('+8613712340002', '8613712340002', '13712340002'))),
        content: mutated(fc.oneof(fc.constantFrom('1', '2', '3', 'TD', '退订', '１'), oddText())),
        send_time: mutated(fc.constant('2026-11-29 10:00:00')),
        dest_code: mutated(fc.constant('1234')),
        sequence_id: mutated(fc.oneof(fc.integer({ min: 1, max: 2 ** 40 }), bigNumber)),
        sign_name: mutated(fc.constant('供热直通车')),
      },
      { requiredKeys: [] },
    );
    const tencentItem = fc.record(
      {
        extend: mutated(fc.constant('')),
        mobile: mutated(mobile),
        nationcode: mutated(fc.constantFrom('86', '1', '0086')),
        sign: mutated(fc.constant('供热直通车')),
        text: mutated(fc.oneof(fc.constantFrom('1', '2', '3', 'TD'), oddText())),
        time: mutated(fc.oneof(fc.integer({ min: 0, max: 2 ** 33 }), bigNumber)),
      },
      { requiredKeys: [] },
    );

    it('Aliyun SmsUp: random batches, with the right token and without', async () => {
      await fuzzEndpoint(suite, {
        name: 'POST /api/v1/sms/callbacks/aliyun/{token}',
        service: 'sms-survey',
        refusal: 'aliyun',
        input: fc.tuple(fc.oneof({ weight: 3, arbitrary: fc.array(fc.oneof(aliyunItem, wrongType), { maxLength: 4 }) }, { weight: 1, arbitrary: fc.jsonValue() }), fc.constantFrom(CALLBACK_TOKEN, 'wrong-token', CALLBACK_TOKEN.slice(1))),
        send: ([body, token]) => send('POST', `${smsSurvey()}/api/v1/sms/callbacks/aliyun/${token}`, { json: body ?? null }),
        runs: 35,
      });
    });

    it('Tencent reply callback: random bodies, with the right token and without', async () => {
      await fuzzEndpoint(suite, {
        name: 'POST /api/v1/sms/callbacks/tencent/{token}',
        service: 'sms-survey',
        refusal: 'tencent',
        input: fc.tuple(fc.oneof({ weight: 2, arbitrary: tencentItem }, { weight: 1, arbitrary: fc.array(fc.oneof(tencentItem, wrongType), { maxLength: 3 }) }, { weight: 1, arbitrary: fc.jsonValue() }), fc.constantFrom(CALLBACK_TOKEN, 'wrong-token')),
        send: ([body, token]) => send('POST', `${smsSurvey()}/api/v1/sms/callbacks/tencent/${token}`, { json: body ?? null }),
        runs: 35,
      });
    });

    it.each([['aliyun' as const], ['tencent' as const]])('the %s callback with malformed JSON', async (provider) => {
      await fuzzEndpoint(suite, {
        name: `POST /api/v1/sms/callbacks/${provider}/{token} (malformed JSON)`,
        service: 'sms-survey',
        refusal: provider,
        input: malformedJson,
        send: (raw) => send('POST', `${smsSurvey()}/api/v1/sms/callbacks/${provider}/${CALLBACK_TOKEN}`, { raw }),
        runs: 12,
      });
    });

    it('POST /api/v1/sms/console/replies (province) with random bodies', async () => {
      await fuzzEndpoint(suite, {
        name: 'POST /api/v1/sms/console/replies',
        service: 'sms-survey',
        input: fuzzBody({ phone: fc.oneof(mobile, fc.constant('13712340002')), text: oddText(600) }),
        send: (body) => send('POST', `${smsSurvey()}/api/v1/sms/console/replies`, { token: t.province, json: body }),
        runs: 25,
      });
    });
  });
  describe('dispatch: the company side of a case', () => {
    it('GET /api/v1/cases with odd filters, GET /api/v1/cases/{id} with odd ids', async () => {
      await fuzzEndpoint(suite, {
        name: 'GET /api/v1/cases',
        service: 'dispatch',
        input: fc.tuple(fc.constantFrom('companyHC0001', 'cityShenyang', 'province') as fc.Arbitrary<'companyHC0001' | 'cityShenyang' | 'province'>, query(['status', 'overdue', 'category', 'caseNumber', 'receivedFrom', 'receivedTo', 'limit', 'offset'], ['dispatched', ...CATEGORIES, '2026-11-01']), oddSegment),
        send: ([who, q, id]) => send('GET', q.length % 3 === 0 ? `${dispatch()}/api/v1/cases/${id}` : `${dispatch()}/api/v1/cases?${q}`, { token: t[who] }),
        runs: 25,
      });
    });

    const actions: Array<[string, Record<string, fc.Arbitrary<unknown>>]> = [
      ['contacts', { outcome: fc.constantFrom('reached', 'no_answer', 'busy', 'nope'), note: oddText(), at: fc.oneof(isoTime, oddText(20)) }],
      ['escalate', { kind: fc.constantFrom('major', 'mass', 'minor'), description: oddText(), householdsAffected: fc.oneof(fc.integer({ min: -10, max: 1e7 }), bigNumber) }],
      ['extension', { days: fc.oneof(fc.integer({ min: -2, max: 10 }), bigNumber), reason: oddText() }],
      ['return', { reasonCode: fc.constantFrom('not_our_service_area', 'other', 'x'), reason: oddText() }],
    ];
    it.each(actions)('POST /api/v1/cases/{id}/%s with random bodies', async (action, fields) => {
      await fuzzEndpoint(suite, {
        name: `POST /api/v1/cases/{id}/${action}`,
        service: 'dispatch',
        input: fc.tuple(caseId(), fuzzBody(fields)),
        send: ([id, body]) => send('POST', `${dispatch()}/api/v1/cases/${id}/${action}`, { token: t.companyHC0001, json: body }),
        runs: 20,
      });
    });

    it('POST /api/v1/cases/{id}/sign with odd ids and stray bodies', async () => {
      await fuzzEndpoint(suite, {
        name: 'POST /api/v1/cases/{id}/sign',
        service: 'dispatch',
        input: fc.tuple(caseId(), fc.jsonValue({ maxDepth: 2 })),
        send: ([id, body]) => send('POST', `${dispatch()}/api/v1/cases/${id}/sign`, { token: t.companyHC0001, json: body ?? null }),
        runs: 12,
      });
    });

    it('POST /api/v1/cases/{id}/feedback with random bodies and temperature slips', async () => {
      await fuzzEndpoint(suite, {
        name: 'POST /api/v1/cases/{id}/feedback',
        service: 'dispatch',
        input: fc.tuple(fc.oneof(fc.constant(caseFeedback), oddSegment), fuzzBody({ resolution: fc.constantFrom('fixed', 'closed_unresolved', 'done'), summary: oddText(), temperatureSlip: fc.oneof(slip, fc.constant(temperatureSlip())) })),
        send: ([id, body]) => send('POST', `${dispatch()}/api/v1/cases/${id}/feedback`, { token: t.companyHC0001, json: body }),
        runs: 30,
      });
    });

    it('POST /api/v1/cases/{id}/evidence with random bytes, GET evidence with odd ids', async () => {
      await fuzzEndpoint(suite, {
        name: 'POST /api/v1/cases/{id}/evidence',
        service: 'dispatch',
        input: fc.tuple(caseId(), fc.constantFrom('image/png', 'image/jpeg', 'image/webp', 'text/plain'), fc.oneof(fc.uint8Array({ maxLength: 2_000 }), fc.constant(tinyPng())), oddSegment),
        send: async ([id, type, bytes, photo]) => {
          const upload = await send('POST', `${dispatch()}/api/v1/cases/${id}/evidence`, { token: t.companyHC0001, raw: Buffer.from(bytes), contentType: type });
          if (upload.status >= 500) return upload;
          // A read writes nothing: the upload's answer decides what the tables may show, unless the read failed.
          const read = await send('GET', `${dispatch()}/api/v1/cases/${id}/evidence/${photo}`, { token: t.companyHC0001 });
          return read.status >= 500 ? read : upload;
        },
        runs: 15,
      });
    });

    it('every company action with malformed JSON', async () => {
      await fuzzEndpoint(suite, {
        name: 'POST /api/v1/cases/{id}/* (malformed JSON)',
        service: 'dispatch',
        input: fc.tuple(fc.constantFrom('contacts', 'return', 'extension', 'escalate', 'feedback'), malformedJson),
        send: ([action, raw]) => send('POST', `${dispatch()}/api/v1/cases/${caseA}/${action}`, { token: t.companyHC0001, raw }),
        runs: 15,
      });
    });
  });

  describe('dispatch: the authority side', () => {
    it('GET /api/v1/authority/cases with odd queues and paging', async () => {
      await fuzzEndpoint(suite, {
        name: 'GET /api/v1/authority/cases',
        service: 'dispatch',
        input: query(['queue', 'limit', 'offset'], ['manual', 'returns', 'overdue', 'escalated']),
        send: (q) => send('GET', `${dispatch()}/api/v1/authority/cases?${q}`, { token: t.cityShenyang }),
        runs: 15,
      });
    });

    const decisions: Array<[string, string, Record<string, fc.Arbitrary<unknown>>]> = [
      ['dispatch', 'manual', { companyId: fc.constantFrom('HC0001', 'HC0002', 'HC9999', ''), note: oddText() }],
      ['return-decision', 'a', { decision: fc.constantFrom('approve', 'reject', 'maybe'), companyId: fc.constantFrom('HC0001', 'HC0002', 'HC9999'), note: oddText() }],
      ['extension-decision', 'a', { decision: fc.constantFrom('approve', 'reject', 'x'), note: oddText() }],
      ['grade', 'a', { complexity: fc.constantFrom('general', 'complex', 'simple'), note: oddText() }],
      ['supervision', 'a', { note: fc.oneof(oddText(), hugeText) }],
    ];
    it.each(decisions)('POST /api/v1/authority/cases/{id}/%s with random bodies', async (action, which, fields) => {
      await fuzzEndpoint(suite, {
        name: `POST /api/v1/authority/cases/{id}/${action}`,
        service: 'dispatch',
        input: fc.tuple(fc.oneof({ weight: 3, arbitrary: fc.constant(which === 'manual' ? caseManual : caseA) }, { weight: 1, arbitrary: oddSegment }), fuzzBody(fields)),
        send: ([id, body]) => send('POST', `${dispatch()}/api/v1/authority/cases/${id}/${action}`, { token: t.cityShenyang, json: body }),
        runs: 15,
      });
    });
  });

  describe('dispatch: incidents, bad ratings, spot checks', () => {
    it('incidents: list, get, open, confirm, dismiss, restore with random input', async () => {
      const open = fuzzBody({
        title: oddText(),
        cause: oddText(),
        stationIds: fc.array(fc.oneof(fc.constantFrom('ST0001', 'ST0002'), oddText(10)), { maxLength: 3 }),
        communityIds: fc.array(fc.oneof(fc.constantFrom('CM0001'), oddText(10)), { maxLength: 3 }),
        expectedRestorationAt: fc.oneof(isoTime, oddText(20)),
      });
      await fuzzEndpoint(suite, {
        name: 'incidents',
        service: 'dispatch',
        input: fc.tuple(fc.constantFrom('list', 'get', 'open', 'confirm', 'dismiss', 'restore'), oddSegment, open, fc.oneof(fc.constantFrom('open', 'proposed'), oddText(10))),
        send: ([what, id, body, status]) => {
          const base = `${dispatch()}/api/v1/incidents`;
          if (what === 'list') return send('GET', `${base}?status=${encodeURIComponent(status.replace(/[\uD800-\uDFFF]/g, ''))}`, { token: t.cityShenyang });
          if (what === 'get') return send('GET', `${base}/${id}`, { token: t.cityShenyang });
          if (what === 'open') return send('POST', base, { token: t.cityShenyang, json: body });
          return send('POST', `${base}/${id}/${what}`, { token: what === 'restore' ? t.companyHC0001 : t.cityShenyang, json: body });
        },
        runs: 30,
      });
    });

    it('bad ratings: every step with random bodies, on the real follow-up and odd ids', async () => {
      const steps: Record<string, [keyof typeof t, Record<string, fc.Arbitrary<unknown>>]> = {
        callback: ['companyHC0001', { outcome: fc.constantFrom('reached', 'not_reached', 'x'), residentDemand: oddText(), note: oddText() }],
        classification: ['cityShenyang', { classification: fc.constantFrom('reasonable', 'unreasonable', 'x'), note: oddText() }],
        rectification: ['companyHC0001', { summary: oddText() }],
        reconsideration: ['companyHC0001', { reason: oddText(), evidence: oddText(), photoIds: fc.array(fc.oneof(fc.uuid(), oddText(5)), { maxLength: 3 }) }],
        'reconsideration-decision': ['cityShenyang', { decision: fc.constantFrom('approve', 'reject', 'x'), reason: oddText() }],
      };
      const step = fc.constantFrom(...Object.keys(steps)).chain((name) => fc.tuple(fc.constant(name), fuzzBody(steps[name][1])));
      await fuzzEndpoint(suite, {
        name: 'bad ratings',
        service: 'dispatch',
        input: fc.tuple(fc.oneof({ weight: 3, arbitrary: fc.constant(badRatingId) }, { weight: 1, arbitrary: oddSegment }), step, query(['status'], ['callback_pending'])),
        send: async ([id, [name, body], q]) => {
          const read = await send('GET', q.length % 2 ? `${dispatch()}/api/v1/bad-ratings?${q}` : `${dispatch()}/api/v1/bad-ratings/${id}`, { token: t.cityShenyang });
          if (read.status >= 500) return read;
          return send('POST', `${dispatch()}/api/v1/bad-ratings/${id}/${name}`, { token: t[steps[name][0]], json: body });
        },
        runs: 30,
      });
    });

    it('spot checks: draw, list and record with random input', async () => {
      await fuzzEndpoint(suite, {
        name: 'spot checks',
        service: 'dispatch',
        input: fc.tuple(
          fc.constantFrom('draw', 'list', 'result'),
          fuzzBody({ month, size: fc.oneof(fc.integer({ min: -1, max: 1000 }), bigNumber) }),
          fuzzBody({ method: fc.constantFrom('callback', 'site_visit', 'x'), finding: fc.constantFrom('confirmed', 'faked', 'x'), note: oddText() }),
          oddSegment,
          month,
        ),
        send: ([what, draw, result, id, m]) => {
          if (what === 'draw') return send('POST', `${dispatch()}/api/v1/spot-checks/draw`, { token: t.province, json: draw });
          if (what === 'list') return send('GET', `${dispatch()}/api/v1/spot-checks?month=${encodeURIComponent(m.replace(/[\uD800-\uDFFF]/g, ''))}`, { token: t.province });
          return send('POST', `${dispatch()}/api/v1/spot-checks/${id}/result`, { token: t.province, json: result });
        },
        runs: 20,
      });
    });
  });

  describe('dispatch: webhooks and the registry', () => {
    it('GET /api/v1/webhooks/deliveries with odd filters, POST …/{id}/redeliver with odd ids', async () => {
      await fuzzEndpoint(suite, {
        name: 'webhook deliveries',
        service: 'dispatch',
        input: fc.tuple(query(['caseId', 'status', 'companyId', 'limit'], ['pending', 'HC0001', caseA]), oddSegment, fc.boolean()),
        send: ([q, id, list]) =>
          list ? send('GET', `${dispatch()}/api/v1/webhooks/deliveries?${q}`, { token: t.cityShenyang }) : send('POST', `${dispatch()}/api/v1/webhooks/deliveries/${id}/redeliver`, { token: t.companyHC0001 }),
        runs: 20,
      });
    });

    it('registry exports with odd kinds and formats, imports of random, corrupted and edited files (dry run or not)', async () => {
      const csv = (await send('GET', `${dispatch()}/api/v1/registry/companies?format=csv`, { token: t.cityShenyang })).text.replace(/^\uFEFF/, '');
      const workbook = await fetch(`${dispatch()}/api/v1/registry?format=xlsx`, { headers: { authorization: `Bearer ${t.cityShenyang}` } });
      expect(workbook.status).toBe(200);
      const xlsx = Buffer.from(await workbook.arrayBuffer());
      const [header, ...lines] = csv.split(/\r?\n/).filter(Boolean);
      // The authority's own file with one byte changed and perhaps cut short.
      const corruptedXlsx = fc.tuple(fc.nat(xlsx.length - 1), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: xlsx.length })).map(([at, byte, keep]) => {
        const copy = Buffer.from(xlsx);
        copy[at] = byte;
        return copy.subarray(0, keep);
      });
      // Real rows with one cell replaced by odd text, and rows of odd text.
      const editedCsv = fc
        .tuple(fc.subarray(lines.slice(0, 12), { maxLength: 4 }), fc.nat(12), oddText(40), fc.array(oddText(60), { maxLength: 3 }))
        .map(([rows, column, value, junk]) => {
          const edited = rows.map((row, i) => (i === 0 ? row.split(',').map((cell, c) => (c === column % 5 ? `"${value.replace(/"/g, '""')}"` : cell)).join(',') : row));
          return Buffer.from([header, ...edited, ...junk].join('\r\n'));
        });
      const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
      await fuzzEndpoint(suite, {
        name: 'registry',
        service: 'dispatch',
        input: fc.tuple(
          fc.constantFrom('export', 'import-workbook', 'import-csv', 'import-any'),
          fc.oneof(fc.constantFrom('companies', 'stations', 'communities'), oddSegment),
          fc.oneof(fc.constantFrom('csv', 'xlsx', 'CSV'), oddText(8)),
          corruptedXlsx,
          editedCsv,
          fc.uint8Array({ maxLength: 3_000 }).map((b) => Buffer.from(b)),
          fc.constantFrom('true', 'false', 'maybe', ''),
        ),
        send: ([what, kind, format, workbookBytes, csvBytes, randomBytes, dryRun]) => {
          const f = encodeURIComponent(format.replace(/[\uD800-\uDFFF]/g, ''));
          if (what === 'export') return send('GET', `${dispatch()}/api/v1/registry/${kind}?format=${f}`, { token: t.cityShenyang });
          if (what === 'import-workbook') return send('POST', `${dispatch()}/api/v1/registry/import?dryRun=${dryRun}`, { token: t.cityShenyang, raw: workbookBytes, contentType: XLSX_TYPE });
          if (what === 'import-csv') return send('POST', `${dispatch()}/api/v1/registry/companies/import?dryRun=${dryRun}`, { token: t.cityShenyang, raw: csvBytes, contentType: 'text/csv' });
          return send('POST', `${dispatch()}/api/v1/registry/${kind}/import?dryRun=${dryRun}`, { token: t.cityShenyang, raw: randomBytes, contentType: dryRun === '' ? XLSX_TYPE : 'text/csv' });
        },
        runs: 30,
      });
    });

    it('PUT /api/v1/companies/me/webhook with random bodies (accepted URLs point at a closed loopback port)', async () => {
      await fuzzEndpoint(suite, {
        name: 'PUT /api/v1/companies/me/webhook',
        service: 'dispatch',
        // An accepted endpoint makes the dispatcher try it in the background (attempts are logged as rows).
        countOnly: ['webhook_delivery', 'webhook_attempt', 'company'],
        input: fuzzBody({ url: fc.oneof(fc.constantFrom('http://127.0.0.1:9/hook', 'ftp://127.0.0.1/x', 'http://', 'javascript:alert(1)'), oddText(80).map((s) => `http://127.0.0.1:9/${s}`)) }),
        send: (body) => send('PUT', `${dispatch()}/api/v1/companies/me/webhook`, { token: t.companyHC0001, json: body }),
        runs: 15,
      });
    });
  });

  describe('kpi: indicators, rankings, benchmark, bulletins', () => {
    it('GET indicators and rankings with odd units, months and parameters', async () => {
      await fuzzEndpoint(suite, {
        name: 'kpi reads',
        service: 'kpi',
        input: fc.tuple(fc.constantFrom('indicators', 'rankings', 'red-black'), fc.oneof(fc.constantFrom('company', 'authority', 'city'), oddSegment), fc.oneof(fc.constantFrom('HC0001', 'AU210100', '210100'), oddSegment), query(['month', 'unitType', 'indicator', 'size', 'minDispatched'], ['company', 'satisfactionRate', '2026-11', '10'])),
        send: ([what, unitType, unitId, q]) => {
          if (what === 'indicators') return send('GET', `${kpi()}/api/v1/indicators/${unitType}/${unitId}?${q}`, { token: t.cityShenyang });
          return send('GET', `${kpi()}/api/v1/rankings${what === 'red-black' ? '/red-black' : ''}?${q}`, { token: t.province });
        },
        runs: 25,
      });
    });

    it('benchmark weights, assessments, ranking and company reports with random input', async () => {
      const weights = fc.dictionary(fc.oneof(fc.constantFrom('basic_requirements', 'heating_quality', 'service_quality', 'user_evaluation'), fc.string({ maxLength: 8 })), fc.oneof(fc.integer({ min: -5, max: 105 }), wrongType), { maxKeys: 9 });
      const score = fuzzBody({ dimension: fc.constantFrom('heating_quality', 'user_evaluation', 'x'), score: fc.oneof(fc.double({ min: -10, max: 110 }), fc.constant(92.55)), evidence: oddText() });
      const season = fc.oneof(fc.constantFrom('2026-2027', '2025-2026', '2026-2028', '1999-2000'), oddText(12));
      await fuzzEndpoint(suite, {
        name: 'benchmark',
        service: 'kpi',
        input: fc.tuple(fc.constantFrom('weights', 'set-weights', 'assess', 'ranking', 'report'), fuzzBody({ season, weights }), fuzzBody({ season, companyId: fc.constantFrom('HC0001', 'HC 1', ''), scores: fc.array(score, { maxLength: 8 }) }), season, fc.oneof(fc.constant('HC0001'), oddSegment), fc.constantFrom('json', 'html', 'pdf')),
        send: ([what, w, a, s, id, format]) => {
          const q = `season=${encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, ''))}`;
          if (what === 'weights') return send('GET', `${kpi()}/api/v1/benchmark/weights?${q}`, { token: t.province });
          if (what === 'set-weights') return send('PUT', `${kpi()}/api/v1/benchmark/weights`, { token: t.province, json: w });
          if (what === 'assess') return send('POST', `${kpi()}/api/v1/benchmark/assessments`, { token: t.province, json: a });
          if (what === 'ranking') return send('GET', `${kpi()}/api/v1/benchmark/ranking?${q}`, { token: t.companyHC0001 });
          return send('GET', `${kpi()}/api/v1/benchmark/companies/${id}?${q}&format=${format}`, { token: t.cityShenyang });
        },
        runs: 30,
      });
    });

    it('bulletins: publish (and drafts), list and downloads with odd months and files', async () => {
      await fuzzEndpoint(suite, {
        name: 'bulletins',
        service: 'kpi',
        input: fc.tuple(fc.constantFrom('publish', 'list', 'download'), fuzzBody({ month }), fc.constantFrom('', 'draft=true', 'draft=true&format=xml', 'draft=maybe', 'format=pdf'), month, fc.oneof(fc.constantFrom('v1.pdf', 'v1.json', 'v0.pdf', 'v9999999.html'), oddSegment)),
        send: ([what, body, q, m, file]) => {
          const mm = encodeURIComponent(m.replace(/[\uD800-\uDFFF]/g, '')) || 'x';
          if (what === 'publish') return send('POST', `${kpi()}/api/v1/bulletins?${q}`, { token: t.province, json: body });
          if (what === 'list') return send('GET', `${kpi()}/api/v1/bulletins?month=${mm}`, { token: t.companyHC0001 });
          return send('GET', `${kpi()}/api/v1/bulletins/${mm}/${file}`, { token: t.cityShenyang });
        },
        runs: 20,
      });
    });
  });

  describe('every service: operations and SMS logs', () => {
    it('GET /ops/dead-letters, /ops/outbox and /api/v1/sms/messages with odd limits', async () => {
      for (const service of ['intake', 'dispatch', 'sms-survey', 'kpi'] as const) {
        await fuzzEndpoint(suite, {
          name: `${service} ops`,
          service,
          input: fc.tuple(fc.constantFrom('/ops/dead-letters', '/ops/outbox', '/api/v1/sms/messages'), fc.oneof(fc.constantFrom('0', '-5', '1e9', '99999999999999999999', '', '12abc'), oddText(10))),
          send: ([path, limit]) =>
            service === 'kpi' && path === '/api/v1/sms/messages'
              ? send('GET', `${suite.urls[service]}/ops/outbox`, { token: t.province })
              : send('GET', `${suite.urls[service]}${path}?limit=${encodeURIComponent(limit.replace(/[\uD800-\uDFFF]/g, ''))}`, { token: t.province }),
          runs: 6,
        });
      }
    });
  });
});
