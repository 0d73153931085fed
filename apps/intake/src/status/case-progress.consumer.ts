import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { EntityManager } from 'typeorm';
import { CLOCK, Inbox } from '#shared';
import type { CaseClosedV1, CaseDispatchedV1, CaseFeedbackSubmittedV1, CaseOverdueV1, Clock, EventEnvelope, SurveyRatedV1 } from '#shared';
import { Complaint } from '../complaints/complaint.entity.js';
import { CASE_STATUSES, closedText, dispatchedText, feedbackText, lifecycleRank, overdueText, ratedText } from './case-status.js';
import type { CaseStatus } from './case-status.js';

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

  /**
   * Records the step in the history and moves the current status only forwards (events may
   * cross), in one statement: the row is locked, the history line added and the complaint updated
   * together. A case intake does not know (yet) throws, so the message is retried.
   */
  private async advance(
    em: EntityManager,
    caseId: string,
    status: CaseStatus,
    text: string,
    at: Date,
    fields: Partial<Pick<Complaint, 'companyId' | 'resolution' | 'rating'>>,
  ): Promise<void> {
    const set = (['companyId', 'resolution', 'rating'] as const).filter((f) => fields[f] !== undefined);
    const rows: unknown[] = await em.query(
      `WITH cur AS (
         SELECT id, status FROM complaint WHERE id = $1 FOR UPDATE
       ), entry AS (
         INSERT INTO complaint_status_entry (complaint_id, status, text, at) SELECT id, $2, $3, $4 FROM cur
       ), moved AS (
         UPDATE complaint c
            SET status = CASE WHEN ${RANK_SQL('$2::text')} > ${RANK_SQL('cur.status')} THEN $2 ELSE cur.status END,
                updated_at = $5${set.map((f, i) => `, ${COLUMN[f]} = $${6 + i}`).join('')}
           FROM cur WHERE c.id = cur.id
       )
       SELECT id FROM cur`,
      [caseId, status, text, at, this.clock.now(), ...set.map((f) => fields[f])],
    );
    if (rows.length === 0) throw new Error(`case ${caseId} is not known to intake`);
  }
}

const COLUMN = { companyId: 'company_id', resolution: 'resolution', rating: 'rating' } as const;

/** The lifecycle rank of a status expression, in SQL (the same order as `lifecycleRank`). */
function RANK_SQL(expression: string): string {
  return `CASE ${expression} ${CASE_STATUSES.map((s) => `WHEN '${s}' THEN ${lifecycleRank(s)}`).join(' ')} END`;
}
