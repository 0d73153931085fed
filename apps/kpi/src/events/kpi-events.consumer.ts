import { Controller, Inject, Logger, Optional } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Inbox } from '#shared';
import type { BadRatingUpdatedV1, CaseClosedV1, CaseDispatchedV1, CaseFeedbackSubmittedV1, CaseOverdueV1, ComplaintReceivedV1, ConsultationAnsweredV1, EventEnvelope, IncidentUpdatedV1, SurveyRatedV1 } from '#shared';
import { KpiProjector } from './kpi-projector.js';

/** Told of every event kpi stored, once its transaction committed (the live board). */
export interface CommittedEventListener {
  onCommitted(env: EventEnvelope): void;
}
export const COMMITTED_EVENT_LISTENER = Symbol('COMMITTED_EVENT_LISTENER');

/**
 * kpi's consumer: every event is stored once (inbox) in kpi_event and, if it carries a fact for
 * the indicators, projected in the same transaction.
 */
@Controller()
export class KpiEventsConsumer {
  private readonly logger = new Logger('KpiEventsConsumer');

  constructor(
    private readonly inbox: Inbox,
    private readonly projector: KpiProjector,
    @Optional() @Inject(COMMITTED_EVENT_LISTENER) private readonly listener?: CommittedEventListener,
  ) {}

  @EventPattern('complaint.received')
  async onReceived(@Payload() env: EventEnvelope<ComplaintReceivedV1>): Promise<void> {
    // Stored for monitoring and rebuilds; the phone number is not kept in kpi.
    const { phone: _phone, contactName: _name, ...rest } = env.payload;
    await this.handle({ ...env, payload: rest });
  }

  /** Consultations answered at intake count (monitoring, rebuilds) but are not dispatched. */
  @EventPattern('consultation.answered')
  async onConsultation(@Payload() env: EventEnvelope<ConsultationAnsweredV1>): Promise<void> {
    await this.handle(env);
  }

  /** First dispatch, or a re-dispatch (previousCompanyId): the case and its counters follow the final company. */
  @EventPattern('case.dispatched')
  async onDispatched(@Payload() env: EventEnvelope<CaseDispatchedV1>): Promise<void> {
    await this.handle(env);
  }

  /** Stored for monitoring and rebuilds (overdue cases are not one of the five indicators). */
  @EventPattern('case.overdue')
  async onOverdue(@Payload() env: EventEnvelope<CaseOverdueV1>): Promise<void> {
    await this.handle(env);
  }

  /** Approved reconsiderations and failed spot-checks move the satisfaction rate; the other steps are stored. */
  @EventPattern('bad_rating.updated')
  async onBadRating(@Payload() env: EventEnvelope<BadRatingUpdatedV1>): Promise<void> {
    await this.handle(env);
  }

  @EventPattern('case.feedback_submitted')
  async onFeedback(@Payload() env: EventEnvelope<CaseFeedbackSubmittedV1>): Promise<void> {
    await this.handle(env);
  }

  @EventPattern('case.closed')
  async onClosed(@Payload() env: EventEnvelope<CaseClosedV1>): Promise<void> {
    await this.handle(env);
  }

  /** A fresh survey after a rectification replaces the case's earlier rating. */
  @EventPattern('survey.rated')
  async onRated(@Payload() env: EventEnvelope<SurveyRatedV1>): Promise<void> {
    await this.handle(env);
  }

  /** Outage incidents (大面积停供) as dispatch sees them: stored, and shown on the live page. */
  @EventPattern('incident.updated')
  async onIncident(@Payload() env: EventEnvelope<IncidentUpdatedV1>): Promise<void> {
    await this.handle(env);
  }

  /** Stores and projects one event, once per message id; then, committed, it goes to the live board. */
  async handle(env: EventEnvelope): Promise<void> {
    const fresh = await this.inbox.once(env, async (em) => {
      await this.projector.record(em, env);
      await this.projector.project(em, env);
    });
    if (!fresh || !this.listener) return;
    try {
      this.listener.onCommitted(env);
    } catch (error) {
      this.logger.error({ err: error, type: env.type }, 'the live board could not take an event (it is stored)');
    }
  }
}
