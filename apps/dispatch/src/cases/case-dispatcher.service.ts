import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CLOCK } from '#shared';
import type { Clock, ComplaintReceivedV1 } from '#shared';
import { IncidentsService } from '../incidents/incidents.service.js';
import { districtAuthorityId } from '../registry/district-authority.js';
import { Company } from '../registry/registry.entities.js';
import type { RoutingDecision } from '../routing/case-router.js';
import { CommunityIndexHolder } from '../routing/community-index.holder.js';
import { CaseAssignment, DISPATCH_LIMIT_MS } from './case-assignment.js';
import { logAction, SYSTEM } from './case-log.js';
import { DispatchCase } from './dispatch-case.entity.js';
import type { RoutingRecord } from './dispatch-case.entity.js';

/** Takes a received complaint, routes it, and records the decision (case, event, webhook, log) in one transaction. */
@Injectable()
export class CaseDispatcher {
  constructor(
    private readonly assignment: CaseAssignment,
    private readonly incidents: IncidentsService,
    private readonly communities: CommunityIndexHolder,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async dispatch(em: EntityManager, complaint: ComplaintReceivedV1): Promise<DispatchCase> {
    const index = await this.communities.current(em);
    const decision = index.route({
      communityName: complaint.communityName,
      districtCode: complaint.address.districtCode,
      namedCompanyId: complaint.namedCompanyId,
    });
    const now = this.clock.now();
    const receivedAt = new Date(complaint.receivedAt);
    const c: DispatchCase = {
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
      status: 'awaiting_manual_dispatch',
      companyId: null,
      authorityId: await districtAuthorityId(em, complaint.address.districtCode, complaint.address.cityCode),
      communityId: decision.kind === 'company' ? decision.communityId : null,
      routingReason: decision.reason,
      routing: routingRecord(decision),
      namedCompanyId: complaint.namedCompanyId ?? null,
      correctedNamedCompanyId: decision.kind === 'company' ? (decision.correctedNamedCompany ?? null) : null,
      complexity: 'general',
      receivedAt,
      dispatchLimitAt: new Date(receivedAt.getTime() + DISPATCH_LIMIT_MS),
      dispatchOverdueAt: null,
      dispatchedAt: null,
      dueAt: null,
      reminded24hAt: null,
      reminded4hAt: null,
      overdueAt: null,
      signedAt: null,
      returnsLocked: false,
      escalatedAt: null,
      resolution: null,
      feedbackSummary: null,
      temperatureSlip: null,
      refundPercent: null,
      closedAt: null,
      incidentId: null,
      updatedAt: now,
    };
    await em.insert(DispatchCase, c);
    await logAction(em, c.id, SYSTEM, now, 'received', { to: c.status, detail: { channel: complaint.channel } });
    if (decision.kind === 'manual') {
      await logAction(em, c.id, SYSTEM, now, 'queued_for_manual_dispatch', {
        from: c.status,
        to: c.status,
        detail: { reason: decision.reason, authorityId: c.authorityId, ...c.routing },
      });
      return c;
    }
    const company = await em.findOneByOrFail(Company, { id: decision.companyId });
    const assigned = await this.assignment.assign(em, c, company, {
      method: 'auto',
      reason: decision.reason,
      actor: SYSTEM,
      action: 'routed',
      detail: { communityId: decision.communityId, ...c.routing, ...(c.correctedNamedCompanyId ? { correctedNamedCompanyId: c.correctedNamedCompanyId } : {}) },
    });
    // Under an open outage incident the case joins it; enough complaints under one station propose one.
    await this.incidents.onCaseRouted(em, assigned);
    return assigned;
  }

}

/** The structured part of a routing decision, kept with the case: method, confidence, ranked candidates. */
function routingRecord(decision: RoutingDecision): RoutingRecord {
  return { method: decision.method, confidence: decision.confidence, candidates: decision.candidates };
}
