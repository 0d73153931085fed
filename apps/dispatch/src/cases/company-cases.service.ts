import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { AppError, CLOCK, Outbox } from '#shared';
import type { Clock, Principal } from '#shared';
import type { SubmitFeedbackDto } from './case.dto.js';
import { DispatchCase } from './dispatch-case.entity.js';

/** The company side of a case: see own cases, sign for them, feed back. */
@Injectable()
export class CompanyCasesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async list(principal: Principal, status?: string): Promise<DispatchCase[]> {
    const qb = this.dataSource.getRepository(DispatchCase).createQueryBuilder('c').orderBy('c.received_at', 'DESC').take(200);
    if (principal.role === 'company') qb.where('c.company_id = :unit', { unit: principal.unitId ?? '' });
    else if (principal.role === 'authority') qb.where('c.authority_id = :unit', { unit: principal.unitId ?? '' });
    if (status) qb.andWhere('c.status = :status', { status });
    return qb.getMany();
  }

  /** 签收: the company confirms it has the case. Idempotent. */
  async sign(principal: Principal, caseId: string): Promise<DispatchCase> {
    return this.dataSource.transaction(async (em) => {
      const c = await this.ownCase(em, principal, caseId);
      if (c.status === 'dispatched') {
        await em.update(DispatchCase, { id: c.id }, { status: 'signed', signedAt: this.clock.now() });
      }
      return em.findOneByOrFail(DispatchCase, { id: c.id });
    });
  }

  /** 反馈 + 办结: records the result and closes the case; a survey follows downstream. */
  async submitFeedback(principal: Principal, caseId: string, dto: SubmitFeedbackDto): Promise<DispatchCase> {
    return this.dataSource.transaction(async (em) => {
      const c = await this.ownCase(em, principal, caseId);
      if (c.status === 'closed') {
        throw new AppError('CASE_ALREADY_CLOSED', `工单 ${c.caseNumber} 已办结，不能重复反馈`, 409);
      }
      const now = this.clock.now();
      await em.update(DispatchCase, { id: c.id }, {
        status: 'closed',
        signedAt: c.signedAt ?? now,
        resolution: dto.resolution,
        feedbackSummary: dto.summary,
        closedAt: now,
      });
      const common = { caseId: c.id, caseNumber: c.caseNumber, companyId: c.companyId!, authorityId: c.authorityId };
      await this.outbox.add(em, 'case.feedback_submitted', {
        ...common,
        resolution: dto.resolution,
        summary: dto.summary,
        dispatchedAt: c.dispatchedAt!.toISOString(),
        submittedAt: now.toISOString(),
      });
      await this.outbox.add(em, 'case.closed', { ...common, resolution: dto.resolution, closedAt: now.toISOString() });
      return em.findOneByOrFail(DispatchCase, { id: c.id });
    });
  }

  /** A company only ever touches its own cases; anything else reads as "not found". */
  private async ownCase(em: EntityManager, principal: Principal, caseId: string): Promise<DispatchCase> {
    const c = await em.findOne(DispatchCase, { where: { id: caseId }, lock: { mode: 'pessimistic_write' } });
    if (!c || c.companyId === null || c.companyId !== principal.unitId) {
      throw new AppError('CASE_NOT_FOUND', '未找到该工单，或该工单不属于本企业', 404, 'caseId');
    }
    return c;
  }
}
