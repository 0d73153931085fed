import { Inject, Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { CLOCK, shanghaiMonth } from '#shared';
import type { BadRatingUpdatedV1, CaseDispatchedV1, CaseFeedbackSubmittedV1, CaseClosedV1, Clock, EventEnvelope, SurveyRatedV1 } from '#shared';
import { ON_TIME_DISPATCH_MS } from '../indicators/indicator-formulas.js';
import { KpiCase, KpiEvent } from './kpi-entities.js';
import type { UnitType } from './kpi-entities.js';

type Counter =
  | 'dispatched'
  | 'on_time_dispatched'
  | 'with_feedback'
  | 'feedback_days_sum'
  | 'closed'
  | 'rated'
  | 'satisfied'
  | 'basically_satisfied'
  | 'dissatisfied'
  | 'approved_reconsiderations'
  | 'failed_spot_checks';

const DAY_MS = 24 * 3600 * 1000;

/**
 * Stores each event and moves the (unit, month) counters, inside the consumer's transaction.
 * Every case fact is counted at most once (guarded on kpi_case), whatever the redelivery.
 */
@Injectable()
export class KpiProjector {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  async record(em: EntityManager, env: EventEnvelope): Promise<void> {
    await em.insert(KpiEvent, {
      messageId: env.id,
      type: env.type,
      version: env.version,
      occurredAt: new Date(env.occurredAt),
      payload: env.payload as never,
      receivedAt: this.clock.now(),
    });
  }

  async onDispatched(em: EntityManager, p: CaseDispatchedV1): Promise<void> {
    const dispatchedAt = new Date(p.dispatchedAt);
    const month = shanghaiMonth(dispatchedAt);
    const inserted = await em
      .createQueryBuilder()
      .insert()
      .into(KpiCase)
      .values({ caseId: p.caseId, companyId: p.companyId, authorityId: p.authorityId, cityCode: p.cityCode, month, dispatchedAt })
      .orIgnore()
      .returning('case_id')
      .execute();
    if (inserted.raw.length === 0) return;
    const onTime = dispatchedAt.getTime() - new Date(p.receivedAt).getTime() <= ON_TIME_DISPATCH_MS ? 1 : 0;
    await this.bump(em, this.units(p), month, { dispatched: 1, on_time_dispatched: onTime });
  }

  async onFeedback(em: EntityManager, p: CaseFeedbackSubmittedV1): Promise<void> {
    const c = await this.caseFor(em, p.caseId);
    const at = new Date(p.submittedAt);
    const { affected } = await em.update(KpiCase, { caseId: p.caseId, feedbackAt: IsNull() }, { feedbackAt: at });
    if (!affected) return;
    const days = Math.max(0, (at.getTime() - c.dispatchedAt.getTime()) / DAY_MS);
    await this.bump(em, this.units(c), c.month, { with_feedback: 1, feedback_days_sum: days });
  }

  async onClosed(em: EntityManager, p: CaseClosedV1): Promise<void> {
    const c = await this.caseFor(em, p.caseId);
    const { affected } = await em.update(KpiCase, { caseId: p.caseId, closedAt: IsNull() }, { closedAt: new Date(p.closedAt) });
    if (!affected) return;
    await this.bump(em, this.units(c), c.month, { closed: 1 });
  }

  async onRated(em: EntityManager, p: SurveyRatedV1): Promise<void> {
    const c = await this.caseFor(em, p.caseId);
    const { affected } = await em.update(KpiCase, { caseId: p.caseId, rating: IsNull() }, { rating: p.rating });
    if (!affected) return;
    await this.bump(em, this.units(c), c.month, { rated: 1, [p.rating]: 1 });
  }

  /**
   * The bad-rating workflow's steps that move the satisfaction rate: an approved reconsideration
   * leaves the rated base of the case's month; a failed spot-check costs the applying company 1 point.
   */
  async onBadRating(em: EntityManager, p: BadRatingUpdatedV1): Promise<void> {
    if (p.step === 'reconsideration_decided' && p.approved) {
      const c = await this.caseFor(em, p.caseId);
      await this.bump(em, this.units(c), c.month, { approved_reconsiderations: 1 });
    }
    if (p.step === 'spot_checked' && p.finding && p.finding !== 'confirmed') {
      const c = await this.caseFor(em, p.caseId);
      await this.bump(em, [['company', c.companyId]], c.month, { failed_spot_checks: 1 });
    }
  }

  private async caseFor(em: EntityManager, caseId: string): Promise<KpiCase> {
    const c = await em.findOneBy(KpiCase, { caseId });
    // Its case.dispatched has not arrived yet (events cross): the bus retries this event later.
    if (!c) throw new Error(`case ${caseId} not yet dispatched in kpi`);
    return c;
  }

  private units(c: { companyId: string; authorityId: string; cityCode: string }): Array<[UnitType, string]> {
    return [
      ['company', c.companyId],
      ['authority', c.authorityId],
      ['city', c.cityCode],
    ];
  }

  private async bump(em: EntityManager, units: Array<[UnitType, string]>, month: string, delta: Partial<Record<Counter, number>>): Promise<void> {
    const cols = Object.keys(delta) as Counter[];
    for (const [unitType, unitId] of units) {
      await em.query(
        `INSERT INTO unit_month (unit_type, unit_id, month, ${cols.join(', ')}) VALUES ($1, $2, $3, ${cols.map((_, i) => `$${i + 4}`).join(', ')})
         ON CONFLICT (unit_type, unit_id, month) DO UPDATE SET ${cols.map((c) => `${c} = unit_month.${c} + EXCLUDED.${c}`).join(', ')}`,
        [unitType, unitId, month, ...cols.map((c) => delta[c])],
      );
    }
  }
}
