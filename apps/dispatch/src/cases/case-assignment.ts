import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CLOCK, naturalDayDeadline, Outbox } from '#shared';
import type { Clock, EventPayload } from '#shared';
import type { Company } from '../registry/registry.entities.js';
import { logActions } from './case-log.js';
import type { Actor, LogEntry } from './case-log.js';
import { CommunityIndexHolder } from '../routing/community-index.holder.js';
import { CompanyNotifier } from './company-notifier.js';
import { DispatchCase } from './dispatch-case.entity.js';
import type { Complexity } from './dispatch-case.entity.js';

/** Natural days a company has for a case (Asia/Shanghai): general 3, complex 7 (DOMAIN.md §3 step 3). */
export const DEADLINE_DAYS: Record<Complexity, number> = { general: 3, complex: 7 };

/** The on-time dispatch limit: a case should reach its company within 2 hours of intake. */
export const DISPATCH_LIMIT_MS = 2 * 3600 * 1000;

/** Who the case goes to: the company and the authority it answers to. */
export type AssignedCompany = Pick<Company, 'id' | 'authorityId'>;

export interface AssignHow {
  method: 'auto' | 'manual';
  reason: string;
  actor: Actor;
  action: string;
  detail?: Record<string, unknown>;
}

/** A case handed to a company, worked out but not yet written: the case as it becomes, and its log step. */
export interface Assignment {
  before: DispatchCase;
  updated: DispatchCase;
  changes: Partial<DispatchCase>;
  company: AssignedCompany;
  how: AssignHow;
  log: LogEntry;
}

/**
 * Hands a case to a company — by the router, by the authority's manual dispatch, or on a decided
 * return — with its deadline, its event for the other services, the company's webhook and a log
 * entry, all in the caller's transaction.
 */
@Injectable()
export class CaseAssignment {
  constructor(
    private readonly outbox: Outbox,
    private readonly notifier: CompanyNotifier,
    private readonly registry: CommunityIndexHolder,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Assigns a stored case: updates it, logs the step, publishes the event and queues the webhook. */
  async assign(em: EntityManager, c: DispatchCase, company: AssignedCompany, how: AssignHow): Promise<DispatchCase> {
    const a = this.plan(c, company, how);
    await em.update(DispatchCase, { id: c.id }, a.changes);
    await logActions(em, [a.log]);
    await this.announce(em, a);
    return a.updated;
  }

  /** Works out the assignment (deadline from now, natural days in Asia/Shanghai); nothing is written. */
  plan(c: DispatchCase, company: AssignedCompany, how: AssignHow): Assignment {
    const now = this.clock.now();
    const dueAt = naturalDayDeadline(now, DEADLINE_DAYS[c.complexity]);
    const previousCompanyId = c.companyId;
    const changes: Partial<DispatchCase> = {
      status: 'dispatched',
      companyId: company.id,
      authorityId: company.authorityId,
      dispatchedAt: now,
      dueAt,
      signedAt: null,
      reminded24hAt: null,
      reminded4hAt: null,
      overdueAt: null,
      routingReason: how.reason,
      updatedAt: now,
    };
    const log: LogEntry = {
      caseId: c.id,
      actor: how.actor,
      at: now,
      action: how.action,
      change: {
        from: c.status,
        to: 'dispatched',
        detail: { companyId: company.id, reason: how.reason, dueAt: dueAt.toISOString(), ...(previousCompanyId ? { previousCompanyId } : {}), ...how.detail },
      },
    };
    return { before: c, updated: { ...c, ...changes } as DispatchCase, changes, company, how, log };
  }

  /** The assignment's `case.dispatched` event (outbox) and the company's webhook, in the caller's transaction. */
  async announce(em: EntityManager, a: Assignment): Promise<void> {
    await this.outbox.add(em, 'case.dispatched', await this.dispatchedEvent(em, a));
    await this.notifyCompany(em, a);
  }

  /** What `case.dispatched` says of an assignment. */
  async dispatchedEvent(em: EntityManager, a: Assignment): Promise<EventPayload<'case.dispatched'>> {
    const { before, updated, company, how } = a;
    const previousCompanyId = before.companyId;
    const station = updated.communityId ? (await this.registry.snapshot(em)).stationOf(updated.communityId) : undefined;
    return {
      caseId: updated.id,
      caseNumber: updated.caseNumber,
      companyId: company.id,
      authorityId: company.authorityId,
      cityCode: updated.cityCode,
      method: how.method,
      reason: how.reason,
      receivedAt: updated.receivedAt.toISOString(),
      dispatchedAt: (updated.dispatchedAt as Date).toISOString(),
      dueAt: (updated.dueAt as Date).toISOString(),
      ...(previousCompanyId && previousCompanyId !== company.id ? { previousCompanyId } : {}),
      // Where the case is (kpi's live monitoring: hot spots and surges per station).
      districtCode: updated.districtCode,
      communityName: updated.communityName,
      ...(updated.communityId ? { communityId: updated.communityId } : {}),
      ...(station ? { stationId: station.id, stationName: station.name } : {}),
    };
  }

  /** The company's `case.dispatched` webhook (queued in the caller's transaction, sent after commit). */
  async notifyCompany(em: EntityManager, a: Assignment): Promise<void> {
    await this.notifier.notify(em, a.company.id, a.updated.id, 'case.dispatched', this.notifier.caseFor(a.updated));
  }
}
