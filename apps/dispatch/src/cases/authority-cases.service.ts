import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { AppError, CLOCK, naturalDayDeadline } from '#shared';
import type { Clock, Principal } from '#shared';
import { UnitScopes } from '../access/unit-scope.js';
import type { UnitScope } from '../access/unit-scope.js';
import { Company } from '../registry/registry.entities.js';
import { CaseAccess } from './case-access.js';
import { CaseAssignment, DEADLINE_DAYS } from './case-assignment.js';
import { actorOf, logAction } from './case-log.js';
import { CaseRequest } from './case-records.entity.js';
import { CompanyNotifier } from './company-notifier.js';
import { CompanyCasesService } from './company-cases.service.js';
import type { CaseDetail } from './company-cases.service.js';
import { DispatchCase, STATUS_LABELS } from './dispatch-case.entity.js';
import type { DispatchStatus } from './dispatch-case.entity.js';
import type { ExtensionDecisionDto, GradeDto, ManualDispatchDto, ReturnDecisionDto, SupervisionDto } from './workflow.dto.js';

/** The authority's work lists. */
export const AUTHORITY_QUEUES = ['manual', 'dispatch_overdue', 'returns', 'extensions', 'overdue', 'escalated'] as const;
export type AuthorityQueue = (typeof AUTHORITY_QUEUES)[number];
export const QUEUE_LABELS: Record<AuthorityQueue, string> = {
  manual: '待人工分转',
  dispatch_overdue: '超过 2 小时未分转',
  returns: '待裁定的退回申请',
  extensions: '待审批的延期申请',
  overdue: '超期未办结（督办）',
  escalated: '企业上报的重大/群体性问题',
};

/**
 * The authority side, scoped to its region: manual dispatch, binding decisions on returns and
 * extensions, re-grading, supervision notes (督办). The province may act anywhere.
 */
@Injectable()
export class AuthorityCasesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly access: CaseAccess,
    private readonly assignment: CaseAssignment,
    private readonly notifier: CompanyNotifier,
    private readonly cases: CompanyCasesService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async queue(principal: Principal, queue: AuthorityQueue, limit: number, offset: number): Promise<{ total: number; items: DispatchCase[] }> {
    const scope = await this.access.scopeOf(principal);
    const qb = CaseAccess.restrict(this.dataSource.getRepository(DispatchCase).createQueryBuilder('c'), scope);
    switch (queue) {
      case 'manual':
        qb.andWhere(`c.status = 'awaiting_manual_dispatch'`).orderBy('c.received_at', 'ASC');
        break;
      case 'dispatch_overdue':
        qb.andWhere(`c.status = 'awaiting_manual_dispatch' AND c.dispatch_overdue_at IS NOT NULL`).orderBy('c.received_at', 'ASC');
        break;
      case 'returns':
        qb.andWhere(`c.status = 'return_requested'`).orderBy('c.updated_at', 'ASC');
        break;
      case 'extensions':
        qb.andWhere(`EXISTS (SELECT 1 FROM case_request r WHERE r.case_id = c.id AND r.kind = 'extension' AND r.status = 'pending')`).orderBy('c.due_at', 'ASC');
        break;
      case 'overdue':
        qb.andWhere(`c.overdue_at IS NOT NULL AND c.status <> 'closed'`).orderBy('c.due_at', 'ASC');
        break;
      case 'escalated':
        qb.andWhere(`c.escalated_at IS NOT NULL AND c.status <> 'closed'`).orderBy('c.escalated_at', 'ASC');
        break;
    }
    const [items, total] = await qb.skip(offset).take(limit).getManyAndCount();
    return { total, items };
  }

  /** 人工分转: a case the router could not place goes to a company the authority picks in its region. */
  async manualDispatch(principal: Principal, caseId: string, dto: ManualDispatchDto): Promise<CaseDetail> {
    return this.authorityStep(principal, caseId, ['awaiting_manual_dispatch'], async (em, c, scope) => {
      const company = await this.companyInScope(em, scope, dto.companyId, c);
      const note = dto.note?.trim();
      await this.assignment.assign(em, c, company, {
        method: 'manual',
        reason: `主管单位人工分转至 ${company.name}${note ? `：${note}` : ''}`,
        actor: actorOf(principal),
        action: 'manual_dispatch',
        detail: note ? { note } : {},
      });
    });
  }

  /** The binding decision on a return: reject → the same company goes on; approve → another company takes it. */
  async decideReturn(principal: Principal, caseId: string, dto: ReturnDecisionDto): Promise<CaseDetail> {
    return this.authorityStep(principal, caseId, ['return_requested'], async (em, c, scope, now) => {
      const request = await em.findOneByOrFail(CaseRequest, { caseId: c.id, kind: 'return', status: 'pending' });
      const actor = actorOf(principal);
      const note = dto.note.trim();
      if (dto.decision === 'reject') {
        const back = request.previousStatus as DispatchStatus;
        await em.update(CaseRequest, { id: request.id }, { status: 'rejected', decidedAt: now, decidedBy: actor.id, decisionNote: note });
        await em.update(DispatchCase, { id: c.id }, { status: back, returnsLocked: true, updatedAt: now });
        await logAction(em, c.id, actor, now, 'return_rejected', { from: c.status, to: back, detail: { note } });
        await this.notifier.notify(em, c.companyId!, c.id, 'case.return_decided', {
          ...this.notifier.caseFor(c),
          decision: 'rejected',
          note,
          message: `主管单位驳回了工单 ${c.caseNumber} 的退回申请，请继续办理，办理时限不变`,
        });
        return;
      }
      if (!dto.companyId) {
        throw new AppError('COMPANY_REQUIRED', '同意退回时必须指定改派的企业（companyId）', 400, 'companyId');
      }
      if (dto.companyId === c.companyId) {
        throw new AppError('SAME_COMPANY', '改派企业（companyId）不能是申请退回的企业；如需原企业继续办理，请选择驳回（reject）', 400, 'companyId');
      }
      const company = await this.companyInScope(em, scope, dto.companyId, c);
      await em.update(CaseRequest, { id: request.id }, { status: 'approved', decidedAt: now, decidedBy: actor.id, decisionNote: note, reassignedTo: company.id });
      const previous = c.companyId!;
      await this.notifier.notify(em, previous, c.id, 'case.return_decided', {
        caseId: c.id,
        caseNumber: c.caseNumber,
        decision: 'approved',
        note,
        message: `主管单位同意了工单 ${c.caseNumber} 的退回申请，已改派其他企业办理`,
      });
      await this.assignment.assign(em, c, company, {
        method: 'manual',
        reason: `主管单位裁定退回成立，改派至 ${company.name}：${note}`,
        actor,
        action: 'return_approved',
        detail: { note },
      });
      // The decision binds: the new company cannot hand the case back either.
      await em.update(DispatchCase, { id: c.id }, { returnsLocked: true });
    });
  }

  /** Approve → the deadline moves by the requested natural days; reject → it stays. */
  async decideExtension(principal: Principal, caseId: string, dto: ExtensionDecisionDto): Promise<CaseDetail> {
    return this.authorityStep(principal, caseId, ['dispatched', 'signed', 'return_requested'], async (em, c, _scope, now) => {
      const request = await em.findOneBy(CaseRequest, { caseId: c.id, kind: 'extension', status: 'pending' });
      if (!request) throw new AppError('NO_PENDING_EXTENSION', `工单 ${c.caseNumber} 没有待审批的延期申请`, 409);
      const actor = actorOf(principal);
      const note = dto.note?.trim() ?? null;
      if (dto.decision === 'reject') {
        await em.update(CaseRequest, { id: request.id }, { status: 'rejected', decidedAt: now, decidedBy: actor.id, decisionNote: note });
        await logAction(em, c.id, actor, now, 'extension_rejected', { detail: { ...(note ? { note } : {}) } });
        await this.notifier.notify(em, c.companyId!, c.id, 'case.extension_decided', {
          ...this.notifier.caseFor(c),
          decision: 'rejected',
          note,
          message: `主管单位驳回了工单 ${c.caseNumber} 的延期申请，办理时限不变`,
        });
        return;
      }
      // The extra days are natural days after the current deadline's last day.
      const dueAt = naturalDayDeadline(new Date(c.dueAt!.getTime() - 1), request.requestedDays!);
      await em.update(CaseRequest, { id: request.id }, { status: 'approved', decidedAt: now, decidedBy: actor.id, decisionNote: note });
      await em.update(DispatchCase, { id: c.id }, { ...deadlineMoved(dueAt, now), updatedAt: now });
      await logAction(em, c.id, actor, now, 'extension_approved', {
        detail: { days: request.requestedDays, previousDueAt: c.dueAt!.toISOString(), dueAt: dueAt.toISOString(), ...(note ? { note } : {}) },
      });
      await this.notifier.notify(em, c.companyId!, c.id, 'case.extension_decided', {
        ...this.notifier.caseFor({ ...c, dueAt }),
        decision: 'approved',
        note,
        message: `主管单位同意工单 ${c.caseNumber} 延期 ${request.requestedDays} 天`,
      });
    });
  }

  /** Re-grading: complex cases have 7 natural days from dispatch, general ones 3. */
  async grade(principal: Principal, caseId: string, dto: GradeDto): Promise<CaseDetail> {
    return this.authorityStep(principal, caseId, ['awaiting_manual_dispatch', 'dispatched', 'signed', 'return_requested'], async (em, c, _scope, now) => {
      if (c.complexity === dto.complexity) {
        throw new AppError('ALREADY_GRADED', `工单 ${c.caseNumber} 已是${dto.complexity === 'complex' ? '复杂' : '一般'}工单`, 409, 'complexity');
      }
      const actor = actorOf(principal);
      const note = dto.note.trim();
      const dueAt = c.dispatchedAt ? naturalDayDeadline(c.dispatchedAt, DEADLINE_DAYS[dto.complexity]) : null;
      await em.update(DispatchCase, { id: c.id }, { complexity: dto.complexity, ...(dueAt ? deadlineMoved(dueAt, now) : {}), updatedAt: now });
      await logAction(em, c.id, actor, now, 'graded', {
        detail: { complexity: dto.complexity, note, ...(dueAt ? { previousDueAt: c.dueAt?.toISOString(), dueAt: dueAt.toISOString() } : {}) },
      });
      if (c.companyId && dueAt) {
        await this.notifier.notify(em, c.companyId, c.id, 'case.regraded', {
          ...this.notifier.caseFor({ ...c, complexity: dto.complexity, dueAt }),
          note,
          message: `主管单位将工单 ${c.caseNumber} 认定为${dto.complexity === 'complex' ? '复杂（7 个自然日）' : '一般（3 个自然日）'}工单`,
        });
      }
    });
  }

  /** 督办: a note on the case that the company is sent at once. */
  async supervise(principal: Principal, caseId: string, dto: SupervisionDto): Promise<CaseDetail> {
    return this.authorityStep(principal, caseId, ['dispatched', 'signed', 'return_requested'], async (em, c, _scope, now) => {
      const note = dto.note.trim();
      await logAction(em, c.id, actorOf(principal), now, 'supervision', { detail: { note } });
      await this.notifier.notify(em, c.companyId!, c.id, 'case.supervision', { ...this.notifier.caseFor(c), note, message: `主管单位督办工单 ${c.caseNumber}：${note}` });
    });
  }

  private async authorityStep(
    principal: Principal,
    caseId: string,
    allowed: DispatchStatus[],
    change: (em: EntityManager, c: DispatchCase, scope: UnitScope, now: Date) => Promise<void>,
  ): Promise<CaseDetail> {
    return this.dataSource.transaction(async (em) => {
      const { c, scope } = await this.access.load(em, principal, caseId, { lock: true });
      if (!allowed.includes(c.status)) {
        throw new AppError('CASE_STATE_CONFLICT', `工单 ${c.caseNumber} 当前状态为“${STATUS_LABELS[c.status]}”，不能执行此操作`, 409);
      }
      await change(em, c, scope, this.clock.now());
      return this.cases.detailOf(em, await em.findOneByOrFail(DispatchCase, { id: c.id }));
    });
  }

  /** A company the authority may hand the case to: registered, and in its region and the case's city. */
  private async companyInScope(em: EntityManager, scope: UnitScope, companyId: string, c: DispatchCase): Promise<Company> {
    const company = await em.findOneBy(Company, { id: companyId });
    if (!company) throw new AppError('UNKNOWN_COMPANY', `企业编号（companyId）${companyId} 未在登记册中`, 400, 'companyId');
    if (!UnitScopes.covers(scope, company) || company.cityCode !== c.cityCode) {
      throw new AppError('COMPANY_OUTSIDE_REGION', `${company.name}（${company.id}）不在本单位辖区或不在该工单所在城市，不能分转给它`, 400, 'companyId');
    }
    return company;
  }
}

/** A new deadline: reminders start over, and a case whose deadline now lies ahead is no longer overdue. */
function deadlineMoved(dueAt: Date, now: Date): Partial<DispatchCase> {
  return {
    dueAt,
    reminded24hAt: null,
    reminded4hAt: null,
    ...(dueAt.getTime() > now.getTime() ? { overdueAt: null } : {}),
  };
}
