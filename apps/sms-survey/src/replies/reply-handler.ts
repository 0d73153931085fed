import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { CLOCK, normalizeMainlandMobile, PHONE_VAULT, SmsSender } from '#shared';
import type { Clock, PhoneVault } from '#shared';
import { SurveyLifecycle } from '../surveys/survey-lifecycle.js';
import { Survey } from '../surveys/survey.entity.js';
import {
  ratingWindowClosed,
  replyNotUnderstood,
  resubscribedConfirmation,
  thanksForRating,
  unsubscribedConfirmation,
} from '../surveys/survey-texts.js';
import { parseSurveyReply } from './parse-survey-reply.js';
import type { ParsedReply } from './parse-survey-reply.js';

/**
 * What became of a reply. Every reply is stored (`sms_message`, direction 'in') whatever the outcome.
 *   rated           the phone's open survey is rated (survey.rated published)
 *   unrecognised    not one clear rating: the resident is asked again (at most MAX_ASK_AGAIN times)
 *   unsubscribed    退订 honoured: opt-out recorded, open and queued surveys skipped
 *   resubscribed    订阅 / 恢复: opt-out lifted
 *   window_closed   the phone's last survey expired (within LATE_REPLY_DAYS): kept, not applied
 *   already_rated   the phone's last survey is already rated: kept, not applied
 *   no_open_survey  an unknown phone, or nothing asked lately: kept, not applied, no answer
 */
export type ReplyOutcome = 'rated' | 'unrecognised' | 'unsubscribed' | 'resubscribed' | 'window_closed' | 'already_rated' | 'no_open_survey';

/** A resident is asked again at most this many times per survey (an auto-responder must not ping-pong). */
export const MAX_ASK_AGAIN = 2;
/** A reply this long after the last survey's window is filed with it (else with no survey). */
export const LATE_REPLY_DAYS = 30;
/** A longer text is no SMS reply: stored in full, never read as a rating. */
export const REPLY_MAX_CHARS = 1_000;

const DAY_MS = 86_400_000;

interface SurveyRow {
  id: string;
  case_id: string;
  case_number: string;
  round: number;
  company_id: string;
  authority_id: string;
  status: Survey['status'];
  expires_at: Date | string | null;
  rated_at: Date | string | null;
  unrecognised_replies: number;
  late_reply_answered_at: Date | string | null;
}

/**
 * Replies to survey SMS, from any provider callback or the console (docs/surveys.md). The reply
 * names no case: it goes to the one survey the phone has awaiting a reply, or to none. The
 * sender's number is matched by its blind index (PhoneVault.hash of the normalised number) and
 * stored sealed; it is used in clear only to answer by SMS.
 */
@Injectable()
export class ReplyHandler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly lifecycle: SurveyLifecycle,
    private readonly sms: SmsSender,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PHONE_VAULT) private readonly vault: PhoneVault,
  ) {}

  /** Handles one reply; in the caller's transaction when `em` is given, else in its own. */
  async handle(phone: string, text: string, em?: EntityManager): Promise<ReplyOutcome> {
    try {
      return em ? await this.process(em, phone, text) : await this.dataSource.transaction((tx) => this.process(tx, phone, text));
    } finally {
      this.sms.kick();
    }
  }

  private async process(em: EntityManager, receivedPhone: string, received: string): Promise<ReplyOutcome> {
    const phone = normalizeMainlandMobile(receivedPhone) ?? receivedPhone;
    const sealed = this.vault.protect(phone);
    const now = this.clock.now();
    // PostgreSQL text cannot hold NUL; everything else is kept as received.
    const text = received.replace(/\u0000/g, '\uFFFD');
    const parsed: ParsedReply = Array.from(text).length > REPLY_MAX_CHARS ? { kind: 'unrecognised' } : parseSurveyReply(text);
    const keep = (surveyId: string | null) =>
      em.query(
        `INSERT INTO sms_message (direction, phone_enc, phone_hash, text, status, attempts, provider, survey_id, at) VALUES ('in', $1, $2, $3, 'received', 0, 'inbound', $4, $5)`,
        [sealed.enc, sealed.hash, text, surveyId, now],
      );

    if (parsed.kind === 'unsubscribe' || parsed.kind === 'resubscribe') {
      const last = await this.lastSurvey(em, sealed.hash);
      await keep(last?.id ?? null);
      // Answer only a phone we surveyed (never text strangers), and only when something changed.
      if (parsed.kind === 'unsubscribe') {
        if ((await this.lifecycle.optOut(em, sealed)) && last) await this.sms.queue(em, phone, unsubscribedConfirmation(), last.id);
        return 'unsubscribed';
      }
      if ((await this.lifecycle.optIn(em, sealed.hash)) && last) await this.sms.queue(em, phone, resubscribedConfirmation(), last.id);
      return 'resubscribed';
    }

    /*
     * One statement: lock the phone's open survey (the row lock orders replies of one phone: a
     * second reply waits, then finds the survey rated) and store the reply, linked to it when it
     * is still in its window, else to nothing for now (linked below to the survey it concerns).
     */
    const [open] = (await em.query(
      `WITH open AS (SELECT * FROM survey WHERE phone_hash = $1 AND status = 'awaiting_reply' FOR UPDATE),
       kept AS (
         INSERT INTO sms_message (direction, phone_enc, phone_hash, text, status, attempts, provider, survey_id, at)
         VALUES ('in', $4, $1, $2, 'received', 0, 'inbound', (SELECT id FROM open WHERE expires_at > $3), $3)
         RETURNING id
       )
       SELECT (SELECT id FROM kept) AS message_id, open.* FROM (SELECT 1) one LEFT JOIN open ON true`,
      [sealed.hash, text, now, sealed.enc],
    )) as Array<SurveyRow & { message_id: string }>;
    const link = (surveyId: string) => em.query('UPDATE sms_message SET survey_id = $2 WHERE id = $1', [open.message_id, surveyId]);

    if (open.id && new Date(open.expires_at!).getTime() > now.getTime()) {
      if (parsed.kind === 'rating') {
        await this.lifecycle.rate(em, toSurvey(open), parsed.rating, parsed.comment ?? null, 'sms');
        await this.sms.queue(em, phone, thanksForRating(open.case_number), open.id);
        return 'rated';
      }
      await em.query('UPDATE survey SET unrecognised_replies = unrecognised_replies + 1 WHERE id = $1', [open.id]);
      if (open.unrecognised_replies < MAX_ASK_AGAIN) await this.sms.queue(em, phone, replyNotUnderstood(), open.id);
      return 'unrecognised';
    }
    // The window closed a moment ago and the sweep has not run yet: it is closed all the same.
    if (open.id) await this.lifecycle.expire(em, open.id);

    const last = open.id ? { ...open, status: 'expired' as const } : await this.lastSurvey(em, sealed.hash);
    if (!last) return 'no_open_survey';
    await link(last.id);
    if (last.status === 'expired') {
      const answered = (await em.query(
        'UPDATE survey SET late_reply_answered_at = $2 WHERE id = $1 AND late_reply_answered_at IS NULL RETURNING id',
        [last.id, now],
      )) as unknown[];
      if (rowsOf(answered) > 0 && !(await this.lifecycle.isOptedOut(em, sealed.hash))) {
        await this.sms.queue(em, phone, ratingWindowClosed(last.case_number), last.id);
      }
      return 'window_closed';
    }
    return last.status === 'rated' ? 'already_rated' : 'no_open_survey';
  }

  /** The phone's most recently sent survey, if it was sent within the window plus LATE_REPLY_DAYS. */
  private async lastSurvey(em: EntityManager, phoneHash: string): Promise<SurveyRow | undefined> {
    const since = new Date(this.clock.now().getTime() - LATE_REPLY_DAYS * DAY_MS);
    const [row] = (await em.query(
      `SELECT * FROM survey WHERE phone_hash = $1 AND sent_at IS NOT NULL AND expires_at > $2 ORDER BY sent_at DESC LIMIT 1`,
      [phoneHash, since],
    )) as SurveyRow[];
    return row;
  }
}

/** UPDATE … RETURNING through TypeORM's query(): [rows, count] on PostgreSQL. */
function rowsOf(result: unknown): number {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[1];
  return Array.isArray(result) ? result.length : 0;
}

function toSurvey(row: SurveyRow): Survey {
  return {
    id: row.id,
    caseId: row.case_id,
    caseNumber: row.case_number,
    round: Number(row.round),
    companyId: row.company_id,
    authorityId: row.authority_id,
  } as Survey;
}
