import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CLOCK, naturalDayDeadline, Outbox } from '#shared';
import type { Clock, ComplaintReceivedV1 } from '#shared';
import { Authority, Community, Company } from '../registry/registry.entities.js';
import { routeCase } from '../routing/case-router.js';
import { WebhookDelivery } from '../webhooks/webhook-delivery.entity.js';
import { DispatchCase } from './dispatch-case.entity.js';

/** General cases are due in 3 natural days (complex: 7, set by the authority). */
export const GENERAL_DEADLINE_DAYS = 3;

/** Takes a received complaint, routes it, and records the dispatch (event + webhook) in one transaction. */
@Injectable()
export class CaseDispatcher {
  constructor(
    private readonly outbox: Outbox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Returns true when a webhook delivery was queued. */
  async dispatch(em: EntityManager, complaint: ComplaintReceivedV1): Promise<boolean> {
    const communities = await em.find(Community, { where: { districtCode: complaint.address.districtCode } });
    const decision = routeCase(
      { communityName: complaint.communityName, districtCode: complaint.address.districtCode, namedCompanyId: complaint.namedCompanyId },
      communities,
    );
    const districtAuthority = await this.authorityFor(em, complaint.address.districtCode, complaint.address.cityCode);
    const now = this.clock.now();
    const base = {
      id: complaint.caseId,
      caseNumber: complaint.caseNumber,
      category: complaint.category,
      communityName: complaint.communityName,
      cityCode: complaint.address.cityCode,
      districtCode: complaint.address.districtCode,
      address: { ...complaint.address } as Record<string, string>,
      description: complaint.description,
      phone: complaint.phone,
      contactName: complaint.contactName ?? null,
      indoorTemperatureC: complaint.indoorTemperatureC ?? null,
      daysWithoutHeat: complaint.daysWithoutHeat ?? null,
      namedCompanyId: complaint.namedCompanyId ?? null,
      receivedAt: new Date(complaint.receivedAt),
      routingReason: decision.reason,
      signedAt: null,
      resolution: null,
      feedbackSummary: null,
      closedAt: null,
    };
    if (decision.kind === 'manual') {
      await em.insert(DispatchCase, {
        ...base,
        status: 'awaiting_manual_dispatch',
        companyId: null,
        communityId: null,
        authorityId: districtAuthority,
        dispatchedAt: null,
        dueAt: null,
      });
      return false;
    }
    const company = await em.findOneByOrFail(Company, { id: decision.companyId });
    const dueAt = naturalDayDeadline(now, GENERAL_DEADLINE_DAYS);
    await em.insert(DispatchCase, {
      ...base,
      status: 'dispatched',
      companyId: company.id,
      communityId: decision.communityId,
      authorityId: company.authorityId,
      dispatchedAt: now,
      dueAt,
    });
    await this.outbox.add(em, 'case.dispatched', {
      caseId: complaint.caseId,
      caseNumber: complaint.caseNumber,
      companyId: company.id,
      authorityId: company.authorityId,
      cityCode: complaint.address.cityCode,
      method: 'auto',
      reason: decision.reason,
      receivedAt: complaint.receivedAt,
      dispatchedAt: now.toISOString(),
      dueAt: dueAt.toISOString(),
    });
    if (!company.webhookUrl) return false;
    await em.insert(WebhookDelivery, {
      id: `msg_${randomUUID()}`,
      companyId: company.id,
      caseId: complaint.caseId,
      eventType: 'case.dispatched',
      payload: {
        type: 'case.dispatched',
        timestamp: now.toISOString(),
        data: {
          caseId: complaint.caseId,
          caseNumber: complaint.caseNumber,
          category: complaint.category,
          communityName: complaint.communityName,
          address: complaint.address,
          description: complaint.description,
          phone: complaint.phone,
          contactName: complaint.contactName ?? null,
          indoorTemperatureC: complaint.indoorTemperatureC ?? null,
          daysWithoutHeat: complaint.daysWithoutHeat ?? null,
          dueAt: dueAt.toISOString(),
        },
      },
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
      deliveredAt: null,
      lastError: null,
    });
    return true;
  }

  /** The authority that supervises a district: its own county authority, else the city's. */
  private async authorityFor(em: EntityManager, districtCode: string, cityCode: string): Promise<string> {
    const county = await em.findOneBy(Authority, { regionCode: districtCode });
    if (county) return county.id;
    const city = await em.findOneBy(Authority, { regionCode: cityCode });
    return city?.id ?? `AU${cityCode}`;
  }
}
