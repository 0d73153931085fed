import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CLOCK } from '#shared';
import type { Clock, EventEnvelope } from '#shared';
import { applyEvent, carriesFact, counterDeltas, isProjected, sameState, unitLinks } from '../projection/case-state.js';
import { linkUnits, lockCase, moveCounters, saveCase } from '../projection/read-model-store.js';
import { KpiEvent } from './kpi-entities.js';

/**
 * The incremental path: stores each event (kpi_event, append-only) and moves the read model by
 * exactly what the event changes, inside the consumer's transaction. The projection itself is the
 * pure reducer in projection/case-state.ts, the same one the rebuild runs over kpi_event.
 * Nothing here waits for a prerequisite: a rating that arrives before its case's dispatch is a
 * fact of the case like any other and is counted as soon as the dispatch arrives.
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

  /** Adds the event's fact to its case and moves the counters by contributions(after) − contributions(before). */
  async project(em: EntityManager, env: EventEnvelope): Promise<void> {
    const payload = env.payload as Record<string, unknown>;
    if (!isProjected(env.type) || !carriesFact(env.type, payload)) return;
    const caseId = String(payload.caseId);
    const before = await lockCase(em, caseId);
    const after = applyEvent(before, env.type, payload);
    if (sameState(before, after)) return; // a fact the case already has (a duplicate, or an older survey)
    await moveCounters(em, counterDeltas(before, after));
    if (after.dispatches.length !== before.dispatches.length) await linkUnits(em, unitLinks(after));
    await saveCase(em, caseId, after);
  }
}
