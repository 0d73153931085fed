import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { PHONE_VAULT, shanghaiMonth } from '#shared';
import type { PhoneVault } from '#shared';
import { startEmbeddedSuite } from '../../apps/embedded/src/suite.js';
import type { EmbeddedSuite } from '../../apps/embedded/src/suite.js';
import { eventually } from '../support/eventually.js';
import { call } from '../support/http.js';
import { columnsWithPlaintextPhones } from '../support/stored-phones.js';
import { hotlineComplaint, temperatureSlip } from '../support/thin-loop.js';

/*
 * Residents' replies through the providers' reply callbacks, on the embedded suite. Embedded mode
 * keeps the console gateway (nothing is sent) but the callbacks answer only with a token: the
 * suite starts with SMS_CALLBACK_TOKEN (without one, callbacks are closed — docs/sms.md) and an
 * allow-list (loopback plus a test range; TRUST_PROXY=loopback lets a test play other addresses).
 */

const TOKEN = 'e2e-callback-token-7f3a9c2d5b8e';
const ALLOWED_RANGE_IP = '203.0.113.9';
const ENV = {
  INTAKE_PORT: '0',
  DISPATCH_PORT: '0',
  SMS_SURVEY_PORT: '0',
  KPI_PORT: '0',
  LOG_LEVEL: 'debug',
  SMS_CALLBACK_TOKEN: TOKEN,
  SMS_CALLBACK_ALLOWED_IPS: '127.0.0.1,::1,203.0.113.0/24',
  OUTAGE_SUSPECT_HOUSEHOLDS: '10000',
};
const ALIYUN_OK = { code: 0, msg: '接收成功' };
const TENCENT_OK = { result: 0, errmsg: 'OK' };

const ALIYUN_PHONE = '13912340001';
const TENCENT_PHONE = '13912340002';
const UNKNOWN_PHONE = '13912349999';

describe('SMS reply callbacks (Aliyun SmsUp, Tencent) on the embedded suite', () => {
  let suite: EmbeddedSuite;
  let dataDir: string;
  let smsDb: DataSource;
  let province: string;
  const logLines: string[] = [];
  let room = 100;
  let sequence = 900_000_000;

  const aliyun = (body: unknown, token = TOKEN, headers: Record<string, string> = {}) =>
    call('POST', `${suite.urls['sms-survey']}/api/v1/sms/callbacks/aliyun/${token}`, undefined, body, headers);
  const tencent = (body: unknown, token = TOKEN, headers: Record<string, string> = {}) =>
    call('POST', `${suite.urls['sms-survey']}/api/v1/sms/callbacks/tencent/${token}`, undefined, body, headers);
  const aliyunItem = (phone: string, content: string, seq = ++sequence) => ({
    phone_number: phone,
    content,
    send_time: '2026-11-29 10:00:00',
    dest_code: '1234',
    sequence_id: seq,
    sign_name: '供热直通车',
  });
  const tencentItem = (phone: string, text: string, time = Math.floor(Date.now() / 1000)) => ({ extend: '', mobile: phone, nationcode: '86', sign: '供热直通车', text, time });
  const sql = (query: string, params: unknown[] = []) => smsDb.query(query, params) as Promise<any[]>;
  const count = async (query: string, params: unknown[] = []) => Number((await sql(query, params))[0].n);
  const receipts = () => count('SELECT count(*)::int AS n FROM sms_inbound_receipt');
  const inboundMessages = () => count(`SELECT count(*)::int AS n FROM sms_message WHERE direction = 'in'`);
  /** The blind index sms-survey stores a number under (its columns phone_hash). */
  const hashOf = (phone: string) => (suite.apps['sms-survey'].get(PHONE_VAULT) as PhoneVault).hash(phone);

  /** A resident's case travels to closure; resolves once the survey SMS went out to `phone`. */
  async function closedCaseAwaitingRating(phone: string): Promise<{ caseNumber: string; surveyId: string }> {
    const operator = await suite.tokens.sign({ sub: 'op-7', role: 'operator' }, 600);
    const company = await suite.tokens.sign({ sub: 'duty-HC0001', role: 'company', unitId: 'HC0001' }, 600);
    const complaint = hotlineComplaint(phone);
    complaint.address.room = String(++room);
    const filed = await call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, complaint);
    expect(filed.status).toBe(201);
    const { caseId, caseNumber } = filed.body;
    await eventually(async () => {
      const r = await call('POST', `${suite.urls.dispatch}/api/v1/cases/${caseId}/feedback`, company, {
        resolution: 'fixed',
        summary: '已入户调整阀门，复测卧室 19.5℃',
        temperatureSlip: temperatureSlip(),
      });
      return r.status === 200 ? r.body : undefined;
    }, 60_000, 'the company feedback that closes the case');
    const [survey] = await eventually(async () => {
      const rows = await sql(
        `SELECT s.id FROM survey s JOIN sms_message m ON m.survey_id = s.id AND m.direction = 'out' AND m.status = 'sent'
         WHERE s.case_number = $1 AND s.status = 'awaiting_reply'`,
        [caseNumber],
      );
      return rows.length > 0 ? rows : undefined;
    }, 60_000, 'the survey SMS');
    return { caseNumber, surveyId: survey.id };
  }

  /** survey.rated events sms-survey published (its outbox) for one survey. */
  const ratedEvents = (surveyId: string) => count(`SELECT count(*)::int AS n FROM outbox_message WHERE event_type = 'survey.rated' AND payload->>'surveyId' = $1`, [surveyId]);
  const surveyOf = async (surveyId: string) => (await sql('SELECT status, rating, comment FROM survey WHERE id = $1', [surveyId]))[0];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'heating-sms-callbacks-'));
    suite = await startEmbeddedSuite({ dataDir, env: { ...process.env, ...ENV }, logDestination: { write: (line: string) => void logLines.push(line) } });
    smsDb = suite.apps['sms-survey'].get(DataSource);
    province = await suite.tokens.sign({ sub: 'prov', role: 'province' }, 3600);
  }, 120_000);

  afterAll(async () => {
    await suite?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('Aliyun SmsUp push', () => {
    let aliyunSurvey: { caseNumber: string; surveyId: string };
    let batch: unknown[];

    it('a batch with a rating reply lands on the survey: answered {"code":0,"msg":"接收成功"}, rated, thanked, counted by kpi', async () => {
      aliyunSurvey = await closedCaseAwaitingRating(ALIYUN_PHONE);
      batch = [aliyunItem(ALIYUN_PHONE, '1 谢谢师傅'), aliyunItem(UNKNOWN_PHONE, '你好')];
      const r = await aliyun(batch);
      expect(r).toEqual({ status: 200, body: ALIYUN_OK });
      expect(await surveyOf(aliyunSurvey.surveyId)).toEqual({ status: 'rated', rating: 'satisfied', comment: '谢谢师傅' });
      const thanks = await eventually(async () => {
        const sms = (await call('GET', `${suite.urls['sms-survey']}/api/v1/sms/messages?limit=500`, province)).body as any[];
        return sms.find((m) => m.direction === 'out' && m.template === 'rating_thanks' && m.text.includes(aliyunSurvey.caseNumber) && m.status === 'sent');
      }, 60_000, 'the thank-you SMS');
      expect(thanks.text).toBe(`【供热直通车】感谢您对工单${aliyunSurvey.caseNumber}的评价。`);
      expect(await ratedEvents(aliyunSurvey.surveyId)).toBe(1);
      // kpi counts it once the event travelled (slower when the machine is busy).
      const kpi = await eventually(async () => {
        const k = await call('GET', `${suite.urls.kpi}/api/v1/indicators/company/HC0001?month=${shanghaiMonth(new Date())}`, province);
        return k.body.counts?.rated >= 1 ? k.body : undefined;
      }, 60_000, 'kpi to count the rating');
      expect(kpi.counts.satisfied).toBe(1);
    }, 180_000);

    it('the receipt records the provider message once, with what the survey made of it', async () => {
      const rows = await sql(`SELECT provider, receipt_key, phone_hash, text, status, outcome, dest_code, sign_name FROM sms_inbound_receipt WHERE phone_hash = $1`, [hashOf(ALIYUN_PHONE)]);
      expect(rows).toEqual([
        { provider: 'aliyun', receipt_key: String((batch[0] as any).sequence_id), phone_hash: hashOf(ALIYUN_PHONE), text: '1 谢谢师傅', status: 'handled', outcome: 'rated', dest_code: '1234', sign_name: '供热直通车' },
      ]);
    });

    it('a redelivered batch (same sequence_id) is answered OK again and changes nothing: one rating, one thanks, one receipt', async () => {
      const before = { receipts: await receipts(), inbound: await inboundMessages() };
      expect(await aliyun(batch)).toEqual({ status: 200, body: ALIYUN_OK });
      expect(await aliyun(batch)).toEqual({ status: 200, body: ALIYUN_OK });
      expect({ receipts: await receipts(), inbound: await inboundMessages() }).toEqual(before);
      expect(await count(`SELECT count(*)::int AS n FROM sms_message WHERE template = 'rating_thanks' AND text LIKE $1`, [`%${aliyunSurvey.caseNumber}%`])).toBe(1);
      expect(await ratedEvents(aliyunSurvey.surveyId)).toBe(1);
    });

    it('a reply from a phone with no survey is stored as inbound (receipt and sms_message) but applied to nothing, and not answered', async () => {
      const [receipt] = await sql('SELECT status, outcome FROM sms_inbound_receipt WHERE phone_hash = $1', [hashOf(UNKNOWN_PHONE)]);
      expect(receipt).toEqual({ status: 'handled', outcome: 'no_open_survey' });
      expect(await count(`SELECT count(*)::int AS n FROM sms_message WHERE phone_hash = $1 AND direction = 'in' AND survey_id IS NULL`, [hashOf(UNKNOWN_PHONE)])).toBe(1);
      expect(await count(`SELECT count(*)::int AS n FROM sms_message WHERE phone_hash = $1 AND direction = 'out'`, [hashOf(UNKNOWN_PHONE)])).toBe(0);
    });

    it('a wrong token is 401 in Aliyun\'s format, logged without the phone, and nothing is stored', async () => {
      const before = { receipts: await receipts(), inbound: await inboundMessages() };
      const r = await aliyun([aliyunItem(ALIYUN_PHONE, '3')], 'not-the-token-0000000000000000');
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ code: 401, msg: '回调认证失败' });
      expect({ receipts: await receipts(), inbound: await inboundMessages() }).toEqual(before);
      const warning = logLines.find((l) => l.includes('aliyun callback refused (wrong_token)'));
      expect(warning).toBeDefined();
      expect(warning).not.toContain(ALIYUN_PHONE);
    });

    it('a replayed batch with a forged token is refused the same way (401), whatever it carries', async () => {
      expect((await aliyun(batch, `${TOKEN}x`)).status).toBe(401);
      expect((await aliyun(batch, TOKEN.slice(1))).status).toBe(401);
    });

    it('a caller outside SMS_CALLBACK_ALLOWED_IPS (X-Forwarded-For from the trusted loopback proxy) is 403, inside it is accepted', async () => {
      const before = await receipts();
      const outside = await aliyun([aliyunItem(UNKNOWN_PHONE, '你好')], TOKEN, { 'x-forwarded-for': '198.51.100.7' });
      expect(outside).toEqual({ status: 403, body: { code: 403, msg: '来源地址不在回调白名单内' } });
      expect(await receipts()).toBe(before);
      const inside = await aliyun([aliyunItem(UNKNOWN_PHONE, '你好')], TOKEN, { 'x-forwarded-for': ALLOWED_RANGE_IP });
      expect(inside).toEqual({ status: 200, body: ALIYUN_OK });
      expect(await receipts()).toBe(before + 1);
    });

    it('malformed JSON is 400 in Aliyun\'s format, not a 500 and not {code,message}', async () => {
      const r = await aliyun('[{"phone_number": "13912340001", "content": ');
      expect(r).toEqual({ status: 400, body: { code: 400, msg: '请求体格式不正确' } });
    });

    it('malformed JSON with a wrong token is still 401 (authentication comes first)', async () => {
      expect(await aliyun('[{', 'wrong-token-00000000000000000000')).toEqual({ status: 401, body: { code: 401, msg: '回调认证失败' } });
    });

    it('a body that is not an array is 400 in Aliyun\'s format', async () => {
      expect(await aliyun({ phone_number: ALIYUN_PHONE, content: '1', sequence_id: 1 })).toEqual({ status: 400, body: { code: 400, msg: '请求体格式不正确' } });
    });

    it('malformed items are skipped and logged, the valid ones stored, and the batch is acknowledged', async () => {
      const before = await receipts();
      const r = await aliyun([{ content: '1' }, 'x', aliyunItem(UNKNOWN_PHONE, '在吗'), { phone_number: UNKNOWN_PHONE, sequence_id: 5 }]);
      expect(r).toEqual({ status: 200, body: ALIYUN_OK });
      expect(await receipts()).toBe(before + 1);
      expect(logLines.some((l) => l.includes('aliyun callback: item 0: no sequence_id'))).toBe(true);
    });

    it('a reply from a number that is not a mainland mobile is kept as rejected, applied to nothing', async () => {
      const item = aliyunItem('+1 415 555 0100', '1');
      expect(await aliyun([item])).toEqual({ status: 200, body: ALIYUN_OK });
      const [row] = await sql('SELECT phone_enc, status, problem FROM sms_inbound_receipt WHERE provider = $1 AND receipt_key = $2', ['aliyun', String(item.sequence_id)]);
      expect(row).toEqual({ phone_enc: null, status: 'rejected', problem: 'not_a_mainland_mobile' });
    });
  });

  describe('Tencent reply callback', () => {
    it('one object {extend, mobile, nationcode, sign, text, time} rates the survey; answered {"result":0,"errmsg":"OK"}', async () => {
      const { surveyId } = await closedCaseAwaitingRating(TENCENT_PHONE);
      const item = tencentItem(TENCENT_PHONE, '３，还是不热');
      expect(await tencent(item)).toEqual({ status: 200, body: TENCENT_OK });
      expect(await surveyOf(surveyId)).toEqual({ status: 'rated', rating: 'dissatisfied', comment: '还是不热' });
      // Redelivered, alone or inside an array: recognised by mobile, time and text.
      const before = { receipts: await receipts(), inbound: await inboundMessages() };
      expect(await tencent(item)).toEqual({ status: 200, body: TENCENT_OK });
      expect(await tencent([item])).toEqual({ status: 200, body: TENCENT_OK });
      expect({ receipts: await receipts(), inbound: await inboundMessages() }).toEqual(before);
      expect(await count(`SELECT count(*)::int AS n FROM sms_inbound_receipt WHERE provider = 'tencent' AND phone_hash = $1`, [hashOf(TENCENT_PHONE)])).toBe(1);
      expect(await ratedEvents(surveyId)).toBe(1);
    }, 120_000);

    it('an array of replies is stored reply by reply', async () => {
      const before = await receipts();
      const t = Math.floor(Date.now() / 1000);
      expect(await tencent([tencentItem(UNKNOWN_PHONE, '一', t), tencentItem(UNKNOWN_PHONE, '二', t)])).toEqual({ status: 200, body: TENCENT_OK });
      expect(await receipts()).toBe(before + 2);
    });

    it('a reply from outside China (nationcode not 86) is kept as rejected, never applied', async () => {
      const item = { ...tencentItem(TENCENT_PHONE, '1'), nationcode: '852' };
      expect(await tencent(item)).toEqual({ status: 200, body: TENCENT_OK });
      const rows = await sql(`SELECT phone_enc, status, problem FROM sms_inbound_receipt WHERE provider = 'tencent' AND problem IS NOT NULL`);
      expect(rows).toEqual([{ phone_enc: null, status: 'rejected', problem: 'not_from_china_86' }]);
    });

    it('a wrong token is 401 in Tencent\'s format', async () => {
      expect(await tencent(tencentItem(TENCENT_PHONE, '1'), 'nope-nope-nope-nope-nope-nope')).toEqual({ status: 401, body: { result: 401, errmsg: '回调认证失败' } });
    });

    it('malformed JSON is 400 in Tencent\'s format', async () => {
      expect(await tencent('{"mobile": "139')).toEqual({ status: 400, body: { result: 400, errmsg: '请求体格式不正确' } });
    });
  });

  describe('oversize texts', () => {
    it('a reply over 500 characters is kept cut to 500 with its flag and length, and still acknowledged (no endless redelivery)', async () => {
      const long = `你好${'暖气一直不热，'.repeat(120)}`;
      const item = aliyunItem(UNKNOWN_PHONE, long);
      expect(await aliyun([item])).toEqual({ status: 200, body: ALIYUN_OK });
      const [row] = await sql('SELECT text, truncated, original_length FROM sms_inbound_receipt WHERE receipt_key = $1', [String(item.sequence_id)]);
      expect(row.truncated).toBe(true);
      expect(row.original_length).toBe(Array.from(long).length);
      expect(Array.from(row.text as string)).toHaveLength(500);
    });

    it('a body over 1 MB is 413 in the provider\'s format', async () => {
      const huge = [aliyunItem(UNKNOWN_PHONE, 'x'.repeat(1_100_000))];
      expect(await aliyun(huge)).toEqual({ status: 413, body: { code: 413, msg: '请求体过大' } });
    });
  });

  describe('phone numbers at rest (docs/security.md)', () => {
    it('after the replies above (rated, unknown, redelivered, rejected) no table of sms-survey holds a number in clear, in any column', async () => {
      const tables = (await sql(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)) as Array<{ tablename: string }>;
      expect(await receipts()).toBeGreaterThan(5);
      expect(tables.length).toBeGreaterThan(3);
      expect(await columnsWithPlaintextPhones((text, params) => sql(text, params))).toEqual([]);
    });
  });

  describe('robustness', () => {
    it('random JSON bodies to both callbacks never produce a 500, and every answer is in the provider\'s format', async () => {
      const phones = fc.constantFrom(UNKNOWN_PHONE, '13912348888', '+8613912347777', '02412345678', '', 'x');
      const field = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.integer());
      const aliyunLike = fc.record(
        { phone_number: fc.oneof(phones, field), content: fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), field), sequence_id: fc.oneof(fc.nat(), field), send_time: field, dest_code: field },
        { requiredKeys: [] },
      );
      const tencentLike = fc.record(
        { mobile: fc.oneof(phones, field), nationcode: fc.oneof(fc.constantFrom('86', 86, '1'), field), text: fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), field), time: fc.oneof(fc.nat(), field), sign: field, extend: field },
        { requiredKeys: [] },
      );
      const bodies = fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        fc.array(fc.oneof(aliyunLike, fc.jsonValue({ maxDepth: 2 })), { maxLength: 5 }),
        tencentLike,
        fc.array(tencentLike, { maxLength: 5 }),
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('aliyun', 'tencent'), bodies, async (provider, body) => {
          const text = JSON.stringify(body) ?? 'null';
          const r = provider === 'aliyun' ? await aliyun(text) : await tencent(text);
          expect(r.status).toBeLessThan(500);
          if (provider === 'aliyun') expect(Object.keys(r.body).sort()).toEqual(['code', 'msg']);
          else expect(Object.keys(r.body).sort()).toEqual(['errmsg', 'result']);
          expect(r.status === 200).toBe(provider === 'aliyun' ? r.body.code === 0 : r.body.result === 0);
        }),
        { numRuns: 120 },
      );
    }, 120_000);

    it('the logs of all of this never carry a resident\'s full phone number', () => {
      const joined = logLines.join('');
      expect(joined).toContain('aliyun callback:');
      for (const phone of [ALIYUN_PHONE, TENCENT_PHONE, UNKNOWN_PHONE]) expect(joined).not.toContain(phone);
    });
  });
});
