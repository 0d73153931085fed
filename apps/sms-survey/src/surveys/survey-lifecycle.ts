import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { CLOCK, Outbox, OUTBOX_COLUMNS, PHONE_VAULT, SERVICE_CONFIG, SmsSender } from '#shared';
import type { Clock, PhoneVault, Rating, SealedPhone, ServiceConfig } from '#shared';
import { SmsOptOut } from '../replies/sms-opt-out.entity.js';
import { SurveyLinks } from '../web-rating/survey-links.js';
import { Survey } from './survey.entity.js';
import { invitationForRound, smsSegments, surveyInvitation, surveyReminder, surveyResurveyInvitation } from './survey-texts.js';

const HOUR_MS = 3_600_000;
/** The one reminder goes out when the window closes within this long and no rating came. */
export const REMINDER_BEFORE_CLOSE_MS = 24 * HOUR_MS;
/**
 * After a phone's survey ends (rated or expired) its next queued survey waits this long, so that a
 * second message meant for the first case (「1」 then 「3，还是不热」, or a late reply) is not read
 * as the answer to the next one. docs/surveys.md.
 */
export const NEXT_SURVEY_GAP_MS = 30 * 60_000;
/** Namespace of the per-phone transaction lock (pg_advisory_xact_lock(namespace, hashtext(phone_hash))). */
const PHONE_LOCK_NAMESPACE = 7402;
const SWEEP_BATCH = 500;

/**
 * The states of a survey and the moves between them (docs/surveys.md):
 *   queued → awaiting_reply → rated | expired;  queued | awaiting_reply → skipped_opt_out.
 * At most one survey per phone awaits a reply (partial unique index survey_one_open_per_phone): a
 * reply, which names no case, can only land on the case the phone was last asked about.
 * A phone is known here by its blind index (`phoneHash`, PhoneVault.hash of the normalised
 * number); the number itself is opened only to send an SMS.
 */
@Injectable()
export class SurveyLifecycle implements OnModuleInit {
  private readonly logger = new Logger('SurveyLifecycle');
  /** How long a survey waits for a rating (SURVEY_WINDOW_DAYS). */
  readonly windowMs: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly sms: SmsSender,
    private readonly links: SurveyLinks,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(PHONE_VAULT) private readonly vault: PhoneVault,
  ) {
    this.windowMs = config.surveyWindowDays * 24 * HOUR_MS;
  }

  onModuleInit(): void {
    if (!this.links.enabled && this.config.mode === 'production') {
      this.logger.warn('PUBLIC_BASE_URL is not set: survey SMS go out without a web rating link (replies by SMS still work)');
    }
    const sample = ['GR-20261129-000123', this.links.sampleUrl()] as const;
    const segments = Math.max(smsSegments(surveyInvitation(...sample)), smsSegments(surveyResurveyInvitation(...sample)));
    if (segments > 2) {
      this.logger.warn(`the survey invitation takes ${segments} SMS segments with this PUBLIC_BASE_URL (at most 2 intended): use a shorter address`);
    }
  }

  /** Serialises, until the transaction ends, every change to one phone's queue of surveys. */
  async lockPhone(em: EntityManager, phoneHash: string): Promise<void> {
    await em.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [PHONE_LOCK_NAMESPACE, phoneHash]);
  }

  async isOptedOut(em: EntityManager, phoneHash: string): Promise<boolean> {
    return em.existsBy(SmsOptOut, { phoneHash });
  }

  /**
   * Sends the phone's oldest queued survey, if none awaits a reply and the last one ended at least
   * NEXT_SURVEY_GAP_MS ago (else the sweep sends it later). Returns whether one went out. A later
   * round of a case (after a rectification) waits in the same queue as any other survey of the phone.
   */
  async sendNextFor(em: EntityManager, phoneHash: string): Promise<boolean> {
    await this.lockPhone(em, phoneHash);
    const [next] = (await em.query(
      `SELECT n.id, n.case_number, n.round, n.phone_enc,
         EXISTS (SELECT 1 FROM survey a WHERE a.phone_hash = $1 AND a.status = 'awaiting_reply') AS awaiting,
         (SELECT max(CASE WHEN e.status = 'rated' THEN e.rated_at WHEN e.status = 'expired' THEN e.expires_at END)
            FROM survey e WHERE e.phone_hash = $1) AS last_ended,
         EXISTS (SELECT 1 FROM sms_opt_out o WHERE o.phone_hash = $1) AS opted_out
       FROM (SELECT id, case_number, round, phone_enc FROM survey WHERE phone_hash = $1 AND status = 'queued' ORDER BY created_at, id LIMIT 1) n`,
      [phoneHash],
    )) as Array<{ id: string; case_number: string; round: number; phone_enc: string; awaiting: boolean; last_ended: Date | string | null; opted_out: boolean }>;
    if (!next || next.awaiting) return false;
    if (next.opted_out) {
      await em.query(`UPDATE survey SET status = 'skipped_opt_out' WHERE phone_hash = $1 AND status = 'queued'`, [phoneHash]);
      return false;
    }
    const now = this.clock.now();
    if (next.last_ended !== null && now.getTime() - new Date(next.last_ended).getTime() < NEXT_SURVEY_GAP_MS) return false;
    await em.update(Survey, { id: next.id, status: 'queued' }, { status: 'awaiting_reply', sentAt: now, expiresAt: new Date(now.getTime() + this.windowMs) });
    const link = await this.links.issue(em, next.id);
    await this.sms.queue(em, this.vault.open(next.phone_enc), invitationForRound(Number(next.round), next.case_number, link), next.id);
    return true;
  }

  /**
   * Records the rating of a survey that awaits one and publishes survey.rated (same transaction).
   * False when the survey no longer awaits a rating (rated by the other channel meanwhile, expired).
   */
  async rate(em: EntityManager, survey: Survey, rating: Rating, comment: string | null, via: 'sms' | 'web'): Promise<boolean> {
    const now = this.clock.now();
    const event = this.outbox.prepare(em, 'survey.rated', {
      surveyId: survey.id,
      caseId: survey.caseId,
      caseNumber: survey.caseNumber,
      companyId: survey.companyId,
      authorityId: survey.authorityId,
      rating,
      ...(comment ? { comment } : {}),
      via,
      ratedAt: now.toISOString(),
      round: survey.round,
    });
    // One statement: the rating and its outbox row, or neither (the survey no longer awaits a rating).
    const inserted = (await em.query(
      `WITH rated AS (
         UPDATE survey SET status = 'rated', rating = $2, comment = $3, rated_at = $4, rated_via = $5
         WHERE id = $1 AND status = 'awaiting_reply' RETURNING id
       )
       INSERT INTO outbox_message (${OUTBOX_COLUMNS}) SELECT $6, $7, $8, $9, $10 FROM rated RETURNING message_id`,
      [survey.id, rating, comment, now, via, ...event.values],
    )) as unknown[];
    return inserted.length > 0;
  }

  /** Ends a survey whose window has closed: expired, unrated (never counted as satisfied). */
  async expire(em: EntityManager, surveyId: string): Promise<boolean> {
    const { affected } = await em.update(Survey, { id: surveyId, status: 'awaiting_reply' }, { status: 'expired' });
    return Boolean(affected);
  }

  /** 退订: records the opt-out; the phone's open and queued surveys are skipped. True if it is new. */
  async optOut(em: EntityManager, phone: SealedPhone): Promise<boolean> {
    await this.lockPhone(em, phone.hash);
    const inserted = (await em.query(
      'INSERT INTO sms_opt_out (phone_hash, phone_enc, opted_out_at) VALUES ($1, $2, $3) ON CONFLICT (phone_hash) DO NOTHING RETURNING phone_hash',
      [phone.hash, phone.enc, this.clock.now()],
    )) as unknown[];
    await em.query(`UPDATE survey SET status = 'skipped_opt_out' WHERE phone_hash = $1 AND status IN ('awaiting_reply', 'queued')`, [phone.hash]);
    return inserted.length > 0;
  }

  /** 订阅 / 恢复: future surveys go out again (skipped ones stay skipped). True if the phone had opted out. */
  async optIn(em: EntityManager, phoneHash: string): Promise<boolean> {
    await this.lockPhone(em, phoneHash);
    const { affected } = await em.delete(SmsOptOut, { phoneHash });
    return Boolean(affected);
  }

  /** Sweep: the one reminder for each survey whose window closes within 24 h. Returns how many went out. */
  async remindDue(): Promise<number> {
    const now = this.clock.now();
    const due = (await this.dataSource.query(
      `SELECT id, phone_enc, case_number FROM survey
       WHERE status = 'awaiting_reply' AND reminded_at IS NULL AND expires_at > $1 AND expires_at <= $2
       ORDER BY expires_at LIMIT ${SWEEP_BATCH}`,
      [now, new Date(now.getTime() + REMINDER_BEFORE_CLOSE_MS)],
    )) as Array<{ id: string; phone_enc: string; case_number: string }>;
    let sent = 0;
    for (const s of due) {
      await this.dataSource.transaction(async (em) => {
        const { affected } = await em
          .createQueryBuilder()
          .update(Survey)
          .set({ remindedAt: now })
          .where("id = :id AND status = 'awaiting_reply' AND reminded_at IS NULL", { id: s.id })
          .execute();
        if (!affected) return; // rated meanwhile, or another replica reminded it
        const link = await this.links.issue(em, s.id);
        await this.sms.queue(em, this.vault.open(s.phone_enc), surveyReminder(s.case_number, link), s.id);
        sent++;
      });
    }
    if (sent > 0) this.sms.kick();
    return sent;
  }

  /** Sweep: queued surveys of phones with none out (and past the gap) go out. Returns how many went out. */
  async sendDueQueued(): Promise<number> {
    const phones = (await this.dataSource.query(
      `SELECT DISTINCT q.phone_hash FROM survey q
       WHERE q.status = 'queued' AND NOT EXISTS (SELECT 1 FROM survey a WHERE a.phone_hash = q.phone_hash AND a.status = 'awaiting_reply')
       LIMIT ${SWEEP_BATCH}`,
    )) as Array<{ phone_hash: string }>;
    let sent = 0;
    for (const { phone_hash: phoneHash } of phones) {
      if (await this.dataSource.transaction((em) => this.sendNextFor(em, phoneHash))) sent++;
    }
    if (sent > 0) this.sms.kick();
    return sent;
  }
}
