import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CLOCK, naturalDayDeadline, Outbox } from '#shared';
import type { Clock } from '#shared';
import type { Company } from '../registry/registry.entities.js';
import { logAction } from './case-log.js';
import type { Actor } from './case-log.js';
import { caseForCompany, CompanyNotifier } from './company-notifier.js';
import { DispatchCase } from './dispatch-case.entity.js';
import type { Complexity } from './dispatch-case.entity.js';

/** Natural days a company has for a case (Asia/Shanghai): general 3, complex 7 (DOMAIN.md §3 step 3). */
export const DEADLINE_DAYS: Record<Complexity, number> = { general: 3, complex: 7 };

/** The on-time dispatch limit: a case should reach its company within 2 hours of intake. */
export const DISPATCH_LIMIT_MS = 2 * 3600 * 1000;

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
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async assign(
    em: EntityManager,
    c: DispatchCase,
    company: Company,
    how: { method: 'auto' | 'manual'; reason: string; actor: Actor; action: string; detail?: Record<string, unknown> },
  ): Promise<DispatchCase> {
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
    await em.update(DispatchCase, { id: c.id }, changes);
    const updated = { ...c, ...changes } as DispatchCase;
    await logAction(em, c.id, how.actor, now, how.action, {
      from: c.status,
      to: 'dispatched',
      detail: { companyId: company.id, reason: how.reason, dueAt: dueAt.toISOString(), ...(previousCompanyId ? { previousCompanyId } : {}), ...how.detail },
    });
    await this.outbox.add(em, 'case.dispatched', {
      caseId: c.id,
      caseNumber: c.caseNumber,
      companyId: company.id,
      authorityId: company.authorityId,
      cityCode: c.cityCode,
      method: how.method,
      reason: how.reason,
      receivedAt: c.receivedAt.toISOString(),
      dispatchedAt: now.toISOString(),
      dueAt: dueAt.toISOString(),
      ...(previousCompanyId && previousCompanyId !== company.id ? { previousCompanyId } : {}),
    });
    await this.notifier.notify(em, company.id, c.id, 'case.dispatched', caseForCompany(updated));
    return updated;
  }
}
