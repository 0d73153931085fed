import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import * as shared from '#shared';
import { CLOCK, Inbox, loadServiceConfig, ManualClock, newEnvelope, openDataSource, Outbox, PHONE_VAULT, PhoneVault, SERVICE_CONFIG, SERVICE_NAME, SmsMessage, SmsSender } from '#shared';
import type { CaseClosedV1, SurveyRequestedV1 } from '#shared';
import { CaseContact } from '../contacts/case-contact.entity.js';
import { SmsSurveySchema1764400000300 } from '../migrations/1764400000300-sms-survey-schema.js';
import { SmsInbound1764400000310 } from '../migrations/1764400000310-sms-inbound.js';
import { SurveyReplies1764400000320 } from '../migrations/1764400000320-survey-replies.js';
import { SurveyRounds1764400000330 } from '../migrations/1764400000330-survey-rounds.js';
import { PhonesAtRest1764400000340 } from '../migrations/1764400000340-phones-at-rest.js';
import { MAX_ASK_AGAIN, REPLY_MAX_CHARS, ReplyHandler } from '../replies/reply-handler.js';
import { SmsOptOut } from '../replies/sms-opt-out.entity.js';
import { SurveyLink } from '../web-rating/survey-link.entity.js';
import { SurveyLinks } from '../web-rating/survey-links.js';
import { WebRatingService } from '../web-rating/web-rating.service.js';
import { CaseEventsConsumer } from './case-events.consumer.js';
import { SurveyExpiry } from './survey-expiry.js';
import { NEXT_SURVEY_GAP_MS, SurveyLifecycle } from './survey-lifecycle.js';
import { Survey } from './survey.entity.js';
import { SurveysService } from './surveys.service.js';
import { columnsWithPlaintextPhones } from '../../../../test/support/stored-phones.js';

/*
 * The survey flows on a real (PGlite) database with a ManualClock: replies, the queue per phone,
 * the reminder, the window, late replies, opt-out, web links. SMS are recorded, not sent.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = '2026-12-01T02:00:00.000Z';
const PHONE = '13912345678';
const OTHER_PHONE = '13700001111';
const vault = PhoneVault.derivedFrom('x'.repeat(40));

interface Sent {
  phone: string;
  text: string;
  surveyId: string | null;
}

/** Stands in for the SMS outbox: the texts the service decided to send. */
class RecordingSms {
  sent: Sent[] = [];
  async queue(_em: EntityManager, phone: string, text: string, surveyId: string | null): Promise<void> {
    this.sent.push({ phone, text, surveyId });
  }
  kick(): void {}
}

let moduleRef: TestingModule;
let dataSource: DataSource;
let dataDir: string;
const clock = new ManualClock(START);
const sms = new RecordingSms();
let surveys: SurveysService;
let replies: ReplyHandler;
let sweep: SurveyExpiry;
let web: WebRatingService;
let consumer: CaseEventsConsumer;
let serial = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sms-survey-flows-'));
  const config = loadServiceConfig('sms-survey', { PUBLIC_BASE_URL: 'https://gr.example.cn' }, 'embedded');
  dataSource = await openDataSource(
    { kind: 'pglite', dataDir },
    { entities: [CaseContact, Survey, SmsMessage, SmsOptOut, SurveyLink], migrations: [...sharedSmsMigrations(), SmsSurveySchema1764400000300, SmsInbound1764400000310, SurveyReplies1764400000320, SurveyRounds1764400000330, PhonesAtRest1764400000340] },
  );
  moduleRef = await Test.createTestingModule({
    providers: [
      { provide: DataSource, useValue: dataSource },
      { provide: CLOCK, useValue: clock },
      { provide: SERVICE_CONFIG, useValue: config },
      { provide: SERVICE_NAME, useValue: 'sms-survey' },
      { provide: PHONE_VAULT, useValue: vault },
      { provide: SmsSender, useValue: sms },
      Outbox,
      SurveyLinks,
      SurveyLifecycle,
      ReplyHandler,
      SurveysService,
      SurveyExpiry,
      WebRatingService,
      Inbox,
      CaseEventsConsumer,
    ],
  }).compile();
  surveys = moduleRef.get(SurveysService);
  replies = moduleRef.get(ReplyHandler);
  sweep = moduleRef.get(SurveyExpiry);
  web = moduleRef.get(WebRatingService);
  consumer = moduleRef.get(CaseEventsConsumer);
}, 60_000);

afterAll(async () => {
  await moduleRef?.close();
  await dataSource?.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await dataSource.query('TRUNCATE survey_link, survey, case_contact, sms_opt_out, sms_message, outbox_message, inbox_message');
  sms.sent = [];
  clock.set(START);
});

/** The shared SMS tables' migrations (Sms…<timestamp>), in order, as every service sending SMS runs them. */
function sharedSmsMigrations(): Array<new () => unknown> {
  return (Object.values(shared) as unknown[])
    .filter((v): v is new () => unknown => typeof v === 'function' && /^Sms[A-Za-z]+\d{13}$/.test(v.name))
    .sort((a, b) => Number(a.name.slice(-13)) - Number(b.name.slice(-13)));
}

/** A case of `phone` closes: sms-survey learns the contact, then gets case.closed. */
async function closeCase(phone: string): Promise<{ caseId: string; caseNumber: string }> {
  serial++;
  const caseId = randomUUID();
  const caseNumber = `GR-20261201-${String(serial).padStart(6, '0')}`;
  await dataSource.getRepository(CaseContact).insert({ caseId, caseNumber, phoneEnc: vault.seal(phone), phoneHash: vault.hash(phone) });
  const closed: CaseClosedV1 = { caseId, caseNumber, companyId: 'HC0001', authorityId: 'HA210102', resolution: 'fixed', closedAt: clock.now().toISOString() };
  await dataSource.transaction((em) => surveys.onCaseClosed(em, closed));
  return { caseId, caseNumber };
}

const surveyOf = (caseId: string, round = 1) => dataSource.getRepository(Survey).findOneByOrFail({ caseId, round });
const ratedEvents = async () =>
  ((await dataSource.query(`SELECT payload FROM outbox_message WHERE event_type = 'survey.rated' ORDER BY occurred_at`)) as Array<{ payload: any }>).map((r) =>
    typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
  );
const inbound = () => dataSource.getRepository(SmsMessage).find({ where: { direction: 'in' }, order: { id: 'ASC' } });
const textsTo = (phone: string) => sms.sent.filter((m) => m.phone === phone).map((m) => m.text);
const tokenIn = (text: string) => /\/r\/([A-Za-z0-9_-]{16})/.exec(text)?.[1];

describe('a reply lands on the one survey the phone was asked about', () => {
  it('a rating reply rates the open survey, keeps the comment, publishes survey.rated and thanks the resident', async () => {
    const c = await closeCase(PHONE);
    expect(textsTo(PHONE)[0]).toContain(`工单${c.caseNumber}`);
    expect(await replies.handle(PHONE, '3，还是不热')).toBe('rated');
    expect(await surveyOf(c.caseId)).toMatchObject({ status: 'rated', rating: 'dissatisfied', comment: '还是不热', ratedVia: 'sms' });
    expect(await ratedEvents()).toEqual([expect.objectContaining({ caseId: c.caseId, rating: 'dissatisfied', comment: '还是不热', via: 'sms', round: 1 })]);
    expect(textsTo(PHONE).at(-1)).toContain('感谢您对工单');
    const [kept] = await inbound();
    expect(kept).toMatchObject({ phoneHash: vault.hash(PHONE), text: '3，还是不热', surveyId: (await surveyOf(c.caseId)).id });
    expect(vault.open(kept.phoneEnc)).toBe(PHONE);
  });

  it('two closed cases of one phone: the second waits queued; the reply rates the first', async () => {
    const first = await closeCase(PHONE);
    const second = await closeCase(PHONE);
    expect((await surveyOf(second.caseId)).status).toBe('queued');
    expect(textsTo(PHONE)).toHaveLength(1);
    expect(await replies.handle(PHONE, '1')).toBe('rated');
    expect((await surveyOf(first.caseId)).rating).toBe('satisfied');
    expect((await surveyOf(second.caseId)).status).toBe('queued');
  });

  it('a second message right after a rating is kept on the rated case, not read as the answer to the next one', async () => {
    const first = await closeCase(PHONE);
    const second = await closeCase(PHONE);
    await replies.handle(PHONE, '1');
    clock.advance(60_000);
    await sweep.sweep();
    expect(await replies.handle(PHONE, '3')).toBe('already_rated');
    expect((await surveyOf(first.caseId)).rating).toBe('satisfied');
    expect(await surveyOf(second.caseId)).toMatchObject({ status: 'queued', rating: null });
    expect((await inbound()).at(-1)!.surveyId).toBe((await surveyOf(first.caseId)).id);
  });

  it(`the next queued survey goes out ${NEXT_SURVEY_GAP_MS / 60_000} minutes after the last one ended, and the next reply rates it`, async () => {
    await closeCase(PHONE);
    const second = await closeCase(PHONE);
    await replies.handle(PHONE, '1');
    clock.advance(NEXT_SURVEY_GAP_MS);
    expect((await sweep.sweep()).sent).toBe(1);
    expect(textsTo(PHONE).at(-1)).toContain(`工单${second.caseNumber}`);
    expect(await replies.handle(PHONE, '2 还是有点凉')).toBe('rated');
    expect(await surveyOf(second.caseId)).toMatchObject({ status: 'rated', rating: 'basically_satisfied', comment: '还是有点凉' });
  });

  it('the database refuses a second survey awaiting a reply for the same phone', async () => {
    await closeCase(PHONE);
    const second = await closeCase(PHONE);
    await expect(dataSource.query(`UPDATE survey SET status = 'awaiting_reply' WHERE case_id = $1`, [second.caseId])).rejects.toThrow(/survey_one_open_per_phone/);
  });

  it('replies of different phones never touch each other\'s surveys', async () => {
    const mine = await closeCase(PHONE);
    const theirs = await closeCase(OTHER_PHONE);
    await replies.handle(OTHER_PHONE, '3');
    expect((await surveyOf(mine.caseId)).status).toBe('awaiting_reply');
    expect((await surveyOf(theirs.caseId)).rating).toBe('dissatisfied');
  });
});

describe('a reply that is not one clear rating is asked again, never guessed', () => {
  it(`「1 2」 rates nothing; the resident is asked again at most ${MAX_ASK_AGAIN} times per survey`, async () => {
    const c = await closeCase(PHONE);
    for (let i = 0; i < MAX_ASK_AGAIN + 2; i++) expect(await replies.handle(PHONE, '1 2')).toBe('unrecognised');
    expect(await surveyOf(c.caseId)).toMatchObject({ status: 'awaiting_reply', rating: null, unrecognisedReplies: MAX_ASK_AGAIN + 2 });
    expect(textsTo(PHONE).filter((t) => t.includes('未能识别'))).toHaveLength(MAX_ASK_AGAIN);
    expect(await ratedEvents()).toEqual([]);
    expect(await replies.handle(PHONE, '１')).toBe('rated');
  });

  it(`an oversize text (over ${REPLY_MAX_CHARS} characters) is stored whole and rates nothing`, async () => {
    const c = await closeCase(PHONE);
    const text = `1${'好'.repeat(REPLY_MAX_CHARS)}`;
    expect(await replies.handle(PHONE, text)).toBe('unrecognised');
    expect((await surveyOf(c.caseId)).rating).toBeNull();
    expect((await inbound())[0].text).toBe(text);
  });

  it('a text with a NUL character is stored (as U+FFFD) and read as usual', async () => {
    await closeCase(PHONE);
    expect(await replies.handle(PHONE, '1\u0000谢谢')).toBe('rated');
    expect((await inbound())[0].text).toBe('1\uFFFD谢谢');
  });
});

describe('unknown phones', () => {
  it('a reply from a phone never surveyed is stored, applied to nothing, and not answered', async () => {
    const c = await closeCase(PHONE);
    expect(await replies.handle(OTHER_PHONE, '1')).toBe('no_open_survey');
    expect((await inbound())[0]).toMatchObject({ phoneHash: vault.hash(OTHER_PHONE), surveyId: null });
    expect(textsTo(OTHER_PHONE)).toEqual([]);
    expect((await surveyOf(c.caseId)).status).toBe('awaiting_reply');
    expect(await ratedEvents()).toEqual([]);
  });
});

describe('the window, the one reminder and late replies', () => {
  it('one reminder 24 h before the window closes, with a fresh link; never twice', async () => {
    const c = await closeCase(PHONE);
    clock.advance(5 * DAY);
    expect((await sweep.sweep()).reminded).toBe(0);
    clock.advance(DAY + HOUR);
    expect((await sweep.sweep()).reminded).toBe(1);
    const remindedAt = clock.now();
    clock.advance(HOUR);
    expect((await sweep.sweep()).reminded).toBe(0);
    const reminders = textsTo(PHONE).filter((t) => t.includes('提醒'));
    expect(reminders).toHaveLength(1);
    expect(reminders[0]).toContain(c.caseNumber);
    expect((await surveyOf(c.caseId)).remindedAt).toEqual(remindedAt);
    // both links work until the survey is rated
    const [invitationToken, reminderToken] = textsTo(PHONE).map(tokenIn);
    expect(invitationToken).not.toBe(reminderToken);
    expect((await web.view(invitationToken!)).kind).toBe('form');
    expect((await web.view(reminderToken!)).kind).toBe('form');
  });

  it('a rated survey gets no reminder', async () => {
    await closeCase(PHONE);
    await replies.handle(PHONE, '1');
    clock.advance(6 * DAY + HOUR);
    expect((await sweep.sweep()).reminded).toBe(0);
  });

  it('after the window an unrated survey is expired: no rating, no survey.rated (never counted as satisfied)', async () => {
    const c = await closeCase(PHONE);
    clock.advance(7 * DAY + 60_000);
    expect((await sweep.sweep()).expired).toBe(1);
    expect(await surveyOf(c.caseId)).toMatchObject({ status: 'expired', rating: null, ratedAt: null });
    expect(await ratedEvents()).toEqual([]);
  });

  it('a late reply is stored with the expired survey, not applied, and answered politely once', async () => {
    const c = await closeCase(PHONE);
    clock.advance(7 * DAY + 60_000);
    await sweep.sweep();
    expect(await replies.handle(PHONE, '1')).toBe('window_closed');
    expect(await replies.handle(PHONE, '1 谢谢')).toBe('window_closed');
    const s = await surveyOf(c.caseId);
    expect(s).toMatchObject({ status: 'expired', rating: null });
    expect((await inbound()).map((m) => m.surveyId)).toEqual([s.id, s.id]);
    expect(textsTo(PHONE).filter((t) => t.includes('评价期已结束'))).toHaveLength(1);
    expect(await ratedEvents()).toEqual([]);
  });

  it('a reply the moment the window closes (before the sweep ran) is late, not a rating', async () => {
    const c = await closeCase(PHONE);
    clock.advance(7 * DAY);
    expect(await replies.handle(PHONE, '1')).toBe('window_closed');
    expect(await surveyOf(c.caseId)).toMatchObject({ status: 'expired', rating: null });
  });

  it('a reply long after the window (over 30 days) is stored with no survey and not answered', async () => {
    await closeCase(PHONE);
    clock.advance(7 * DAY + 60_000);
    await sweep.sweep();
    clock.advance(31 * DAY);
    sms.sent = [];
    expect(await replies.handle(PHONE, '1')).toBe('no_open_survey');
    expect((await inbound())[0].surveyId).toBeNull();
    expect(sms.sent).toEqual([]);
  });

  it('when a survey expires the next queued one goes out after the gap', async () => {
    await closeCase(PHONE);
    const second = await closeCase(PHONE);
    clock.advance(7 * DAY + 60_000);
    await sweep.sweep();
    expect((await surveyOf(second.caseId)).status).toBe('queued');
    clock.advance(NEXT_SURVEY_GAP_MS);
    await sweep.sweep();
    expect((await surveyOf(second.caseId)).status).toBe('awaiting_reply');
  });
});

describe('退订 is honoured', () => {
  it('STOP records an opt-out, skips the open and queued surveys, and confirms once', async () => {
    const first = await closeCase(PHONE);
    const second = await closeCase(PHONE);
    expect(await replies.handle(PHONE, 'STOP')).toBe('unsubscribed');
    expect(await replies.handle(PHONE, '退订')).toBe('unsubscribed');
    expect((await surveyOf(first.caseId)).status).toBe('skipped_opt_out');
    expect((await surveyOf(second.caseId)).status).toBe('skipped_opt_out');
    expect(await dataSource.getRepository(SmsOptOut).findOneBy({ phoneHash: vault.hash(PHONE) })).not.toBeNull();
    expect(textsTo(PHONE).filter((t) => t.includes('您已退订'))).toHaveLength(1);
    expect(await ratedEvents()).toEqual([]);
  });

  it('a case closed after 退订 gets no survey SMS: its survey is skipped_opt_out', async () => {
    await closeCase(PHONE);
    await replies.handle(PHONE, 'TD');
    sms.sent = [];
    const later = await closeCase(PHONE);
    clock.advance(DAY);
    await sweep.sweep();
    expect(await surveyOf(later.caseId)).toMatchObject({ status: 'skipped_opt_out', sentAt: null, rating: null });
    expect(sms.sent).toEqual([]);
  });

  it('an opted-out phone gets no late-reply answer', async () => {
    await closeCase(PHONE);
    await replies.handle(PHONE, '取消');
    sms.sent = [];
    expect(await replies.handle(PHONE, '1')).toBe('no_open_survey');
    expect(sms.sent).toEqual([]);
  });

  it('「订阅」 lifts the opt-out: the next closed case is surveyed again', async () => {
    await closeCase(PHONE);
    await replies.handle(PHONE, '退订');
    expect(await replies.handle(PHONE, '订阅')).toBe('resubscribed');
    expect(textsTo(PHONE).at(-1)).toContain('您已恢复接收');
    clock.advance(HOUR);
    const next = await closeCase(PHONE);
    expect((await surveyOf(next.caseId)).status).toBe('awaiting_reply');
  });

  it('STOP from an unknown phone is recorded but not answered', async () => {
    expect(await replies.handle(OTHER_PHONE, 'STOP')).toBe('unsubscribed');
    expect(await dataSource.getRepository(SmsOptOut).findOneBy({ phoneHash: vault.hash(OTHER_PHONE) })).not.toBeNull();
    expect(sms.sent).toEqual([]);
  });
});

describe('the one-time web rating link', () => {
  it('the invitation carries a link; only the hash of its token is stored', async () => {
    const c = await closeCase(PHONE);
    const text = textsTo(PHONE)[0];
    expect(text).toMatch(/https:\/\/gr\.example\.cn\/r\/[A-Za-z0-9_-]{16} /);
    const token = tokenIn(text)!;
    const stored = await dataSource.getRepository(SurveyLink).find();
    expect(stored).toHaveLength(1);
    expect(stored[0].tokenHash).not.toContain(token);
    expect(stored[0].surveyId).toBe((await surveyOf(c.caseId)).id);
  });

  it('opening the link changes nothing; posting a rating rates once via web and publishes survey.rated', async () => {
    const c = await closeCase(PHONE);
    const token = tokenIn(textsTo(PHONE)[0])!;
    expect(await web.view(token)).toEqual({ kind: 'form', caseNumber: c.caseNumber, round: 1 });
    expect((await surveyOf(c.caseId)).status).toBe('awaiting_reply');
    expect(await web.submit(token, { rating: 'basically_satisfied', comment: '师傅很耐心' })).toEqual({
      kind: 'thanks',
      caseNumber: c.caseNumber,
      rating: 'basically_satisfied',
    });
    expect(await surveyOf(c.caseId)).toMatchObject({ status: 'rated', rating: 'basically_satisfied', comment: '师傅很耐心', ratedVia: 'web' });
    expect(await ratedEvents()).toEqual([expect.objectContaining({ caseId: c.caseId, via: 'web', comment: '师傅很耐心' })]);
    expect(await web.submit(token, { rating: 'dissatisfied' })).toMatchObject({ kind: 'already_rated', rating: 'basically_satisfied' });
    expect(await web.view(token)).toMatchObject({ kind: 'already_rated' });
    expect(await ratedEvents()).toHaveLength(1);
  });

  it('a web rating closes the SMS survey: a later SMS reply is kept, not applied', async () => {
    const c = await closeCase(PHONE);
    await web.submit(tokenIn(textsTo(PHONE)[0])!, { rating: 'satisfied' });
    expect(await replies.handle(PHONE, '3')).toBe('already_rated');
    expect((await surveyOf(c.caseId)).rating).toBe('satisfied');
  });

  it('an SMS rating closes the link', async () => {
    await closeCase(PHONE);
    const token = tokenIn(textsTo(PHONE)[0])!;
    await replies.handle(PHONE, '1');
    expect(await web.view(token)).toMatchObject({ kind: 'already_rated', rating: 'satisfied' });
    expect(await web.submit(token, { rating: 'dissatisfied' })).toMatchObject({ kind: 'already_rated' });
  });

  it('a link of an expired survey is closed, even before the sweep ran', async () => {
    const c = await closeCase(PHONE);
    const token = tokenIn(textsTo(PHONE)[0])!;
    clock.advance(7 * DAY);
    expect(await web.view(token)).toEqual({ kind: 'closed', caseNumber: c.caseNumber });
    expect(await web.submit(token, { rating: 'satisfied' })).toEqual({ kind: 'closed', caseNumber: c.caseNumber });
    expect(await surveyOf(c.caseId)).toMatchObject({ status: 'expired', rating: null });
  });

  it('an unknown or malformed token is not found', async () => {
    await closeCase(PHONE);
    expect(await web.view('AAAAAAAAAAAAAAAA')).toEqual({ kind: 'not_found' });
    expect(await web.view('../../etc/passwd')).toEqual({ kind: 'not_found' });
    expect(await web.submit('short', { rating: 'satisfied' })).toEqual({ kind: 'not_found' });
  });

  it('a missing or unknown rating, or a comment over 200 characters, is refused and nothing is stored', async () => {
    const c = await closeCase(PHONE);
    const token = tokenIn(textsTo(PHONE)[0])!;
    expect(await web.submit(token, {})).toMatchObject({ kind: 'invalid' });
    expect(await web.submit(token, { rating: 'very_satisfied' })).toMatchObject({ kind: 'invalid' });
    expect(await web.submit(token, { rating: 'satisfied', comment: '长'.repeat(201) })).toMatchObject({ kind: 'invalid' });
    expect(await web.submit(token, { rating: ['satisfied', 'dissatisfied'] })).toMatchObject({ kind: 'invalid' });
    expect((await surveyOf(c.caseId)).status).toBe('awaiting_reply');
  });
});

/** dispatch's survey.requested after the company rectified the 不满意 rating of `surveyId`'s case. */
function requestFor(c: { caseId: string; caseNumber: string }, surveyId?: string): SurveyRequestedV1 {
  return {
    caseId: c.caseId,
    caseNumber: c.caseNumber,
    companyId: 'HC0001',
    authorityId: 'HA210102',
    reason: 'rectified',
    requestedAt: clock.now().toISOString(),
    ...(surveyId ? { surveyId } : {}),
  };
}
const requestAgain = (c: { caseId: string; caseNumber: string }, surveyId?: string) =>
  dataSource.transaction((em) => surveys.onSurveyRequested(em, requestFor(c, surveyId)));
const roundsOf = async (caseId: string) =>
  (await dataSource.getRepository(Survey).find({ where: { caseId }, order: { round: 'ASC' } })).map((s) => ({ round: s.round, status: s.status, rating: s.rating }));
const resurveyTexts = (phone: string) => textsTo(phone).filter((t) => t.includes('已整改，请再次回复数字评价'));

describe('survey rounds: after a rectification the resident is asked again (survey.requested)', () => {
  it('round 2 goes out with its own text and a fresh link; the reply rates round 2 and survey.rated carries round 2', async () => {
    const c = await closeCase(PHONE);
    const firstToken = tokenIn(textsTo(PHONE)[0])!;
    expect(await replies.handle(PHONE, '3 还是冷')).toBe('rated');
    const round1 = await surveyOf(c.caseId);
    clock.advance(2 * DAY); // callback, judgement, rectification
    expect(await requestAgain(c, round1.id)).toBe('sent');

    const invitation = textsTo(PHONE).at(-1)!;
    expect(invitation).toContain(`【供热直通车】您反映的问题（工单${c.caseNumber}）已整改，请再次回复数字评价：1满意 2基本满意 3不满意，或点 https://gr.example.cn/r/`);
    const round2 = await surveyOf(c.caseId, 2);
    expect(round2).toMatchObject({ status: 'awaiting_reply', followsSurveyId: round1.id, phoneHash: vault.hash(PHONE), companyId: 'HC0001', sentAt: clock.now() });
    expect(round2.expiresAt).toEqual(new Date(clock.now().getTime() + 7 * DAY));
    const secondToken = tokenIn(invitation)!;
    expect(secondToken).not.toBe(firstToken);
    expect(await web.view(firstToken)).toMatchObject({ kind: 'already_rated', rating: 'dissatisfied' });
    expect(await web.view(secondToken)).toEqual({ kind: 'form', caseNumber: c.caseNumber, round: 2 });

    expect(await replies.handle(PHONE, '1 谢谢')).toBe('rated');
    expect(await roundsOf(c.caseId)).toEqual([
      { round: 1, status: 'rated', rating: 'dissatisfied' },
      { round: 2, status: 'rated', rating: 'satisfied' },
    ]);
    expect(await ratedEvents()).toEqual([
      expect.objectContaining({ surveyId: round1.id, caseId: c.caseId, rating: 'dissatisfied', round: 1 }),
      expect.objectContaining({ surveyId: round2.id, caseId: c.caseId, rating: 'satisfied', comment: '谢谢', round: 2 }),
    ]);
    expect((await inbound()).at(-1)!.surveyId).toBe(round2.id);
  });

  it('a web rating of round 2 publishes survey.rated with round 2', async () => {
    const c = await closeCase(PHONE);
    await replies.handle(PHONE, '3');
    clock.advance(DAY);
    await requestAgain(c, (await surveyOf(c.caseId)).id);
    expect(await web.submit(tokenIn(textsTo(PHONE).at(-1)!)!, { rating: 'basically_satisfied' })).toMatchObject({ kind: 'thanks' });
    expect((await ratedEvents()).at(-1)).toMatchObject({ caseId: c.caseId, rating: 'basically_satisfied', via: 'web', round: 2 });
  });

  it('a phone with another survey out gets round 2 queued, not sent over it: a reply rates the survey out, round 2 follows after it ended and the gap', async () => {
    const a = await closeCase(PHONE);
    await replies.handle(PHONE, '3');
    clock.advance(DAY);
    const b = await closeCase(PHONE); // another case of the same resident, asked meanwhile
    expect((await surveyOf(b.caseId)).status).toBe('awaiting_reply');

    expect(await requestAgain(a, (await surveyOf(a.caseId)).id)).toBe('queued');
    expect((await surveyOf(a.caseId, 2)).status).toBe('queued');
    expect(resurveyTexts(PHONE)).toEqual([]);

    expect(await replies.handle(PHONE, '2')).toBe('rated'); // the answer to case b, the one asked
    expect((await surveyOf(b.caseId)).rating).toBe('basically_satisfied');
    expect(await surveyOf(a.caseId, 2)).toMatchObject({ status: 'queued', rating: null });
    clock.advance(NEXT_SURVEY_GAP_MS - 60_000);
    expect((await sweep.sweep()).sent).toBe(0);
    clock.advance(60_000);
    expect((await sweep.sweep()).sent).toBe(1);
    expect(resurveyTexts(PHONE)).toEqual([expect.stringContaining(`工单${a.caseNumber}`)]);
    expect(await replies.handle(PHONE, '1')).toBe('rated');
    expect(await roundsOf(a.caseId)).toEqual([
      { round: 1, status: 'rated', rating: 'dissatisfied' },
      { round: 2, status: 'rated', rating: 'satisfied' },
    ]);
    expect((await surveyOf(b.caseId)).rating).toBe('basically_satisfied');
  });

  it('right after the round-1 rating, round 2 waits out the gap like any next survey of the phone', async () => {
    const c = await closeCase(PHONE);
    await replies.handle(PHONE, '3');
    expect(await requestAgain(c, (await surveyOf(c.caseId)).id)).toBe('queued');
    expect(await replies.handle(PHONE, '3 真的还冷')).toBe('already_rated'); // a second message meant for round 1
    clock.advance(NEXT_SURVEY_GAP_MS);
    expect((await sweep.sweep()).sent).toBe(1);
    expect((await surveyOf(c.caseId, 2)).status).toBe('awaiting_reply');
  });

  it('a repeated request for the same rectification adds nothing: one round 2, one SMS; a request without surveyId while round 2 is out adds nothing either', async () => {
    const c = await closeCase(PHONE);
    await replies.handle(PHONE, '3');
    clock.advance(DAY);
    const round1 = await surveyOf(c.caseId);
    expect(await requestAgain(c, round1.id)).toBe('sent');
    expect(await requestAgain(c, round1.id)).toBe('duplicate');
    expect(await requestAgain(c)).toBe('already_open');
    expect(await roundsOf(c.caseId)).toHaveLength(2);
    expect(resurveyTexts(PHONE)).toHaveLength(1);
  });

  it('a redelivered survey.requested (same message id) and a second message for the same rectification create one round 2 (inbox + unique round)', async () => {
    const c = await closeCase(PHONE);
    await replies.handle(PHONE, '3');
    clock.advance(DAY);
    const envelope = newEnvelope('dispatch', 'survey.requested', requestFor(c, (await surveyOf(c.caseId)).id), clock.now());
    await consumer.onSurveyRequested(envelope);
    await consumer.onSurveyRequested(envelope);
    await consumer.onSurveyRequested({ ...envelope, id: randomUUID() });
    expect(await roundsOf(c.caseId)).toEqual([
      { round: 1, status: 'rated', rating: 'dissatisfied' },
      { round: 2, status: 'awaiting_reply', rating: null },
    ]);
    expect(resurveyTexts(PHONE)).toHaveLength(1);
  });

  it('不满意 again in round 2, rectified again: round 3 follows round 2', async () => {
    const c = await closeCase(PHONE);
    await replies.handle(PHONE, '3');
    clock.advance(DAY);
    await requestAgain(c, (await surveyOf(c.caseId)).id);
    await replies.handle(PHONE, '3 还是不行');
    clock.advance(DAY);
    const round2 = await surveyOf(c.caseId, 2);
    expect(await requestAgain(c, round2.id)).toBe('sent');
    expect(await surveyOf(c.caseId, 3)).toMatchObject({ status: 'awaiting_reply', followsSurveyId: round2.id });
    expect(await requestAgain(c, round2.id)).toBe('duplicate');
  });

  it('round 2 has its own window and its one reminder; unanswered it expires unrated and round 1 keeps its rating', async () => {
    const c = await closeCase(PHONE);
    await replies.handle(PHONE, '3');
    clock.advance(DAY);
    await requestAgain(c, (await surveyOf(c.caseId)).id);
    clock.advance(6 * DAY + HOUR);
    expect((await sweep.sweep()).reminded).toBe(1);
    expect(textsTo(PHONE).at(-1)).toContain(`提醒：工单${c.caseNumber}的评价明天截止`);
    clock.advance(DAY);
    expect((await sweep.sweep()).expired).toBe(1);
    expect(await roundsOf(c.caseId)).toEqual([
      { round: 1, status: 'rated', rating: 'dissatisfied' },
      { round: 2, status: 'expired', rating: null },
    ]);
    expect(await replies.handle(PHONE, '1')).toBe('window_closed');
    expect((await inbound()).at(-1)!.surveyId).toBe((await surveyOf(c.caseId, 2)).id);
    expect((await ratedEvents()).map((e) => e.round)).toEqual([1]);
  });

  it('退订 is honoured: round 2 of an opted-out phone is recorded as skipped_opt_out and never sent', async () => {
    const c = await closeCase(PHONE);
    await replies.handle(PHONE, '3');
    await replies.handle(PHONE, 'TD');
    sms.sent = [];
    clock.advance(DAY);
    expect(await requestAgain(c, (await surveyOf(c.caseId)).id)).toBe('skipped_opt_out');
    clock.advance(DAY);
    await sweep.sweep();
    expect(await surveyOf(c.caseId, 2)).toMatchObject({ status: 'skipped_opt_out', sentAt: null });
    expect(sms.sent).toEqual([]);
  });

  it('a request for a case sms-survey has no contact for is dropped without error: no survey, no SMS, no retry', async () => {
    const unknown = { caseId: randomUUID(), caseNumber: 'GR-20261201-999999' };
    const envelope = newEnvelope('dispatch', 'survey.requested', requestFor(unknown), clock.now());
    await expect(consumer.onSurveyRequested(envelope)).resolves.toBeUndefined();
    expect(await dataSource.getRepository(Survey).countBy({ caseId: unknown.caseId })).toBe(0);
    expect(sms.sent).toEqual([]);
    const handled = await dataSource.query('SELECT count(*)::int AS n FROM inbox_message WHERE message_id = $1', [envelope.id]);
    expect(handled[0].n).toBe(1); // handled (and acknowledged): a redelivery does nothing
  });

  it('the database refuses a second survey of the same round for a case', async () => {
    const c = await closeCase(PHONE);
    await expect(
      dataSource.query(
        `INSERT INTO survey (id, case_id, round, case_number, company_id, authority_id, phone_enc, phone_hash, status, created_at) VALUES ($1, $2, 1, $3, 'HC0001', 'HA210102', $4, $5, 'queued', now())`,
        [randomUUID(), c.caseId, c.caseNumber, vault.seal(OTHER_PHONE), vault.hash(OTHER_PHONE)],
      ),
    ).rejects.toThrow(/survey_case_round/);
  });
});

describe('phone numbers at rest (docs/security.md)', () => {
  /** Every `table.column` of sms-survey's database that holds a mainland mobile in clear. */
  const clearNumbers = () => columnsWithPlaintextPhones((text, params) => dataSource.query(text, params));

  it('after contacts, surveys, replies, 退订 and 订阅, a rectification round and a stranger, no table holds a number in clear; the SMS go to the numbers', async () => {
    const complaint = newEnvelope(
      'intake',
      'complaint.received',
      {
        caseId: randomUUID(),
        caseNumber: 'GR-20261201-000900',
        channel: 'hotline',
        type: 'complaint',
        category: 'too_cold',
        communityName: '幸福里小区',
        address: { cityCode: '210100', districtCode: '210102', street: '南京北街 1 号', building: '3', unit: '2', room: '501' },
        description: '卧室 15 度',
        phone: PHONE,
        indoorTemperatureC: 15,
        receivedAt: clock.now().toISOString(),
      },
      clock.now(),
    );
    await consumer.onComplaintReceived(complaint);
    const contact = await dataSource.getRepository(CaseContact).findOneByOrFail({ caseId: complaint.payload.caseId });
    expect(contact.phoneHash).toBe(vault.hash(PHONE));
    expect(vault.open(contact.phoneEnc)).toBe(PHONE);
    const closed = { caseId: complaint.payload.caseId, caseNumber: complaint.payload.caseNumber, companyId: 'HC0001', authorityId: 'HA210102', resolution: 'fixed', closedAt: clock.now().toISOString() };
    await consumer.onCaseClosed(newEnvelope('dispatch', 'case.closed', closed as CaseClosedV1, clock.now()));
    const other = await closeCase(PHONE);
    expect(await replies.handle(PHONE, '3 还是冷')).toBe('rated');
    await consumer.onSurveyRequested(newEnvelope('dispatch', 'survey.requested', requestFor(closed, (await surveyOf(closed.caseId)).id), clock.now()));
    expect(await replies.handle(PHONE, '退订')).toBe('unsubscribed');
    expect(await replies.handle(PHONE, '订阅')).toBe('resubscribed');
    expect(await replies.handle(OTHER_PHONE, '1')).toBe('no_open_survey');
    clock.advance(8 * DAY);
    await sweep.sweep();
    expect(await replies.handle(PHONE, '1')).not.toBe('rated');
    expect((await surveyOf(other.caseId)).phoneHash).toBe(vault.hash(PHONE));

    expect(sms.sent.length).toBeGreaterThan(2);
    expect(new Set(sms.sent.map((m) => m.phone))).toEqual(new Set([PHONE]));
    expect(await clearNumbers()).toEqual([]);
  });
});
