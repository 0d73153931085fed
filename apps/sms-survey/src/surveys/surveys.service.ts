import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, LessThan } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { CLOCK } from '#shared';
import type { CaseClosedV1, Clock } from '#shared';
import { CaseContact } from '../contacts/case-contact.entity.js';
import { SmsSender } from '#shared';
import { ReplyHandler } from '../replies/reply-handler.js';
import type { ReplyOutcome } from '../replies/reply-handler.js';
import { SurveyLifecycle } from './survey-lifecycle.js';
import { Survey } from './survey.entity.js';

export type { ReplyOutcome } from '../replies/reply-handler.js';

/**
 * Surveys by SMS. Provider replies carry no case id, so a phone has at most one survey awaiting
 * its reply (a partial unique index enforces it); further closed cases of the same phone wait
 * queued and go out one by one. A reply therefore always lands on the case it was asked about.
 */
@Injectable()
export class SurveysService {
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
      caseNumber: closed.caseNumber,
      companyId: closed.companyId,
      authorityId: closed.authorityId,
      phone: contact.phone,
      // 退订 is honoured: the survey is recorded, never sent, never counted as rated.
      status: (await this.lifecycle.isOptedOut(em, contact.phone)) ? 'skipped_opt_out' : 'queued',
      createdAt: this.clock.now(),
      sentAt: null,
      expiresAt: null,
      ratedAt: null,
      rating: null,
      comment: null,
    });
    await em.insert(Survey, survey);
    await this.lifecycle.sendNextFor(em, contact.phone);
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
        if (affected) await this.lifecycle.sendNextFor(em, s.phone);
      });
    }
    if (overdue.length > 0) this.sms.kick();
    return overdue.length;
  }
}
