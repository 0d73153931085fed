import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, LessThan } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { CLOCK, Outbox } from '#shared';
import type { CaseClosedV1, Clock } from '#shared';
import { CaseContact } from '../contacts/case-contact.entity.js';
import { SmsMessage } from '#shared';
import { SmsSender } from '#shared';
import { parseSurveyReply } from '../replies/parse-survey-reply.js';
import { Survey } from './survey.entity.js';
import { replyNotUnderstood, surveyInvitation, SURVEY_WINDOW_MS, thanksForRating } from './survey-texts.js';

export type ReplyOutcome = 'rated' | 'unsubscribed' | 'unrecognised' | 'no_open_survey';

/**
 * Surveys by SMS. Provider replies carry no case id, so a phone has at most one survey awaiting
 * its reply (a partial unique index enforces it); further closed cases of the same phone wait
 * queued and go out one by one. A reply therefore always lands on the case it was asked about.
 */
@Injectable()
export class SurveysService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly sms: SmsSender,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onCaseClosed(em: EntityManager, closed: CaseClosedV1): Promise<void> {
    const contact = await em.findOneBy(CaseContact, { caseId: closed.caseId });
    // complaint.received may still be on its way (events cross); the bus retries this one later.
    if (!contact) throw new Error(`no contact yet for case ${closed.caseId}`);
    if (await em.existsBy(Survey, { caseId: closed.caseId })) return;
    const survey = em.create(Survey, {
      id: randomUUID(),
      caseId: closed.caseId,
      caseNumber: closed.caseNumber,
      companyId: closed.companyId,
      authorityId: closed.authorityId,
      phone: contact.phone,
      status: 'queued',
      createdAt: this.clock.now(),
      sentAt: null,
      expiresAt: null,
      ratedAt: null,
      rating: null,
      comment: null,
    });
    await em.insert(Survey, survey);
    await this.sendNextFor(em, contact.phone);
  }

  /** Handles a resident's reply (from any provider callback). */
  async onReply(phone: string, text: string): Promise<ReplyOutcome> {
    return this.dataSource.transaction(async (em) => {
      const now = this.clock.now();
      const survey = await em.findOne(Survey, { where: { phone, status: 'awaiting_reply' }, lock: { mode: 'pessimistic_write' } });
      await em.insert(SmsMessage, {
        direction: 'in', phone, text, status: 'received', attempts: 0, provider: 'inbound',
        providerMessageId: null, surveyId: survey?.id ?? null, at: now,
      });
      if (!survey) return 'no_open_survey';
      const parsed = parseSurveyReply(text);
      if (parsed.kind === 'unrecognised') {
        await this.sms.queue(em, phone, replyNotUnderstood(), survey.id);
        return 'unrecognised';
      }
      if (parsed.kind === 'unsubscribe') {
        await em.update(Survey, { phone, status: 'awaiting_reply' }, { status: 'expired' });
        await em.update(Survey, { phone, status: 'queued' }, { status: 'expired' });
        return 'unsubscribed';
      }
      await em.update(Survey, { id: survey.id }, { status: 'rated', rating: parsed.rating, comment: parsed.comment ?? null, ratedAt: now });
      await this.outbox.add(em, 'survey.rated', {
        surveyId: survey.id,
        caseId: survey.caseId,
        caseNumber: survey.caseNumber,
        companyId: survey.companyId,
        authorityId: survey.authorityId,
        rating: parsed.rating,
        ...(parsed.comment ? { comment: parsed.comment } : {}),
        via: 'sms',
        ratedAt: now.toISOString(),
      });
      await this.sms.queue(em, phone, thanksForRating(survey.caseNumber), survey.id);
      await this.sendNextFor(em, phone);
      return 'rated';
    }).finally(() => this.sms.kick());
  }

  /** Expires surveys past their window (unrated stays unrated) and sends the next queued ones. */
  async expireOverdue(): Promise<number> {
    const overdue = await this.dataSource.getRepository(Survey).findBy({ status: 'awaiting_reply', expiresAt: LessThan(this.clock.now()) });
    for (const s of overdue) {
      await this.dataSource.transaction(async (em) => {
        const { affected } = await em.update(Survey, { id: s.id, status: 'awaiting_reply' }, { status: 'expired' });
        if (affected) await this.sendNextFor(em, s.phone);
      });
    }
    if (overdue.length > 0) this.sms.kick();
    return overdue.length;
  }

  /** If the phone has no survey out, sends its oldest queued one. */
  private async sendNextFor(em: EntityManager, phone: string): Promise<void> {
    if (await em.existsBy(Survey, { phone, status: 'awaiting_reply' })) return;
    const next = await em.findOne(Survey, { where: { phone, status: 'queued' }, order: { createdAt: 'ASC' } });
    if (!next) return;
    const now = this.clock.now();
    await em.update(Survey, { id: next.id }, { status: 'awaiting_reply', sentAt: now, expiresAt: new Date(now.getTime() + SURVEY_WINDOW_MS) });
    await this.sms.queue(em, phone, surveyInvitation(next.caseNumber), next.id);
  }
}
