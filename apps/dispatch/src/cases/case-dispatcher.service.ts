import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CLOCK, Outbox, OUTBOX_COLUMNS, PHONE_VAULT } from '#shared';
import type { Clock, ComplaintReceivedV1, EventPayload, PhoneVault } from '#shared';
import { modifyReturning } from '../webhooks/webhook-sql.js';
import { IncidentsService } from '../incidents/incidents.service.js';
import { Company } from '../registry/registry.entities.js';
import type { RoutingDecision } from '../routing/case-router.js';
import { CommunityIndexHolder } from '../routing/community-index.holder.js';
import { CaseAssignment, DISPATCH_LIMIT_MS } from './case-assignment.js';
import { chainedLogInsert, logActions, SYSTEM } from './case-log.js';
import { protectCasePhone } from './case-phone.js';
import type { LogEntry } from './case-log.js';
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
    @Inject(PHONE_VAULT) private readonly vault: PhoneVault,
    private readonly outbox: Outbox,
  ) {}

  /**
   * The hot path of every complaint: the case is written once, already assigned, together with its
   * log steps and its event (one statement), then its webhook (one statement, leased for sending
   * straight after commit) and the outage check (one statement below the threshold). Registry
   * look-ups come from the in-memory snapshot.
   */
  async dispatch(em: EntityManager, complaint: ComplaintReceivedV1): Promise<DispatchCase> {
    const registry = await this.communities.snapshot(em);
    const decision = registry.index.route({
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
      // Encrypted at rest with its blind index (in JS: no extra statement).
      ...protectCasePhone(this.vault, complaint.phone),
      contactName: complaint.contactName ?? null,
      indoorTemperatureC: complaint.indoorTemperatureC ?? null,
      daysWithoutHeat: complaint.daysWithoutHeat ?? null,
      status: 'awaiting_manual_dispatch',
      companyId: null,
      authorityId: registry.districtAuthority(complaint.address.districtCode, complaint.address.cityCode),
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
    const received: LogEntry = { caseId: c.id, actor: SYSTEM, at: now, action: 'received', change: { to: c.status, detail: { channel: complaint.channel } } };
    if (decision.kind === 'manual') {
      await em.insert(DispatchCase, c);
      const queued: LogEntry = {
        caseId: c.id,
        actor: SYSTEM,
        at: now,
        action: 'queued_for_manual_dispatch',
        change: { from: c.status, to: c.status, detail: { reason: decision.reason, authorityId: c.authorityId, ...c.routing } },
      };
      await logActions(em, [received, queued], { head: null });
      return c;
    }
    const authorityId = registry.companyAuthority(decision.companyId) ?? (await em.findOneByOrFail(Company, { id: decision.companyId })).authorityId;
    const assignment = this.assignment.plan(c, { id: decision.companyId, authorityId }, {
      method: 'auto',
      reason: decision.reason,
      actor: SYSTEM,
      action: 'routed',
      detail: { communityId: decision.communityId, ...c.routing, ...(c.correctedNamedCompanyId ? { correctedNamedCompanyId: c.correctedNamedCompanyId } : {}) },
    });
    const assigned = assignment.updated;
    await this.recordRouted(em, assigned, [received, assignment.log], await this.assignment.dispatchedEvent(em, assignment));
    await this.assignment.notifyCompany(em, assignment);
    // Under an open outage incident the case joins it; enough complaints under one station propose one.
    await this.incidents.onCaseRouted(em, assigned);
    return assigned;
  }

  /**
   * One statement for the routed case: its row, its first two log steps with the audit chain's
   * head, and its `case.dispatched` outbox row (what would otherwise be three round trips).
   */
  private async recordRouted(em: EntityManager, c: DispatchCase, steps: LogEntry[], event: EventPayload<'case.dispatched'>): Promise<void> {
    const [caseSql, caseParams] = em.createQueryBuilder().insert().into(DispatchCase).values(c).updateEntity(false).getQueryAndParameters();
    const log = chainedLogInsert(steps, null, caseParams.length + 1);
    const outbox = this.outbox.prepare(em, 'case.dispatched', event);
    const first = caseParams.length + log.params.length + 1;
    const placeholders = outbox.values.map((_, i) => `$${first + i}`).join(', ');
    const rows = await modifyReturning<{ logged: number }>(
      em,
      `WITH routed_case AS (${caseSql} RETURNING id), ${log.ctes},
            routed_event AS (INSERT INTO outbox_message (${OUTBOX_COLUMNS}) VALUES (${placeholders}) RETURNING id)
       SELECT (SELECT count(*) FROM routed_case)::int + (SELECT count(*) FROM ${log.headCte})::int + (SELECT count(*) FROM routed_event)::int AS logged`,
      [...caseParams, ...log.params, ...outbox.values],
    );
    if (rows[0]?.logged !== 3) throw new Error(`case ${c.id} was not recorded whole (${rows[0]?.logged ?? 0} of 3 parts); the transaction is rolled back`);
  }
}

/** The structured part of a routing decision, kept with the case: method, confidence, ranked candidates. */
function routingRecord(decision: RoutingDecision): RoutingRecord {
  return { method: decision.method, confidence: decision.confidence, candidates: decision.candidates };
}
