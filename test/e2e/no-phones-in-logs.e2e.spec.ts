import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PHONE_VAULT } from '#shared';
import type { PhoneVault } from '#shared';
import { startTestSuite } from '../support/embedded-suite.js';
import type { TestSuite } from '../support/embedded-suite.js';
import { eventually } from '../support/eventually.js';
import { closeCase, dispatchedCase, fileComplaint, signTokens, surveyLinkToken } from '../support/flows.js';
import { send } from '../support/fuzz.js';
import { call } from '../support/http.js';
import { confirmCode, latestCode, requestCode } from '../support/intake-helpers.js';
import { findMobileNumbers, linesWithMobileNumbers } from '../support/phone-scan.js';
import { HC0001_COMMUNITY, hotlineComplaint } from '../support/thin-loop.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/*
 * Phone numbers are personal data (PIPL): never in logs. A representative day runs with every log
 * line captured at the most verbose level — verification codes (and a wrong one, a limited one),
 * filing by web and hotline, look-ups by caller number written every way operators write it,
 * dispatch with a signed webhook, feedback, survey SMS, replies through both providers' callbacks,
 * a web rating, a bad rating, an outage notice, refused and malformed requests, a poison message —
 * then every line is scanned for a mainland mobile number in any spelling.
 */

const CALLBACK_TOKEN = 'logs-callback-token-8d3f1a6c2e9b';
const P = {
  web: '13712370001',
  hotline: '13712370002',
  spoken: '13712370003',
  rated: '13712370004',
  stranger: '13712370005',
  limited: '13712370006',
  twice: '13712370007',
} as const;
const spaced = (p: string) => `${p.slice(0, 3)} ${p.slice(3, 7)} ${p.slice(7)}`;
const dashed = (p: string) => `${p.slice(0, 3)}-${p.slice(3, 7)}-${p.slice(7)}`;

describe('no phone number reaches a log line, in any spelling, through a whole working day', () => {
  let suite: TestSuite;
  const lines: string[] = [];
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    suite = await startTestSuite(
      'no-phones-in-logs',
      {
        LOG_LEVEL: 'trace',
        SMS_CALLBACK_TOKEN: CALLBACK_TOKEN,
        SMS_CALLBACK_ALLOWED_IPS: '127.0.0.1,::1,203.0.113.0/24',
        RATE_LIMIT_VERIFICATION_SEND_PHONE: '2/1h',
      },
      { logDestination: { write: (line: string) => void lines.push(line) } },
    );
    const t = await signTokens(suite.tokens);
    const { intake, dispatch } = suite.urls;
    const smsSurvey = suite.urls['sms-survey'];

    // 实名: a code for a number written with +86 and dashes, one wrong try, then the right code.
    const requested = await requestCode(intake, `+86 ${dashed(P.web)}`, '203.0.113.10');
    expect(requested.status).toBe(202);
    expect((await confirmCode(intake, requested.body.verificationId, '000000')).status).toBeGreaterThanOrEqual(400);
    const code = await latestCode({ intakeUrl: intake, tokens: suite.tokens }, P.web);
    const confirmed = await confirmCode(intake, requested.body.verificationId, code);
    expect(confirmed.status).toBe(200);
    const resident = confirmed.body.token as string;
    // Limits: the second request is too soon (database), the third hits the per-phone limit.
    for (const expected of [202, 429, 429]) expect((await requestCode(intake, spaced(P.limited), '203.0.113.11')).status).toBe(expected);
    expect((await requestCode(intake, '137 1237', '203.0.113.12')).status).toBe(400);

    // A company endpoint that receives the signed webhooks (they carry the full number).
    const hook = await call('PUT', `${dispatch}/api/v1/companies/me/webhook`, t.companyHC0001, { url: await receiver.start() });
    receiver.secret = hook.body.secret;

    // Filing: web (the description names other numbers), hotline with a dashed caller number, a repeat.
    const web = await call('POST', `${intake}/api/v1/me/complaints`, resident, {
      ...hotlineComplaint(P.web),
      callerPhone: undefined,
      channel: 'web',
      description: `卧室 15 度，请回电 ${spaced(P.web)}，或打我家人电话 +86-${dashed(P.spoken)}`,
      contactName: '王女士',
    });
    expect(web.status).toBe(201);
    const hotlineBody = { ...hotlineComplaint(dashed(P.hotline)), description: `来电人说邻居 ${P.spoken} 家也不热` };
    hotlineBody.address.room = '702';
    const hotline = await call('POST', `${intake}/api/v1/complaints`, t.operator, hotlineBody, { 'idempotency-key': 'call-20261129-0001' });
    expect(hotline.status).toBe(201);
    expect((await call('POST', `${intake}/api/v1/complaints`, t.operator, hotlineBody)).body.outcome).toBe('duplicate');
    expect((await call('POST', `${intake}/api/v1/complaints`, t.operator, { ...hotlineBody, callerPhone: '137-1237-000' })).status).toBe(400);

    // Look-ups by caller number, written the ways operators type them.
    for (const written of [P.hotline, dashed(P.hotline), spaced(P.hotline), `+86 ${P.hotline}`, `+86-${dashed(P.hotline)}`]) {
      expect((await call('GET', `${intake}/api/v1/complaints?callerPhone=${encodeURIComponent(written)}`, t.operator)).status).toBe(200);
    }
    expect((await send('GET', `${intake}/api/v1/complaints?callerPhone=${dashed(P.hotline)}`, { token: t.operator })).status).toBe(200);

    // Dispatch: the company contacts the resident and closes the hotline case; the survey goes out.
    await dispatchedCase(suite, hotline.body.caseId);
    await eventually(async () => receiver.received.find((w) => w.payload.data.caseId === hotline.body.caseId), 30_000, 'the webhook');
    expect((await call('POST', `${dispatch}/api/v1/cases/${hotline.body.caseId}/contacts`, t.companyHC0001, { outcome: 'reached', note: `已电话联系 ${spaced(P.hotline)}` })).status).toBe(200);
    await closeCase(suite, t.companyHC0001, hotline.body.caseId);
    const link = await surveyLinkToken(suite, hotline.body.caseNumber);
    expect((await send('GET', `${smsSurvey}/r/${link}`)).status).toBe(200);

    // Replies through the providers' callbacks (the payloads carry the number in their own spellings).
    const aliyun = (body: unknown, token = CALLBACK_TOKEN, ip?: string) =>
      send('POST', `${smsSurvey}/api/v1/sms/callbacks/aliyun/${token}`, { json: body, headers: ip ? { 'x-forwarded-for': ip } : {} });
    const tencent = (body: unknown, token = CALLBACK_TOKEN) => send('POST', `${smsSurvey}/api/v1/sms/callbacks/tencent/${token}`, { json: body });
    const item = (phone: string, content: string, seq: number) => ({ phone_number: phone, content, send_time: '2026-11-29 10:00:00', dest_code: '', sequence_id: seq, sign_name: '供热直通车' });
    expect((await aliyun([item(`+86${P.hotline}`, '2 基本满意', 700_001), item(P.stranger, `我是 ${spaced(P.stranger)}`, 700_002)])).status).toBe(200);

    // A second case rated 不满意 by a Tencent reply: the bad-rating follow-up starts.
    const rated = await fileComplaint(suite, t.operator, P.rated, HC0001_COMMUNITY);
    await closeCase(suite, t.companyHC0001, rated.caseId);
    await surveyLinkToken(suite, rated.caseNumber);
    expect((await tencent({ extend: '', mobile: P.rated, nationcode: '86', sign: '供热直通车', text: `3 还是冷，打 ${P.rated}`, time: Math.floor(Date.now() / 1000) })).status).toBe(200);
    const badRating = await eventually(async () => (await suite.db('dispatch').query(`SELECT id FROM bad_rating WHERE case_id = $1`, [rated.caseId]))[0]?.id as string | undefined, 60_000, 'the bad rating');
    expect((await call('POST', `${dispatch}/api/v1/bad-ratings/${badRating}/callback`, t.companyHC0001, { outcome: 'reached', residentDemand: `要求退费，联系 ${dashed(P.rated)}` })).status).toBe(200);

    // The web resident's area loses heat: the authority opens an incident, residents are texted.
    const webCase = await dispatchedCase(suite, web.body.caseId);
    expect(webCase.company_id).toBe('HC0001');
    const [station] = await suite.db('dispatch').query(`SELECT c.station_id AS id FROM community c WHERE c.name = $1 AND c.company_id = 'HC0001'`, [HC0001_COMMUNITY.communityName]);
    expect((await call('POST', `${dispatch}/api/v1/incidents`, t.cityShenyang, { title: '管网抢修', cause: '一次网漏水', stationIds: [station.id], expectedRestorationAt: new Date(Date.now() + 4 * 3600_000).toISOString() })).status).toBe(201);
    const webPhoneHash = (suite.apps.dispatch.get(PHONE_VAULT) as PhoneVault).hash(P.web);
    await eventually(async () => ((await suite.db('dispatch').query(`SELECT 1 FROM sms_message WHERE phone_hash = $1 AND status = 'sent'`, [webPhoneHash])).length > 0 ? true : undefined), 60_000, 'the outage SMS');

    // Refused and malformed requests that carry numbers.
    expect((await aliyun([item(P.stranger, '1', 700_003)], 'wrong-token')).status).toBe(401);
    expect((await aliyun([item(P.stranger, '1', 700_004)], CALLBACK_TOKEN, '198.51.100.7')).status).toBe(403);
    expect((await send('POST', `${smsSurvey}/api/v1/sms/callbacks/tencent/${CALLBACK_TOKEN}`, { raw: `{"mobile":"${P.stranger}","text":"1",` })).status).toBe(400);
    expect((await tencent({ mobile: P.stranger, nationcode: '1', text: '1', time: 1 })).status).toBe(200);
    expect((await tencent([{ mobile: spaced(P.stranger) }, 'not an item'])).status).toBe(200);
    expect((await call('POST', `${smsSurvey}/api/v1/sms/console/replies`, t.province, { phone: dashed(P.twice), text: `${P.twice} 1` })).status).toBe(200);
    expect((await call('POST', `${intake}/api/v1/complaints`, t.operator, `{"callerPhone":"${P.twice}",`)).status).toBe(400);
    // kpi counts the day; the province reads a company's figures.
    await eventually(async () => ((await call('GET', `${suite.urls.kpi}/api/v1/indicators/company/HC0001`, t.province)).status === 200 ? true : undefined), 60_000, 'kpi to count the day');
    // A poison message naming a number is dead-lettered (and logged with its reason).
    suite.bus.publishRaw('complaint.received', JSON.stringify({ phone: P.twice, note: `call ${spaced(P.twice)}` }));
    await suite.settle();
  }, 300_000);

  afterAll(async () => {
    await suite?.stop();
    await receiver.stop();
  });

  it('the scanner finds numbers in every spelling used above (so a clean scan means something)', () => {
    for (const written of [P.web, spaced(P.web), dashed(P.web), `+86 ${P.web}`, `+86-${dashed(P.web)}`, `0086${P.web}`, encodeURIComponent(`+86 ${spaced(P.web)}`), `137%2D1237%2D0001`]) {
      expect([written, findMobileNumbers(`{"msg":"x ${written} y"}`).length]).toEqual([written, 1]);
    }
    expect(findMobileNumbers('{"time":1795966268962,"id":"b140a87d-7404-4190-a92b-87dd068f295d","caseNumber":"GR-20261129-000123","at":"2026-11-29T13:71:23.000Z"}')).toEqual([]);
  });

  it('logs were captured from all four services, at the most verbose level, with numbers masked', () => {
    const joined = lines.join('');
    for (const service of ['intake', 'dispatch', 'sms-survey', 'kpi']) expect(joined).toContain(`"service":"${service}"`);
    expect(lines.length).toBeGreaterThan(200);
    expect(joined).toMatch(/137\*{4}0002/);
  });

  it('no log line holds a full mobile number in any spelling (offending lines are listed, masked)', () => {
    expect(linesWithMobileNumbers(lines)).toEqual([]);
  });
});
