import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { EntityManager } from 'typeorm';
import { CLOCK, Inbox } from '#shared';
import type { CaseClosedV1, CaseDispatchedV1, CaseFeedbackSubmittedV1, CaseOverdueV1, Clock, EventEnvelope, SurveyRatedV1 } from '#shared';
import { Complaint } from '../complaints/complaint.entity.js';
import { closedText, dispatchedText, feedbackText, isAdvance, overdueText, ratedText } from './case-status.js';
import type { CaseStatus } from './case-status.js';
import { StatusEntry } from './status-entry.entity.js';

/** Follows the case downstream so residents and operators see its progress at intake. */
@Controller()
export class CaseProgressConsumer {
  constructor(
    private readonly inbox: Inbox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @EventPattern('case.dispatched')
  async onDispatched(@Payload() env: EventEnvelope<CaseDispatchedV1>): Promise<void> {
    const p = env.payload;
    await this.inbox.once(env, (em) => this.advance(em, p.caseId, 'dispatched', dispatchedText(p.previousCompanyId !== undefined), new Date(p.dispatchedAt), { companyId: p.companyId }));
  }

  /** A history line only: the case is still with its company, now under the authority's supervision. */
  @EventPattern('case.overdue')
  async onOverdue(@Payload() env: EventEnvelope<CaseOverdueV1>): Promise<void> {
    const p = env.payload;
    await this.inbox.once(env, (em) => this.advance(em, p.caseId, 'dispatched', overdueText(), new Date(p.overdueAt), {}));
  }

  @EventPattern('case.feedback_submitted')
  async onFeedback(@Payload() env: EventEnvelope<CaseFeedbackSubmittedV1>): Promise<void> {
    const p = env.payload;
    await this.inbox.once(env, (em) => this.advance(em, p.caseId, 'feedback', feedbackText(p.resolution), new Date(p.submittedAt), {}));
  }

  @EventPattern('case.closed')
  async onClosed(@Payload() env: EventEnvelope<CaseClosedV1>): Promise<void> {
    const p = env.payload;
    await this.inbox.once(env, (em) =>
      this.advance(em, p.caseId, 'closed', closedText(p.resolution), new Date(p.closedAt), { resolution: p.resolution }),
    );
  }

  @EventPattern('survey.rated')
  async onRated(@Payload() env: EventEnvelope<SurveyRatedV1>): Promise<void> {
    const p = env.payload;
    await this.inbox.once(env, (em) => this.advance(em, p.caseId, 'rated', ratedText(p.rating), new Date(p.ratedAt), { rating: p.rating }));
  }

  /** Records the step in the history; moves the current status only forwards (events may cross). */
  private async advance(
    em: EntityManager,
    caseId: string,
    status: CaseStatus,
    text: string,
    at: Date,
    fields: Partial<Complaint>,
  ): Promise<void> {
    const complaint = await em.findOne(Complaint, { where: { id: caseId }, lock: { mode: 'pessimistic_write' } });
    if (!complaint) throw new Error(`case ${caseId} is not known to intake`);
    await em.insert(StatusEntry, { complaintId: caseId, status, text, at });
    const next = isAdvance(complaint.status, status) ? status : complaint.status;
    await em.update(Complaint, { id: caseId }, { ...fields, status: next, updatedAt: this.clock.now() });
  }
}
