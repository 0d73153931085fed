import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { CATEGORIES, CATEGORY_LABELS, ManualClock, PHONE_VAULT, shanghaiDateStamp, TokenService } from '#shared';
import type { PhoneVault } from '#shared';
import { startEmbeddedSuite } from '../../apps/embedded/src/suite.js';
import type { EmbeddedSuite } from '../../apps/embedded/src/suite.js';
import { eventually } from '../support/eventually.js';
import { temperatureSlip } from '../support/thin-loop.js';
import { call } from '../support/http.js';
import { confirmCode, latestCode, masked, postRaw, requestCode, tinyPng, verifyPhone } from '../support/intake-helpers.js';
import { columnsWithPlaintextPhones } from '../support/stored-phones.js';

/*
 * Intake, end to end (issue "intake"; DOMAIN.md §3 step 1, §5): 实名 phone verification, the
 * complaint record by hotline and by web/app, photos, duplicates, consultations answered on the
 * call, status, Idempotency-Key, and bad input. One embedded suite for the whole file, on a
 * manual clock so code expiry, resend cooldown and the daily limit can be reached without waiting.
 */

const ANY_PORT = { INTAKE_PORT: '0', DISPATCH_PORT: '0', SMS_SURVEY_PORT: '0', KPI_PORT: '0', LOG_LEVEL: 'silent', OUTBOX_POLL_MS: '100' };
const CASE_NUMBER = /^GR-\d{8}-\d{6}$/;
const CHINESE = /[\u4e00-\u9fff]/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** 沈阳市和平区, a community served by HC0001 in the demo registry. */
const ADDRESS = { cityCode: '210100', districtCode: '210102', street: '南京南街 12 号', building: '3 号楼', unit: '2 单元', room: '501' };

function fields(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'complaint',
    category: 'too_cold',
    communityName: '金地小区',
    address: { ...ADDRESS },
    description: '卧室只有 15 度，暖气片不热',
    contactName: '王女士',
    indoorTemperatureC: 15,
    ...overrides,
  };
}
const hotline = (callerPhone: string, overrides: Record<string, unknown> = {}) => ({ callerPhone, ...fields(overrides) });
const web = (overrides: Record<string, unknown> = {}, channel = 'web') => ({ channel, ...fields(overrides) });

/** Every phone and client address of this file is new: masked numbers (138****NNNN) stay unique in the SMS mailbox. */
let phoneSeq = 0;
const newPhone = () => `1381300${String(++phoneSeq).padStart(4, '0')}`;
let ipSeq = 0;
const newIp = () => `203.0.${Math.floor(++ipSeq / 250)}.${(ipSeq % 250) + 1}`;

describe('intake (embedded suite, manual clock)', () => {
  let suite: EmbeddedSuite;
  let dataDir: string;
  let db: DataSource;
  let vault: PhoneVault;
  let intake: string;
  let dispatch: string;
  let operator: string;
  let province: string;
  const clock = new ManualClock('2026-11-29T02:00:00Z');

  const sql = async <T = any>(query: string, params: unknown[] = []): Promise<T[]> => db.query(query, params);
  const complaintCount = async () => Number((await sql('SELECT count(*)::int AS n FROM complaint'))[0].n);
  const smsCount = async () => Number((await sql('SELECT count(*)::int AS n FROM sms_message'))[0].n);
  const residentToken = (phone: string) => suite.tokens.sign({ sub: `resident-${phone}`, role: 'resident', phone }, 600);
  const verify = (phone: string) => verifyPhone({ intakeUrl: intake, tokens: suite.tokens }, phone, newIp());
  const codeFor = (phone: string) => latestCode({ intakeUrl: intake, tokens: suite.tokens }, phone);
  const fileHotline = (body: unknown, headers: Record<string, string> = {}, token = operator) =>
    call('POST', `${intake}/api/v1/complaints`, token, body, headers);
  const fileWeb = (token: string, body: unknown, headers: Record<string, string> = {}) =>
    call('POST', `${intake}/api/v1/me/complaints`, token, body, headers);
  const byNumber = (caseNumber: string) => call('GET', `${intake}/api/v1/complaints/${caseNumber}`, operator);
  const dispatchCases = async (): Promise<any[]> => (await call('GET', `${dispatch}/api/v1/cases?limit=200`, province)).body.items;
  /** Waits until dispatch holds `caseId`: everything intake published before it has been consumed too. */
  const reachedDispatch = (caseId: string) =>
    eventually(async () => (await dispatchCases()).find((c) => c.caseId === caseId), 15_000, `case ${caseId} at dispatch`);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'heating-intake-e2e-'));
    suite = await startEmbeddedSuite({ dataDir, env: { ...process.env, ...ANY_PORT }, clock });
    db = suite.apps.intake.get(DataSource);
    vault = suite.apps.intake.get(PHONE_VAULT);
    intake = suite.urls.intake;
    dispatch = suite.urls.dispatch;
    operator = await suite.tokens.sign({ sub: 'op-intake-e2e', role: 'operator' }, 3600);
    province = await suite.tokens.sign({ sub: 'prov-intake-e2e', role: 'province' }, 3600);
  }, 120_000);

  afterAll(async () => {
    await suite?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // ───────────────────────────────────────────────────────────────────────────── 实名
  describe('phone verification (实名): a 6-digit SMS code, valid 5 min, 5 tries, 60 s cooldown, 10 a day', () => {
    it('a code requested for a mainland mobile arrives by SMS, is stored only as a hash, and buys a resident token bound to that phone', async () => {
      const phone = newPhone();
      const requested = await requestCode(intake, phone, newIp());
      expect(requested.status).toBe(202);
      expect(requested.body).toEqual({ verificationId: expect.stringMatching(UUID), expiresInSeconds: 300, resendAfterSeconds: 60 });

      const code = await codeFor(phone);
      expect(code).toMatch(/^\d{6}$/);
      expect(JSON.stringify(requested.body)).not.toContain(code); // the code travels by SMS only
      const [row] = await sql('SELECT code_hash, phone_enc, phone_hash, status FROM phone_verification WHERE id = $1', [requested.body.verificationId]);
      expect(row.status).toBe('pending');
      expect([vault.open(row.phone_enc), row.phone_hash]).toEqual([phone, vault.hash(phone)]); // the number too is stored sealed
      expect(row.code_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.code_hash).not.toContain(code);

      const confirmed = await confirmCode(intake, requested.body.verificationId, code);
      expect(confirmed.status).toBe(200);
      expect(confirmed.body.phone).toBe(masked(phone));
      expect(confirmed.body.expiresInSeconds).toBeGreaterThan(0);
      expect(confirmed.body.expiresInSeconds).toBeLessThanOrEqual(2 * 3600); // short-lived
      const claims = JSON.parse(Buffer.from(confirmed.body.token.split('.')[1], 'base64url').toString('utf8'));
      expect(claims).toMatchObject({ role: 'resident', phone });
      expect(claims.exp - claims.iat).toBeLessThanOrEqual(2 * 3600);

      const token = confirmed.body.token as string;
      expect(await call('GET', `${intake}/api/v1/me/complaints`, token)).toEqual({ status: 200, body: [] });
      const filed = await fileWeb(token, web());
      expect(filed.status).toBe(201);
      expect(filed.body.phone).toBe(masked(phone));
      const own = await call('GET', `${intake}/api/v1/me/complaints`, token);
      expect(own.body.map((c: any) => c.caseNumber)).toEqual([filed.body.caseNumber]);
    });

    it('a number written with +86, spaces or dashes is the same mainland mobile', async () => {
      const phone = newPhone();
      const requested = await requestCode(intake, `+86 ${phone.slice(0, 3)}-${phone.slice(3, 7)}-${phone.slice(7)}`, newIp());
      expect(requested.status).toBe(202);
      const confirmed = await confirmCode(intake, requested.body.verificationId, await codeFor(phone));
      expect(confirmed.status).toBe(200);
      expect(confirmed.body.phone).toBe(masked(phone));
    });

    it.each([
      ['an 11-digit number starting 12', '12812345678'],
      ['10 digits', '1381234567'],
      ['12 digits', '138123456789'],
      ['a US number', '+1 415 555 2671'],
      ['a Shenyang landline', '024-2345-6789'],
      ['letters', 'my phone'],
      ['an empty string', ''],
    ])('a phone that is not a mainland mobile (%s) is refused: 400 INVALID_PHONE, field phone, no SMS sent', async (_label, phone) => {
      const before = await smsCount();
      const r = await requestCode(intake, phone, newIp());
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: 'INVALID_PHONE', field: 'phone', message: expect.stringMatching(CHINESE) });
      expect(await smsCount()).toBe(before);
    });

    it('a phone that is not a string, or no phone at all, is refused naming the field phone', async () => {
      for (const body of [{ phone: 13812345678 }, {}, { phone: null }]) {
        const r = await call('POST', `${intake}/api/v1/verifications`, undefined, body, { 'x-forwarded-for': newIp() });
        expect(r.status).toBe(400);
        expect(r.body).toMatchObject({ field: 'phone', message: expect.stringMatching(CHINESE) });
      }
    });

    it('each wrong code says how many tries are left; the 5th wrong try ends the code, even the right code then fails', async () => {
      const phone = newPhone();
      const requested = await requestCode(intake, phone, newIp());
      const code = await codeFor(phone);
      const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
      for (const left of [4, 3, 2, 1]) {
        const r = await confirmCode(intake, requested.body.verificationId, wrong);
        expect(r.status).toBe(400);
        expect(r.body).toMatchObject({ code: 'WRONG_CODE', field: 'code' });
        expect(r.body.message).toContain(`还可尝试 ${left} 次`);
      }
      const fifth = await confirmCode(intake, requested.body.verificationId, wrong);
      expect(fifth.status).toBe(429);
      expect(fifth.body).toMatchObject({ code: 'TOO_MANY_ATTEMPTS', field: 'code' });
      const right = await confirmCode(intake, requested.body.verificationId, code);
      expect(right.status).toBe(429);
      expect(right.body.code).toBe('TOO_MANY_ATTEMPTS');
      expect(right.body.token).toBeUndefined();
    });

    it('a code that was used once is refused the second time: 409 CODE_ALREADY_USED', async () => {
      const phone = newPhone();
      const requested = await requestCode(intake, phone, newIp());
      const code = await codeFor(phone);
      expect((await confirmCode(intake, requested.body.verificationId, code)).status).toBe(200);
      const again = await confirmCode(intake, requested.body.verificationId, code);
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: 'CODE_ALREADY_USED', field: 'code', message: expect.stringMatching(CHINESE) });
      expect(again.body.token).toBeUndefined();
    });

    it('a code is good for 4 min 59 s and expired at 5 min: 410 CODE_EXPIRED', async () => {
      const early = newPhone();
      const first = await requestCode(intake, early, newIp());
      clock.advance(299_000);
      expect((await confirmCode(intake, first.body.verificationId, await codeFor(early))).status).toBe(200);

      const late = newPhone();
      const second = await requestCode(intake, late, newIp());
      clock.advance(300_000);
      const r = await confirmCode(intake, second.body.verificationId, await codeFor(late));
      expect(r.status).toBe(410);
      expect(r.body).toMatchObject({ code: 'CODE_EXPIRED', field: 'code', message: expect.stringMatching(CHINESE) });
    });

    it('a new code within 60 s is refused (429 RESEND_TOO_SOON); after 60 s it is sent and the older code no longer works', async () => {
      const phone = newPhone();
      const ip = newIp();
      const first = await requestCode(intake, phone, ip);
      const firstCode = await codeFor(phone);
      clock.advance(59_000);
      const tooSoon = await requestCode(intake, phone, ip);
      expect(tooSoon.status).toBe(429);
      expect(tooSoon.body).toMatchObject({ code: 'RESEND_TOO_SOON', field: 'phone' });
      expect(tooSoon.body.message).toMatch(/\d+ 秒后/);
      clock.advance(1_000);
      const resent = await requestCode(intake, phone, ip);
      expect(resent.status).toBe(202);
      const secondCode = await codeFor(phone);
      const old = await confirmCode(intake, first.body.verificationId, firstCode);
      expect(old.status).toBe(410);
      expect(old.body).toMatchObject({ code: 'CODE_SUPERSEDED', field: 'code' });
      expect((await confirmCode(intake, resent.body.verificationId, secondCode)).status).toBe(200);
    });

    it('a confirmation with a malformed code, an unknown or a malformed verification id is refused naming the field', async () => {
      const phone = newPhone();
      const requested = await requestCode(intake, phone, newIp());
      const malformed = await confirmCode(intake, requested.body.verificationId, '12345');
      expect(malformed.status).toBe(400);
      expect(malformed.body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'code' });
      const unknown = await confirmCode(intake, randomUUID(), '123456');
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ code: 'VERIFICATION_NOT_FOUND', field: 'verificationId' });
      const notAnId = await confirmCode(intake, 'not-an-id', '123456');
      expect(notAnId.status).toBe(400);
      expect(notAnId.body.field).toBe('verificationId');
      // none of these counted as a wrong try
      expect((await confirmCode(intake, requested.body.verificationId, await codeFor(phone))).status).toBe(200);
    });

    it('the answer is the same for a phone with cases and a phone without: nothing tells them apart', async () => {
      const withCases = newPhone();
      expect((await fileHotline(hotline(withCases))).status).toBe(201);
      const withoutCases = newPhone();
      const a = await requestCode(intake, withCases, newIp());
      const b = await requestCode(intake, withoutCases, newIp());
      expect(a.status).toBe(b.status);
      expect(Object.keys(a.body).sort()).toEqual(Object.keys(b.body).sort());
      expect({ ...a.body, verificationId: 'x' }).toEqual({ ...b.body, verificationId: 'x' });
      const [codeA, codeB] = [await codeFor(withCases), await codeFor(withoutCases)];
      const sms = (await call('GET', `${intake}/api/v1/sms/messages?limit=500`, province)).body as any[];
      const textOf = (p: string) => sms.find((m) => m.phone === masked(p)).text as string;
      expect(textOf(withCases).replace(codeA, '######')).toBe(textOf(withoutCases).replace(codeB, '######'));
    });

    it('at most 10 codes per phone per (Shanghai) day: the 11th is refused with 429 DAILY_LIMIT, the next day works again', async () => {
      const phone = newPhone();
      const ip = newIp();
      for (let i = 0; i < 10; i++) {
        const r = await requestCode(intake, phone, ip);
        expect([i, r.status]).toEqual([i, 202]);
        clock.advance(61_000);
      }
      const eleventh = await requestCode(intake, phone, ip);
      expect(eleventh.status).toBe(429);
      expect(eleventh.body).toMatchObject({ code: 'DAILY_LIMIT', field: 'phone', message: expect.stringMatching(CHINESE) });
      // 00:00:30 the next day in Asia/Shanghai
      const nextDay = new Date(`${shanghaiDateStamp(clock.now()).replace(/(\d{4})(\d{2})(\d{2})/, '$1-$2-$3')}T00:00:30+08:00`);
      nextDay.setUTCDate(nextDay.getUTCDate() + 1);
      clock.set(nextDay);
      expect((await requestCode(intake, phone, ip)).status).toBe(202);
    });

    it('one client address may ask for at most 30 codes an hour (any phones): the 31st is a 429, other addresses are not affected', async () => {
      const ip = newIp();
      for (let i = 0; i < 30; i++) {
        const r = await requestCode(intake, newPhone(), ip);
        expect([i, r.status]).toEqual([i, 202]);
      }
      const limited = await requestCode(intake, newPhone(), ip);
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('IP_LIMIT');
      expect(limited.body.message).toMatch(CHINESE);
      expect((await requestCode(intake, newPhone(), newIp())).status).toBe(202);
      clock.advance(3_601_000);
      expect((await requestCode(intake, newPhone(), ip)).status).toBe(202);
    });
  });

  // ───────────────────────────────────────────────────────────────────────────── web / app
  describe('a verified resident files by web or app and sees only their own cases', () => {
    let phone: string;
    let token: string;
    let webCase: any;

    beforeAll(async () => {
      phone = newPhone();
      token = await verify(phone);
    });

    it('a web complaint with every field (coordinates too) is recorded: 201, case number GR-YYYYMMDD-NNNNNN of the Shanghai day', async () => {
      const r = await fileWeb(
        token,
        web({ category: 'heating_not_started', daysWithoutHeat: 3, indoorTemperatureC: undefined, namedCompanyId: 'HC0001', coordinates: { latitude: 41.796, longitude: 123.429 } }),
      );
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({
        outcome: 'created',
        caseId: expect.stringMatching(UUID),
        type: 'complaint',
        category: 'heating_not_started',
        categoryText: CATEGORY_LABELS.heating_not_started,
        communityName: '金地小区',
        phone: masked(phone),
        status: 'received',
        repeatCount: 0,
      });
      expect(r.body.caseNumber).toMatch(CASE_NUMBER);
      expect(r.body.caseNumber.slice(3, 11)).toBe(shanghaiDateStamp(clock.now()));
      expect(r.body.history).toHaveLength(1);
      expect(r.body.history[0].text).toContain('未按时供热');
      webCase = r.body;
      const [row] = await sql('SELECT channel, phone_enc, phone_hash, recorded_by, days_without_heat, latitude, longitude FROM complaint WHERE id = $1', [r.body.caseId]);
      expect(row).toMatchObject({ channel: 'web', phone_hash: vault.hash(phone), recorded_by: 'resident', days_without_heat: 3, latitude: 41.796, longitude: 123.429 });
      expect(vault.open(row.phone_enc)).toBe(phone);
    });

    it('an app complaint (type report) is recorded with channel app', async () => {
      const r = await fileWeb(token, web({ type: 'report', category: 'charges', indoorTemperatureC: undefined, description: '物业代收热费多收了 200 元' }, 'app'));
      expect(r.status).toBe(201);
      expect(r.body.type).toBe('report');
      const [row] = await sql('SELECT channel FROM complaint WHERE id = $1', [r.body.caseId]);
      expect(row.channel).toBe('app');
    });

    it('the resident lists their own cases, newest first, including calls to the hotline from the same number, with history in plain Chinese', async () => {
      clock.advance(1_000);
      const called = await fileHotline(hotline(phone, { category: 'pipe_leak', indoorTemperatureC: undefined, description: '楼道管道漏水' }));
      expect(called.status).toBe(201);
      const own = await call('GET', `${intake}/api/v1/me/complaints`, token);
      expect(own.status).toBe(200);
      const numbers = own.body.map((c: any) => c.caseNumber);
      expect(numbers).toHaveLength(3);
      expect(numbers[0]).toBe(called.body.caseNumber);
      expect(numbers).toContain(webCase.caseNumber);
      for (const c of own.body) {
        expect(c.phone).toBe(masked(phone));
        expect(c.statusText).toMatch(CHINESE);
        for (const h of c.history) {
          expect(h.text).toMatch(CHINESE);
          expect(h.text).not.toMatch(/received|dispatched|too_cold|heating_not_started|pipe_leak|charges/);
        }
      }
    });

    it('another resident cannot see these cases, neither in their list nor through the operator look-ups', async () => {
      const other = await residentToken(newPhone());
      const list = await call('GET', `${intake}/api/v1/me/complaints`, other);
      expect(list).toEqual({ status: 200, body: [] });
      const byNum = await call('GET', `${intake}/api/v1/complaints/${webCase.caseNumber}`, other);
      expect(byNum.status).toBe(403);
      expect(byNum.body.code).toBe('FORBIDDEN');
      const byCaller = await call('GET', `${intake}/api/v1/complaints?callerPhone=${phone}`, other);
      expect(byCaller.status).toBe(403);
    });

    it('operators find the case by number and by caller phone; an unknown number is a 404 naming caseNumber', async () => {
      const found = await byNumber(webCase.caseNumber);
      expect(found.status).toBe(200);
      expect(found.body).toMatchObject({ caseId: webCase.caseId, phone: masked(phone) });
      const byCaller = await call('GET', `${intake}/api/v1/complaints?callerPhone=${phone}`, operator);
      expect(byCaller.status).toBe(200);
      expect(byCaller.body.map((c: any) => c.caseNumber)).toContain(webCase.caseNumber);
      const missing = await byNumber('GR-20261129-999999');
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ code: 'CASE_NOT_FOUND', field: 'caseNumber' });
      const badCaller = await call('GET', `${intake}/api/v1/complaints?callerPhone=12345`, operator);
      expect(badCaller.status).toBe(400);
      expect(badCaller.body).toMatchObject({ code: 'INVALID_PHONE', field: 'callerPhone' });
      const noCaller = await call('GET', `${intake}/api/v1/complaints`, operator);
      expect(noCaller.status).toBe(400);
      expect(noCaller.body.field).toBe('callerPhone');
    });

    it('a resident token cannot record a hotline call, an operator token cannot file as a resident (403)', async () => {
      const asResident = await fileHotline(hotline(phone), {}, token);
      expect(asResident.status).toBe(403);
      const asOperator = await fileWeb(operator, web());
      expect(asOperator.status).toBe(403);
    });
  });

  // ───────────────────────────────────────────────────────────────────────────── photos
  describe('photos: uploaded as a raw image body, then named in one complaint by their uploader', () => {
    const upload = (token: string, body: Buffer | string, type = 'image/png') => postRaw(`${intake}/api/v1/attachments`, token, body, type);
    let phone: string;
    let token: string;

    beforeAll(async () => {
      phone = newPhone();
      token = await verify(phone);
    });

    it('a real 1×1 PNG is accepted, read back byte for byte by its uploader, and attached to a complaint', async () => {
      const png = tinyPng();
      const up = await upload(token, png);
      expect(up.status).toBe(201);
      expect(up.body).toEqual({ id: expect.stringMatching(UUID), contentType: 'image/png', size: png.length });

      const res = await fetch(`${intake}/api/v1/attachments/${up.body.id}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);

      const filed = await fileWeb(token, web({ photoIds: [up.body.id] }));
      expect(filed.status).toBe(201);
      const [row] = await sql('SELECT complaint_id FROM attachment WHERE id = $1', [up.body.id]);
      expect(row.complaint_id).toBe(filed.body.caseId);
      const dispatched = await reachedDispatch(filed.body.caseId);
      expect(dispatched.caseNumber).toBe(filed.body.caseNumber);
    });

    it('a photo already used in one complaint cannot be used in another: 400 PHOTO_NOT_FOUND, field photoIds, nothing stored', async () => {
      const up = await upload(token, tinyPng([0, 255, 0]));
      expect((await fileWeb(token, web({ category: 'repair_delayed', indoorTemperatureC: undefined, photoIds: [up.body.id] }))).status).toBe(201);
      const before = await complaintCount();
      const again = await fileWeb(token, web({ category: 'staff_conduct', indoorTemperatureC: undefined, photoIds: [up.body.id] }));
      expect(again.status).toBe(400);
      expect(again.body).toMatchObject({ code: 'PHOTO_NOT_FOUND', field: 'photoIds', message: expect.stringMatching(CHINESE) });
      expect(await complaintCount()).toBe(before);
    });

    it("someone else's photo cannot be used (another resident, an operator) nor read by another resident", async () => {
      const up = await upload(token, tinyPng([0, 0, 255]));
      const otherPhone = newPhone();
      const other = await residentToken(otherPhone);
      const before = await complaintCount();
      const byResident = await fileWeb(other, web({ photoIds: [up.body.id] }));
      expect(byResident.status).toBe(400);
      expect(byResident.body).toMatchObject({ code: 'PHOTO_NOT_FOUND', field: 'photoIds' });
      const byOperator = await fileHotline(hotline(newPhone(), { photoIds: [up.body.id] }));
      expect(byOperator.status).toBe(400);
      expect(byOperator.body).toMatchObject({ code: 'PHOTO_NOT_FOUND', field: 'photoIds' });
      expect(await complaintCount()).toBe(before);
      const read = await call('GET', `${intake}/api/v1/attachments/${up.body.id}`, other);
      expect(read.status).toBe(404);
      // still free for its owner
      expect((await fileWeb(token, web({ category: 'other', indoorTemperatureC: undefined, photoIds: [up.body.id] }))).status).toBe(201);
    });

    it("a repeat report (linked to an open case) naming someone else's photo is refused too, not silently accepted", async () => {
      const ownPhone = newPhone();
      const own = await residentToken(ownPhone);
      expect((await fileWeb(own, web())).status).toBe(201);
      const foreign = await upload(token, tinyPng([9, 9, 9]));
      const repeat = await fileWeb(own, web({ photoIds: [foreign.body.id] }));
      expect(repeat.status).toBe(400);
      expect(repeat.body).toMatchObject({ code: 'PHOTO_NOT_FOUND', field: 'photoIds' });
    });

    it('bytes that are not an image are refused (415 UNSUPPORTED_PHOTO) whatever the Content-Type says; an empty body is a 400', async () => {
      const fake = await upload(token, Buffer.from('<html><script>alert(1)</script></html>'), 'image/png');
      expect(fake.status).toBe(415);
      expect(fake.body).toMatchObject({ code: 'UNSUPPORTED_PHOTO', field: 'body' });
      const empty = await upload(token, Buffer.alloc(0));
      expect(empty.status).toBe(400);
      expect(empty.body).toMatchObject({ code: 'PHOTO_REQUIRED', field: 'body' });
    });

    it('a photo over 5 MB is a 413', async () => {
      const big = Buffer.concat([tinyPng(), Buffer.alloc(5 * 1024 * 1024 + 1)]);
      const r = await upload(token, big);
      expect(r.status).toBe(413);
      expect(r.body.code).toBe('PAYLOAD_TOO_LARGE');
    });
  });

  // ───────────────────────────────────────────────────────────────────────────── duplicates
  describe('duplicates: the same verified phone + address + category while a case is open is linked to it', () => {
    it('the same report again is linked (200, outcome duplicate, same case number, repeatCount grows) and reaches dispatch once', async () => {
      const phone = newPhone();
      const first = await fileHotline(hotline(phone));
      expect(first.status).toBe(201);
      expect(first.body.outcome).toBe('created');
      const second = await fileHotline(hotline(phone, { description: '还是很冷，只有 14 度', indoorTemperatureC: 14 }));
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ outcome: 'duplicate', caseId: first.body.caseId, caseNumber: first.body.caseNumber, repeatCount: 1 });
      const third = await fileHotline(hotline(phone));
      expect(third.status).toBe(200);
      expect(third.body).toMatchObject({ outcome: 'duplicate', caseNumber: first.body.caseNumber, repeatCount: 2 });
      expect(third.body.history.filter((h: any) => /再次反映/.test(h.text))).toHaveLength(2);
      expect(await sql('SELECT id FROM complaint WHERE phone_hash = $1', [vault.hash(phone)])).toHaveLength(1);

      // a later, unrelated case reaching dispatch proves the repeats published nothing
      const marker = await fileHotline(hotline(newPhone()));
      await reachedDispatch(first.body.caseId);
      await reachedDispatch(marker.body.caseId);
      const atDispatch = (await dispatchCases()).filter((c) => c.caseNumber === first.body.caseNumber);
      expect(atDispatch).toHaveLength(1);
    });

    it('the same address written differently (spaces, punctuation, full-width digits) is the same address', async () => {
      const phone = newPhone();
      const first = await fileHotline(hotline(phone));
      const variant = await fileHotline(
        hotline(phone, { address: { ...ADDRESS, street: '南京南街12号', building: '3号楼', unit: '2-单元', room: '５０１' } }),
      );
      expect(variant.status).toBe(200);
      expect(variant.body).toMatchObject({ outcome: 'duplicate', caseNumber: first.body.caseNumber });
    });

    it('the same resident by another channel (web after a hotline call) is linked to the same open case', async () => {
      const phone = newPhone();
      const called = await fileHotline(hotline(phone));
      const token = await residentToken(phone);
      const online = await fileWeb(token, web());
      expect(online.status).toBe(200);
      expect(online.body).toMatchObject({ outcome: 'duplicate', caseNumber: called.body.caseNumber, repeatCount: 1 });
    });

    it('a different category, a different room or a different phone is a new case (201)', async () => {
      const phone = newPhone();
      const first = await fileHotline(hotline(phone));
      const otherCategory = await fileHotline(hotline(phone, { category: 'repair_delayed', indoorTemperatureC: undefined }));
      const otherRoom = await fileHotline(hotline(phone, { address: { ...ADDRESS, room: '502' } }));
      const otherPhone = await fileHotline(hotline(newPhone()));
      for (const r of [otherCategory, otherRoom, otherPhone]) {
        expect(r.status).toBe(201);
        expect(r.body.outcome).toBe('created');
        expect(r.body.caseNumber).not.toBe(first.body.caseNumber);
      }
    });

    it('once the case is closed, the same report opens a new case', async () => {
      const phone = newPhone();
      const first = await fileHotline(hotline(phone));
      await eventually(async () => ((await byNumber(first.body.caseNumber)).body.status === 'dispatched' ? true : undefined), 15_000, 'dispatched');
      const company = await suite.tokens.sign({ sub: 'duty-HC0001', role: 'company', unitId: 'HC0001' }, 600);
      const fb = await call('POST', `${dispatch}/api/v1/cases/${first.body.caseId}/feedback`, company, { resolution: 'fixed', summary: '已调整阀门，复测 19℃', temperatureSlip: temperatureSlip(19, 19.5, clock.now()) });
      expect(fb.status).toBe(200);
      await eventually(async () => ((await byNumber(first.body.caseNumber)).body.status === 'closed' ? true : undefined), 15_000, 'closed at intake');
      const again = await fileHotline(hotline(phone));
      expect(again.status).toBe(201);
      expect(again.body.outcome).toBe('created');
      expect(again.body.caseNumber).not.toBe(first.body.caseNumber);
    });
  });

  // ───────────────────────────────────────────────────────────────────────────── consultations
  describe('a consultation the operator answers on the call is recorded and closed at intake, never dispatched', () => {
    it('type consultation + answer → 201, status answered, the answer in the history; dispatch never sees it', async () => {
      const phone = newPhone();
      const answer = '沈阳市供暖期为 11 月 1 日至次年 3 月 31 日';
      const r = await fileHotline(
        hotline(phone, { type: 'consultation', category: 'policy_question', indoorTemperatureC: undefined, description: '今年什么时候开始供暖？', answer }),
      );
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ outcome: 'created', type: 'consultation', status: 'answered' });
      expect(r.body.caseNumber).toMatch(CASE_NUMBER);
      expect(r.body.statusText).toContain(answer);
      expect(r.body.statusText).not.toContain('已解决');
      expect((await byNumber(r.body.caseNumber)).body.status).toBe('answered');

      // a complaint filed after it reaching dispatch proves the consultation had its chance to be published
      const marker = await fileHotline(hotline(newPhone()));
      await reachedDispatch(marker.body.caseId);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const cases = await dispatchCases();
      expect(cases.find((c) => c.caseId === r.body.caseId || c.caseNumber === r.body.caseNumber)).toBeUndefined();
      expect((await byNumber(r.body.caseNumber)).body.status).toBe('answered');
    });

    it('the same consultation answered twice is two records (each call counts), neither linked as a duplicate', async () => {
      const phone = newPhone();
      const body = hotline(phone, { type: 'consultation', category: 'charges', indoorTemperatureC: undefined, description: '热费怎么算？', answer: '按建筑面积计费' });
      const a = await fileHotline(body);
      const b = await fileHotline(body);
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(a.body.caseNumber).not.toBe(b.body.caseNumber);
      expect(b.body.status).toBe('answered');
    });
  });

  // ───────────────────────────────────────────────────────────────────────────── status
  describe('status: history in plain Chinese; a case only closed is never shown as fixed', () => {
    it('a case the company closed without fixing reads 已办结（问题未解决）, never 已解决, for the operator and the resident', async () => {
      const phone = newPhone();
      const filed = await fileHotline(hotline(phone));
      await eventually(async () => ((await byNumber(filed.body.caseNumber)).body.status === 'dispatched' ? true : undefined), 15_000, 'dispatched');
      const company = await suite.tokens.sign({ sub: 'duty-HC0001', role: 'company', unitId: 'HC0001' }, 600);
      const fb = await call('POST', `${dispatch}/api/v1/cases/${filed.body.caseId}/feedback`, company, {
        resolution: 'closed_unresolved',
        summary: '户内管线私改，需业主自行整改',
        temperatureSlip: temperatureSlip(15, 16, clock.now()),
      });
      expect(fb.status).toBe(200);
      const closed = await eventually(async () => {
        const r = await byNumber(filed.body.caseNumber);
        return r.body.status === 'closed' ? r.body : undefined;
      }, 15_000, 'closed at intake');
      expect(closed.statusText).toBe('已办结（问题未解决）');
      expect(closed.history.map((h: any) => h.status)).toEqual(['received', 'dispatched', 'feedback', 'closed']);
      for (const h of closed.history) {
        expect(h.text).toMatch(CHINESE);
        expect(h.text).not.toContain('已解决');
        expect(h.text).not.toContain('已处理');
      }
      const own = await call('GET', `${intake}/api/v1/me/complaints`, await residentToken(phone));
      expect(own.body[0]).toMatchObject({ caseNumber: filed.body.caseNumber, status: 'closed', statusText: '已办结（问题未解决）' });
    });
  });

  // ───────────────────────────────────────────────────────────────────────────── idempotency
  describe('Idempotency-Key: the same key returns the same case (outcome replayed)', () => {
    it('an operator sending the same call twice with one key gets the same case, replayed, not counted as a repeat', async () => {
      const phone = newPhone();
      const key = `call-${randomUUID()}`;
      const first = await fileHotline(hotline(phone), { 'idempotency-key': key });
      expect(first.status).toBe(201);
      const again = await fileHotline(hotline(phone), { 'idempotency-key': key });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ outcome: 'replayed', caseId: first.body.caseId, caseNumber: first.body.caseNumber, repeatCount: 0 });
      expect(again.body.history.filter((h: any) => /再次反映/.test(h.text))).toEqual([]);
      expect(await sql('SELECT id FROM complaint WHERE phone_hash = $1', [vault.hash(phone)])).toHaveLength(1);
    });

    it('a resident retrying with the same key gets the same case; another resident with the same key gets their own', async () => {
      const key = 'web-submit-0001';
      const a = await residentToken(newPhone());
      const b = await residentToken(newPhone());
      const first = await fileWeb(a, web(), { 'idempotency-key': key });
      const retry = await fileWeb(a, web(), { 'idempotency-key': key });
      expect(first.status).toBe(201);
      expect(retry.status).toBe(200);
      expect(retry.body).toMatchObject({ outcome: 'replayed', caseNumber: first.body.caseNumber, repeatCount: 0 });
      const theirs = await fileWeb(b, web(), { 'idempotency-key': key });
      expect(theirs.status).toBe(201);
      expect(theirs.body.caseNumber).not.toBe(first.body.caseNumber);
    });

    it('an answered consultation retried with its key is replayed, not recorded twice', async () => {
      const phone = newPhone();
      const key = `consult-${randomUUID()}`;
      const body = hotline(phone, { type: 'consultation', category: 'policy_question', indoorTemperatureC: undefined, answer: '请拨打 12345' });
      const first = await fileHotline(body, { 'idempotency-key': key });
      const again = await fileHotline(body, { 'idempotency-key': key });
      expect([first.status, again.status]).toEqual([201, 200]);
      expect(again.body).toMatchObject({ outcome: 'replayed', caseNumber: first.body.caseNumber, status: 'answered' });
    });

    it('the same key sent several times at once (a client retrying while the first is in flight) makes one case, never a 500', async () => {
      for (const body of [
        hotline(newPhone()),
        hotline(newPhone(), { type: 'consultation', category: 'policy_question', indoorTemperatureC: undefined, answer: '供暖期 11 月 1 日开始' }),
      ]) {
        const key = `burst-${randomUUID()}`;
        const results = await Promise.all(Array.from({ length: 4 }, () => fileHotline(body, { 'idempotency-key': key })));
        const statuses = results.map((r) => r.status).sort();
        expect(statuses).toEqual([200, 200, 200, 201]);
        expect(new Set(results.map((r) => r.body.caseNumber)).size).toBe(1);
        expect(results.filter((r) => r.status === 200).map((r) => r.body.outcome)).toEqual(['replayed', 'replayed', 'replayed']);
        expect(await sql('SELECT id FROM complaint WHERE phone_hash = $1', [vault.hash(body.callerPhone as string)])).toHaveLength(1);
      }
    });

    it('a key with characters outside letters, digits and _ . : - (or longer than 100) is refused naming Idempotency-Key', async () => {
      for (const key of ['has space', 'a/b', '<script>', 'x'.repeat(101)]) {
        const r = await fileHotline(hotline(newPhone()), { 'idempotency-key': key });
        expect(r.status).toBe(400);
        expect(r.body).toMatchObject({ code: 'INVALID_IDEMPOTENCY_KEY', field: 'Idempotency-Key' });
      }
    });
  });

  // ───────────────────────────────────────────────────────────────────────────── bad input
  describe('bad input is a clear 4xx {code, message in Chinese, field} and nothing is stored', () => {
    type TokenKind = 'operator' | 'resident' | 'expired' | 'forged' | 'tampered' | 'none';
    interface BadCase {
      to?: 'hotline' | 'resident';
      token?: TokenKind;
      body: unknown;
      headers?: Record<string, string>;
      status: number;
      code: string;
      /** The field the answer must name; null: no particular field (auth, size, malformed JSON). */
      field: string | null;
    }
    const BAD_PHONE = '13999990000';
    const H = (overrides: Record<string, unknown>) => hotline(BAD_PHONE, overrides);
    const without = (key: string) => {
      const body: Record<string, unknown> = H({});
      delete body[key];
      return body;
    };
    const withAddress = (patch: Record<string, unknown>) => H({ address: { ...ADDRESS, ...patch } });

    const TABLE: Array<[string, BadCase]> = [
      ['missing communityName', { body: without('communityName'), status: 400, code: 'VALIDATION_FAILED', field: 'communityName' }],
      ['missing description', { body: without('description'), status: 400, code: 'VALIDATION_FAILED', field: 'description' }],
      ['missing address', { body: without('address'), status: 400, code: 'VALIDATION_FAILED', field: 'address' }],
      ['missing callerPhone', { body: without('callerPhone'), status: 400, code: 'VALIDATION_FAILED', field: 'callerPhone' }],
      ['callerPhone a number, not text', { body: { ...H({}), callerPhone: 13812345678 }, status: 400, code: 'VALIDATION_FAILED', field: 'callerPhone' }],
      ['callerPhone not a mainland mobile', { body: { ...H({}), callerPhone: '010-12345678' }, status: 400, code: 'INVALID_PHONE', field: 'callerPhone' }],
      ['unknown type', { body: H({ type: 'praise' }), status: 400, code: 'VALIDATION_FAILED', field: 'type' }],
      ['unknown category', { body: H({ category: 'too_hot' }), status: 400, code: 'VALIDATION_FAILED', field: 'category' }],
      ['category in another case', { body: H({ category: 'TOO_COLD' }), status: 400, code: 'VALIDATION_FAILED', field: 'category' }],
      ['a field nobody asked for', { body: H({ isVip: true }), status: 400, code: 'VALIDATION_FAILED', field: 'isVip' }],
      ['an extra address field', { body: withAddress({ floor: 5 }), status: 400, code: 'VALIDATION_FAILED', field: 'address.floor' }],
      ['description over 2000 characters', { body: H({ description: '冷'.repeat(2001) }), status: 400, code: 'VALIDATION_FAILED', field: 'description' }],
      ['control character (BEL) in description', { body: H({ description: '暖气不热\u0007' }), status: 400, code: 'VALIDATION_FAILED', field: 'description' }],
      ['NUL in description', { body: H({ description: '暖气\u0000不热' }), status: 400, code: 'VALIDATION_FAILED', field: 'description' }],
      ['ANSI escape in communityName', { body: H({ communityName: '\u001b[31m金地小区' }), status: 400, code: 'VALIDATION_FAILED', field: 'communityName' }],
      ['DEL in contactName', { body: H({ contactName: '王\u007f女士' }), status: 400, code: 'VALIDATION_FAILED', field: 'contactName' }],
      ['control character in address.street', { body: withAddress({ street: '南京南街\u0008' }), status: 400, code: 'VALIDATION_FAILED', field: 'address.street' }],
      ['control character in address.building', { body: withAddress({ building: '3\u0007号楼' }), status: 400, code: 'VALIDATION_FAILED', field: 'address.building' }],
      ['NUL in address.room', { body: withAddress({ room: '50\u00001' }), status: 400, code: 'VALIDATION_FAILED', field: 'address.room' }],
      ['control character in address.unit', { body: withAddress({ unit: '2\u001b单元' }), status: 400, code: 'VALIDATION_FAILED', field: 'address.unit' }],
      ['NUL in namedCompanyId', { body: H({ namedCompanyId: 'HC\u00000001' }), status: 400, code: 'VALIDATION_FAILED', field: 'namedCompanyId' }],
      ['empty address.street', { body: withAddress({ street: '' }), status: 400, code: 'VALIDATION_FAILED', field: 'address.street' }],
      ['address.room over 20 characters', { body: withAddress({ room: '5'.repeat(21) }), status: 400, code: 'VALIDATION_FAILED', field: 'address.room' }],
      ['a city outside Liaoning (北京 110100)', { body: withAddress({ cityCode: '110100' }), status: 400, code: 'VALIDATION_FAILED', field: 'address.cityCode' }],
      ['a Liaoning-looking city code that does not exist', { body: withAddress({ cityCode: '219900' }), status: 400, code: 'UNKNOWN_CITY', field: 'address.cityCode' }],
      ['a district code that does not exist', { body: withAddress({ districtCode: '210199' }), status: 400, code: 'UNKNOWN_DISTRICT', field: 'address.districtCode' }],
      ['a district of another city (大连市中山区 in 沈阳市)', { body: withAddress({ districtCode: '210202' }), status: 400, code: 'DISTRICT_NOT_IN_CITY', field: 'address.districtCode' }],
      ['too_cold without indoorTemperatureC', { body: H({ indoorTemperatureC: undefined }), status: 400, code: 'VALIDATION_FAILED', field: 'indoorTemperatureC' }],
      ['indoorTemperatureC above 40', { body: H({ indoorTemperatureC: 41 }), status: 400, code: 'VALIDATION_FAILED', field: 'indoorTemperatureC' }],
      ['indoorTemperatureC below −20', { body: H({ indoorTemperatureC: -21 }), status: 400, code: 'VALIDATION_FAILED', field: 'indoorTemperatureC' }],
      ['indoorTemperatureC as text', { body: H({ indoorTemperatureC: '15' }), status: 400, code: 'VALIDATION_FAILED', field: 'indoorTemperatureC' }],
      ['heating_not_started without daysWithoutHeat', { body: H({ category: 'heating_not_started', indoorTemperatureC: undefined }), status: 400, code: 'VALIDATION_FAILED', field: 'daysWithoutHeat' }],
      ['heating_cut_off with daysWithoutHeat 0', { body: H({ category: 'heating_cut_off', indoorTemperatureC: undefined, daysWithoutHeat: 0 }), status: 400, code: 'VALIDATION_FAILED', field: 'daysWithoutHeat' }],
      ['daysWithoutHeat 201', { body: H({ category: 'heating_cut_off', indoorTemperatureC: undefined, daysWithoutHeat: 201 }), status: 400, code: 'VALIDATION_FAILED', field: 'daysWithoutHeat' }],
      ['daysWithoutHeat 2.5', { body: H({ category: 'heating_cut_off', indoorTemperatureC: undefined, daysWithoutHeat: 2.5 }), status: 400, code: 'VALIDATION_FAILED', field: 'daysWithoutHeat' }],
      ['consultation without an answer', { body: H({ type: 'consultation', category: 'policy_question', indoorTemperatureC: undefined }), status: 400, code: 'VALIDATION_FAILED', field: 'answer' }],
      ['photoIds not UUIDs', { body: H({ photoIds: ['photo-1'] }), status: 400, code: 'VALIDATION_FAILED', field: 'photoIds' }],
      ['more than 5 photos', { body: H({ photoIds: Array.from({ length: 6 }, () => randomUUID()) }), status: 400, code: 'VALIDATION_FAILED', field: 'photoIds' }],
      ['a photo id never uploaded', { body: H({ photoIds: [randomUUID()] }), status: 400, code: 'PHOTO_NOT_FOUND', field: 'photoIds' }],
      ['coordinates outside Liaoning', { body: H({ coordinates: { latitude: 30.5, longitude: 114.3 } }), status: 400, code: 'VALIDATION_FAILED', field: 'coordinates.latitude' }],
      ['coordinates as an array', { body: H({ coordinates: [41.8, 123.4] }), status: 400, code: 'VALIDATION_FAILED', field: 'coordinates' }],
      ['resident: missing channel', { to: 'resident', token: 'resident', body: fields(), status: 400, code: 'VALIDATION_FAILED', field: 'channel' }],
      ['resident: channel hotline', { to: 'resident', token: 'resident', body: { ...fields(), channel: 'hotline' }, status: 400, code: 'VALIDATION_FAILED', field: 'channel' }],
      ['resident: an answer is not theirs to give', { to: 'resident', token: 'resident', body: web({ answer: '已答复' }), status: 400, code: 'VALIDATION_FAILED', field: 'answer' }],
      ['resident: callerPhone is not theirs to set', { to: 'resident', token: 'resident', body: web({ callerPhone: '13800000000' }), status: 400, code: 'VALIDATION_FAILED', field: 'callerPhone' }],
      ['malformed JSON', { body: '{"callerPhone": "13999990000",', status: 400, code: 'MALFORMED_JSON', field: null }],
      ['a JSON body over 1 MB', { body: JSON.stringify(H({ description: 'x'.repeat(1_100_000) })), status: 413, code: 'PAYLOAD_TOO_LARGE', field: null }],
      ['Content-Type text/plain', { body: JSON.stringify(H({})), headers: { 'content-type': 'text/plain' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', field: 'Content-Type' }],
      ['Content-Type application/xml', { body: '<complaint/>', headers: { 'content-type': 'application/xml' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', field: 'Content-Type' }],
      ['no token', { token: 'none', body: H({}), status: 401, code: 'UNAUTHENTICATED', field: null }],
      ['an expired token', { token: 'expired', body: H({}), status: 401, code: 'UNAUTHENTICATED', field: null }],
      ['a token signed with another secret', { token: 'forged', body: H({}), status: 401, code: 'UNAUTHENTICATED', field: null }],
      ['a token whose claims were rewritten', { token: 'tampered', body: H({}), status: 401, code: 'UNAUTHENTICATED', field: null }],
      ['resident: an expired resident token', { to: 'resident', token: 'expired', body: web(), status: 401, code: 'UNAUTHENTICATED', field: null }],
    ];

    async function tokenOf(kind: TokenKind, to: 'hotline' | 'resident'): Promise<string | undefined> {
      const principal = to === 'hotline' ? { sub: 'op-bad', role: 'operator' as const } : { sub: 'resident-bad', role: 'resident' as const, phone: BAD_PHONE };
      switch (kind) {
        case 'none':
          return undefined;
        case 'operator':
          return operator;
        case 'resident':
          return suite.tokens.sign(principal, 600);
        case 'expired':
          return suite.tokens.sign(principal, -10);
        case 'forged':
          return new TokenService('an-attacker-secret-of-32-characters!!').sign(principal, 600);
        case 'tampered': {
          const [header, payload, signature] = (await suite.tokens.sign({ sub: 'resident-x', role: 'resident', phone: BAD_PHONE }, 600)).split('.');
          const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
          return [header, Buffer.from(JSON.stringify({ ...claims, role: 'operator' })).toString('base64url'), signature].join('.');
        }
      }
    }

    it.each(TABLE)('%s', async (_name, bad) => {
      const to = bad.to ?? 'hotline';
      const token = await tokenOf(bad.token ?? (to === 'hotline' ? 'operator' : 'resident'), to);
      const before = await complaintCount();
      const url = `${intake}/api/v1/${to === 'hotline' ? 'complaints' : 'me/complaints'}`;
      const r = await call('POST', url, token, bad.body, bad.headers);
      expect({ status: r.status, code: r.body?.code }).toEqual({ status: bad.status, code: bad.code });
      expect(r.body.message).toMatch(CHINESE);
      if (bad.field !== null) expect(r.body.field).toBe(bad.field);
      expect(await complaintCount()).toBe(before);
    });

    it('text that is only white space is refused (or, if accepted, the case still reaches dispatch): street, community name', async () => {
      const bodies = [
        hotline(newPhone(), { address: { ...ADDRESS, street: '   ' } }),
        hotline(newPhone(), { address: { ...ADDRESS, street: '\u2028\u00a0' } }),
        hotline(newPhone(), { communityName: '  ' }),
        hotline(newPhone(), { communityName: '\u3000' }),
      ];
      const accepted: Array<{ caseId: string; caseNumber: string }> = [];
      for (const body of bodies) {
        const r = await fileHotline(body);
        if (r.status === 201) accepted.push(r.body);
        else {
          expect(r.status).toBe(400);
          expect(['address.street', 'communityName']).toContain(r.body.field);
        }
      }
      const marker = await fileHotline(hotline(newPhone()));
      await reachedDispatch(marker.body.caseId);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const atDispatch = new Set((await dispatchCases()).map((c) => c.caseId));
      expect(accepted.filter((c) => !atDispatch.has(c.caseId)).map((c) => c.caseNumber)).toEqual([]);
    });

    it('an indoor temperature inside −20..40 but with an extreme exponent (1e-300) is never a 500', async () => {
      for (const t of [1e-300, -1e-300, 5e-324, 15.000000000000002]) {
        const r = await fileHotline(hotline(newPhone(), { indoorTemperatureC: t }));
        expect([t, r.status < 500]).toEqual([t, true]);
        if (r.status >= 400) expect(r.body.field).toBe('indoorTemperatureC');
      }
    });

    it('a body that is a JSON array or a scalar is refused with a 400, not a 500', async () => {
      for (const raw of ['[]', '[{"callerPhone":"13999990000"}]', '"text"', '42', 'null', '{}']) {
        const r = await fileHotline(raw);
        expect([raw, r.status]).toEqual([raw, 400]);
        expect(r.body.message).toMatch(CHINESE);
      }
    });

    it('__proto__ and constructor keys in the body are never a 500 and cannot supply a missing field', async () => {
      const valid = JSON.stringify(H({}));
      for (const raw of [
        `{"__proto__": {"isAdmin": true}, ${valid.slice(1)}`,
        `{"constructor": {"prototype": {"x": 1}}, ${valid.slice(1)}`,
        valid.replace('"address":{', '"address":{"__proto__":{"room":"999"},'),
      ]) {
        expect((await fileHotline(raw)).status).toBeLessThan(500);
      }
      const before = await complaintCount();
      const smuggled = await fileHotline(`{"__proto__": {"category": "pipe_leak"}, ${valid.slice(1).replace('"category":"too_cold",', '')}`);
      expect(smuggled.status).toBe(400);
      expect(smuggled.body.field).toBe('category');
      expect(await complaintCount()).toBe(before);
    });
  });

  // ───────────────────────────────────────────────────────────────────────────── free text
  describe('free text is stored and returned verbatim: script and SQL text are data, not code', () => {
    it('script and SQL text in every free-text field is kept exactly as typed (intake row, intake view, dispatch)', async () => {
      const phone = newPhone();
      const description = `<script>alert('供热')</script>'; DROP TABLE complaint; -- " OR 1=1; /* */ \${7*7} {{7*7}} %s %n`;
      const communityName = `金地小区'); DELETE FROM complaint WHERE ('1'='1`;
      const contactName = `<img src=x onerror=alert(1)>`;
      const street = `南京南街 12 号" OR ""="`;
      const r = await fileHotline(hotline(phone, { description, communityName, contactName, address: { ...ADDRESS, street } }));
      expect(r.status).toBe(201);
      expect(r.body.communityName).toBe(communityName);
      const [row] = await sql('SELECT description, community_name, contact_name, street FROM complaint WHERE id = $1', [r.body.caseId]);
      expect(row).toEqual({ description, community_name: communityName, contact_name: contactName, street });
      const atDispatch = await reachedDispatch(r.body.caseId);
      expect(atDispatch.description).toBe(description);
      expect(atDispatch.communityName).toBe(communityName);
      expect(atDispatch.address.street).toBe(street);
      expect(await complaintCount()).toBeGreaterThan(1); // the table is still there
    });

    it('line breaks, tabs, emoji and rare characters are allowed and kept', async () => {
      const description = '第一行\n第二行\r\n\t缩进 🥶🔥 𠮷野家 ｆｕｌｌ－ｗｉｄｔｈ';
      const r = await fileHotline(hotline(newPhone(), { description }));
      expect(r.status).toBe(201);
      const [row] = await sql('SELECT description FROM complaint WHERE id = $1', [r.body.caseId]);
      expect(row.description).toBe(description);
    });

    it('a description of exactly 2000 characters is accepted', async () => {
      const r = await fileHotline(hotline(newPhone(), { description: '冷'.repeat(2000) }));
      expect(r.status).toBe(201);
    });
  });

  // ───────────────────────────────────────────────────────────────────────────── properties
  describe('property-based: random bodies never produce a 500', () => {
    const controlChars = fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((n) => String.fromCharCode(n)), minLength: 1, maxLength: 5 });
    const junk = fc.oneof(
      fc.anything(),
      fc.object(),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ unit: 'grapheme', minLength: 1990, maxLength: 3000 }),
      fc.string({ minLength: 2001, maxLength: 3000 }),
      controlChars,
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.anything(), { maxLength: 8 }),
    );
    /** Mostly the valid value, sometimes junk, sometimes missing. */
    const mix = <T>(valid: fc.Arbitrary<T>) =>
      fc.oneof({ weight: 5, arbitrary: valid as fc.Arbitrary<unknown> }, { weight: 2, arbitrary: junk }, { weight: 1, arbitrary: fc.constant(undefined) });
    const text = (maxLength: number) => fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength }), fc.string({ unit: 'binary', minLength: 1, maxLength }));
    const address = fc.record({
      cityCode: mix(fc.constantFrom('210100', '210200', '219900', '110100')),
      districtCode: mix(fc.constantFrom('210102', '210202', '210199', '210103')),
      street: mix(text(120)),
      building: mix(text(25)),
      unit: mix(text(25)),
      room: mix(text(25)),
    });
    const arbitraryBody = fc.oneof(
      {
        weight: 8,
        arbitrary: fc.record({
          callerPhone: mix(fc.oneof(fc.constantFrom('13912340000', '+86 139 1234 0001', '12345'), fc.stringMatching(/^1[3-9]\d{9}$/))),
          type: mix(fc.constantFrom('complaint', 'report', 'consultation', 'praise')),
          category: mix(fc.constantFrom(...CATEGORIES, 'too_hot')),
          communityName: mix(text(110)),
          address: mix(address),
          description: mix(text(2100)),
          contactName: mix(text(60)),
          namedCompanyId: mix(fc.oneof(fc.constant('HC0001'), text(40))),
          indoorTemperatureC: mix(fc.double({ min: -30, max: 50, noNaN: true })),
          daysWithoutHeat: mix(fc.integer({ min: -5, max: 250 })),
          answer: mix(text(2100)),
          photoIds: mix(fc.array(fc.uuid({ version: 4 }), { maxLength: 7 })),
          coordinates: mix(fc.record({ latitude: fc.double({ min: 30, max: 50, noNaN: true }), longitude: fc.double({ min: 110, max: 130, noNaN: true }) })),
          extra: fc.option(fc.dictionary(fc.string({ maxLength: 10 }), fc.anything(), { maxKeys: 3 }), { nil: undefined }),
        }).map(({ extra, ...body }) => ({ ...(extra ?? {}), ...body })),
      },
      { weight: 1, arbitrary: fc.anything() },
      { weight: 1, arbitrary: fc.jsonValue() },
    );

    it('150 random bodies (valid fields mixed with random JSON, wrong types, huge strings, unicode) to POST /complaints: never a 500', async () => {
      await fc.assert(
        fc.asyncProperty(arbitraryBody, async (body) => {
          const r = await call('POST', `${intake}/api/v1/complaints`, operator, body === undefined ? {} : body);
          expect(r.status).toBeLessThan(500);
        }),
        { numRuns: 150 },
      );
    }, 60_000);

    it('random valid-looking complaints are either recorded (201/200 with a case number) or refused with a 4xx naming the field', async () => {
      const validLooking = fc.record({
        callerPhone: fc.stringMatching(/^1[3-9]\d{9}$/),
        type: fc.constantFrom('complaint', 'report', 'consultation'),
        category: fc.constantFrom(...CATEGORIES),
        communityName: fc.oneof(fc.constant('金地小区'), text(100)),
        address: fc.record({
          cityCode: fc.constant('210100'),
          districtCode: fc.constantFrom('210102', '210103', '210104'),
          street: text(100),
          building: fc.option(text(20), { nil: undefined }),
          unit: fc.option(text(20), { nil: undefined }),
          room: fc.option(text(20), { nil: undefined }),
        }),
        description: text(2000),
        contactName: fc.option(text(50), { nil: undefined }),
        indoorTemperatureC: fc.option(fc.double({ min: -20, max: 40, noNaN: true }), { nil: undefined }),
        daysWithoutHeat: fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }),
        answer: fc.option(text(200), { nil: undefined }),
      });
      await fc.assert(
        fc.asyncProperty(validLooking, async (body) => {
          const r = await call('POST', `${intake}/api/v1/complaints`, operator, body);
          if (r.status === 200 || r.status === 201) {
            expect(r.body.caseNumber).toMatch(CASE_NUMBER);
            expect(['created', 'duplicate', 'replayed']).toContain(r.body.outcome);
          } else {
            expect(r.status).toBeGreaterThanOrEqual(400);
            expect(r.status).toBeLessThan(500);
            expect(typeof r.body.code).toBe('string');
            expect(r.body.message).toMatch(CHINESE);
            expect(typeof r.body.field).toBe('string');
            expect(r.body.field.length).toBeGreaterThan(0);
          }
        }),
        { numRuns: 100 },
      );
    }, 60_000);
  });

  // ───────────────────────────────────────────────────────────────────────────── at rest
  describe('phone numbers at rest: intake keeps residents’ numbers only sealed and blind-indexed', () => {
    it('after every flow of this file (codes, web/app/hotline filing, photos, repeats, replays, consultations, progress), no table of intake holds a mobile number in clear, and look-ups by number still find the cases', async () => {
      const phone = newPhone();
      const token = await verify(phone);
      const photo = await postRaw(`${intake}/api/v1/attachments`, token, tinyPng([0, 0, 255]), 'image/png');
      const filed = await fileWeb(token, web({ photoIds: [photo.body.id] }));
      const repeated = await fileHotline(hotline(phone));
      expect([filed.status, repeated.status, repeated.body.outcome]).toEqual([201, 200, 'duplicate']);
      await reachedDispatch(filed.body.caseId);
      await eventually(async () => ((await byNumber(filed.body.caseNumber)).body.status === 'dispatched' ? true : undefined), 15_000, 'the case dispatched at intake');

      const spelled = `+86 ${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`;
      const found = await call('GET', `${intake}/api/v1/complaints?callerPhone=${encodeURIComponent(spelled)}`, operator);
      expect(found.body.map((c: any) => [c.caseNumber, c.phone])).toEqual([[filed.body.caseNumber, masked(phone)]]);
      expect((await call('GET', `${intake}/api/v1/me/complaints`, token)).body.map((c: any) => c.caseNumber)).toEqual([filed.body.caseNumber]);
      expect((await byNumber(filed.body.caseNumber)).body).toMatchObject({ phone: masked(phone), photoIds: [photo.body.id], repeatCount: 1 });

      expect(await columnsWithPlaintextPhones(sql)).toEqual([]);
    });
  });
});
