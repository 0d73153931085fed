import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, LessThan } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { CLOCK } from '#shared';
import type { CaseClosedV1, Clock, SurveyRequestedV1 } from '#shared';
import { CaseContact } from '../contacts/case-contact.entity.js';
import { SmsSender } from '#shared';
import { ReplyHandler } from '../replies/reply-handler.js';
import type { ReplyOutcome } from '../replies/reply-handler.js';
import { SurveyLifecycle } from './survey-lifecycle.js';
import { Survey } from './survey.entity.js';

export type { ReplyOutcome } from '../replies/reply-handler.js';

/**
 * What became of a survey.requested (a fresh survey after a rectification):
 *   queued           the next round is recorded and waits its turn (or went out at once: `sent`)
 *   sent             the next round's invitation went out in this transaction
 *   skipped_opt_out  the phone replied 退订: recorded, never sent
 *   duplicate        that round exists already (a repeated request): nothing new
 *   already_open     (request without surveyId) the case's latest survey is still queued or out
 *   no_contact       sms-survey knows no phone for the case: logged, nothing recorded
 */
export type SurveyRequestOutcome = 'queued' | 'sent' | 'skipped_opt_out' | 'duplicate' | 'already_open' | 'no_contact';

/**
 * Surveys by SMS. Provider replies carry no case id, so a phone has at most one survey awaiting
 * its reply (a partial unique index enforces it); further closed cases of the same phone wait
 * queued and go out one by one. A reply therefore always lands on the case it was asked about.
 */
@Injectable()
export class SurveysService {
  private readonly logger = new Logger('Surveys');

  constructor(
    private readonly dataSource: DataSource,
    private readonly sms: SmsSender,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly lifecycle: SurveyLifecycle,
    private readonly replies: ReplyHandler,
  ) {}

  async onCaseClosed(em: EntityManager, closed: CaseClosedV1): Promise<void> {
    const contact = await em.findOneBy(CaseContact, { caseId: closed.caseId });
    // complaint.received may still be on its way (events cross); the bus retries this one later.
    if (!contact) throw new Error(`no contact yet for case ${closed.caseId}`);
    if (await em.existsBy(Survey, { caseId: closed.caseId })) return;
    const survey = em.create(Survey, {
      id: randomUUID(),
      caseId: closed.caseId,
      round: 1,
      followsSurveyId: null,
      caseNumber: closed.caseNumber,
      companyId: closed.companyId,
      authorityId: closed.authorityId,
      phoneEnc: contact.phoneEnc,
      phoneHash: contact.phoneHash,
      // 退订 is honoured: the survey is recorded, never sent, never counted as rated.
      status: (await this.lifecycle.isOptedOut(em, contact.phoneHash)) ? 'skipped_opt_out' : 'queued',
      createdAt: this.clock.now(),
      sentAt: null,
      expiresAt: null,
      ratedAt: null,
      rating: null,
      comment: null,
    });
    await em.insert(Survey, survey);
    await this.lifecycle.sendNextFor(em, contact.phoneHash);
  }

  /**
   * survey.requested: the company rectified after a 不满意 rating, so the resident is asked again,
   * in a new round of the case's survey (docs/surveys.md, "Rounds"). The new round is queued behind
   * whatever the phone has out, like any survey; 退订 is honoured. Idempotent: the round is the
   * followed survey's round + 1 and (case, round) is unique, so a repeated request adds nothing.
   */
  async onSurveyRequested(em: EntityManager, requested: SurveyRequestedV1): Promise<SurveyRequestOutcome> {
    const contact = await em.findOneBy(CaseContact, { caseId: requested.caseId });
    if (!contact) {
      // Round 1 of the case was never surveyed here, so there is nobody to ask. Retrying cannot help.
      this.logger.warn(`survey.requested for case ${requested.caseNumber} (${requested.caseId}): no resident's phone is known for it; no survey sent`);
      return 'no_contact';
    }
    await this.lifecycle.lockPhone(em, contact.phoneHash);
    const followed = requested.surveyId ? await em.findOneBy(Survey, { id: requested.surveyId, caseId: requested.caseId }) : null;
    const latest = followed ?? (await em.findOne(Survey, { where: { caseId: requested.caseId }, order: { round: 'DESC' } }));
    if (!followed && latest && (latest.status === 'queued' || latest.status === 'awaiting_reply')) {
      this.logger.log(`survey.requested for case ${requested.caseNumber}: round ${latest.round} is still ${latest.status}; no further round`);
      return 'already_open';
    }
    const id = randomUUID();
    const optedOut = await this.lifecycle.isOptedOut(em, contact.phoneHash);
    const inserted = (await em.query(
      `INSERT INTO survey (id, case_id, round, follows_survey_id, case_number, company_id, authority_id, phone_enc, phone_hash, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING RETURNING id`,
      [
        id,
        requested.caseId,
        (latest?.round ?? 0) + 1,
        latest?.id ?? null,
        requested.caseNumber,
        requested.companyId,
        requested.authorityId,
        contact.phoneEnc,
        contact.phoneHash,
        // 退订 is honoured: the survey is recorded, never sent, never counted as rated.
        optedOut ? 'skipped_opt_out' : 'queued',
        this.clock.now(),
      ],
    )) as unknown[];
    if (inserted.length === 0) return 'duplicate';
    if (optedOut) return 'skipped_opt_out';
    await this.lifecycle.sendNextFor(em, contact.phoneHash);
    const [{ status }] = (await em.query('SELECT status FROM survey WHERE id = $1', [id])) as Array<{ status: Survey['status'] }>;
    return status === 'awaiting_reply' ? 'sent' : 'queued';
  }

  /** Handles a resident's reply (from any provider callback): replies/reply-handler.ts, docs/surveys.md. */
  async onReply(phone: string, text: string, em?: EntityManager): Promise<ReplyOutcome> {
    return this.replies.handle(phone, text, em);
  }

  /** Expires surveys past their window (unrated stays unrated) and sends the next queued ones. */
  async expireOverdue(): Promise<number> {
    const overdue = await this.dataSource.getRepository(Survey).findBy({ status: 'awaiting_reply', expiresAt: LessThan(this.clock.now()) });
    for (const s of overdue) {
      await this.dataSource.transaction(async (em) => {
        const { affected } = await em.update(Survey, { id: s.id, status: 'awaiting_reply' }, { status: 'expired' });
        if (affected) await this.lifecycle.sendNextFor(em, s.phoneHash);
      });
    }
    if (overdue.length > 0) this.sms.kick();
    return overdue.length;
  }
}
