import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { AppError, CLOCK, naturalDayDeadline, Outbox } from '#shared';
import type { BadRatingStep, BadRatingUpdatedV1, Clock, Principal, SurveyRatedV1 } from '#shared';
import { UnitScopes } from '../access/unit-scope.js';
import type { UnitScope } from '../access/unit-scope.js';
import { actorOf, logAction, SYSTEM } from '../cases/case-log.js';
import type { Actor } from '../cases/case-log.js';
import { EvidencePhoto } from '../cases/case-records.entity.js';
import { DispatchCase } from '../cases/dispatch-case.entity.js';
import { BadRating, BAD_RATING_STATUS_LABELS, SpotCheck } from './bad-rating.entity.js';
import type { BadRatingStatus } from './bad-rating.entity.js';
import type { CallbackDto, ClassifyDto, DrawSpotChecksDto, ReconsiderationDecisionDto, ReconsiderationDto, RectificationDto, SpotCheckResultDto } from './bad-rating.dto.js';

/** Natural days (Asia/Shanghai) each step of the bad-rating workflow may take. */
export const STEP_DAYS: Record<Exclude<BadRatingStatus, 'resurveyed' | 'reconsideration_approved'>, number> = {
  callback_pending: 1,
  awaiting_classification: 2,
  rectifying: 3,
  reconsideration_pending: 3,
  reconsideration_review: 5,
};

/**
 * 差评处理 (DOMAIN.md §3 step 6): every 不满意 rating becomes a callback task for the company; the
 * authority judges the demand; reasonable → rectification and a fresh survey; unreasonable → the
 * company may apply for reconsideration (复议), which the authority approves (the rating leaves the
 * satisfaction rate) or rejects (rectify after all). The province spot-checks approved ones; a
 * failed check costs the company 1 percentage point. Every step has a deadline and an event.
 */
@Injectable()
export class BadRatingsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly scopes: UnitScopes,
    private readonly outbox: Outbox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * survey.rated: a 不满意 rating opens the follow-up (once per survey). The fresh survey after a
   * rectification is a survey of its own (round 2, 3 …): 满意 / 基本满意 there leaves the earlier
   * follow-up settled (resurveyed); 不满意 again opens a new follow-up — the company calls back
   * again and the authority judges again, until the resident is satisfied or a reconsideration is
   * approved (DOMAIN.md §3 step 6). The case log links it to the follow-up it succeeds.
   */
  async onRated(em: EntityManager, rated: SurveyRatedV1): Promise<void> {
    if (rated.rating !== 'dissatisfied') return;
    if (await em.existsBy(BadRating, { surveyId: rated.surveyId })) return;
    const c = await em.findOneBy(DispatchCase, { id: rated.caseId });
    if (!c) throw new Error(`case ${rated.caseId} is not known to dispatch`);
    const round = rated.round ?? 1;
    const succeeds = round > 1 ? await em.findOne(BadRating, { where: { caseId: c.id, status: 'resurveyed' }, order: { updatedAt: 'DESC' } }) : null;
    const now = this.clock.now();
    const b: BadRating = {
      id: randomUUID(),
      surveyId: rated.surveyId,
      caseId: c.id,
      caseNumber: c.caseNumber,
      companyId: rated.companyId,
      authorityId: rated.authorityId,
      cityCode: c.cityCode,
      districtCode: c.districtCode,
      comment: rated.comment ?? null,
      ratedAt: new Date(rated.ratedAt),
      status: 'callback_pending',
      dueAt: naturalDayDeadline(now, STEP_DAYS.callback_pending),
      callback: null,
      classification: null,
      classificationNote: null,
      classifiedBy: null,
      rectificationSummary: null,
      reconsideration: null,
      reconsiderationDecision: null,
      reconsiderationReason: null,
      reconsiderationDecidedBy: null,
      reconsiderationDecidedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    await em.insert(BadRating, b);
    await logAction(em, c.id, SYSTEM, now, 'bad_rating_opened', {
      detail: { badRatingId: b.id, dueAt: b.dueAt.toISOString(), ...(round > 1 ? { round, succeedsBadRatingId: succeeds?.id ?? null } : {}) },
    });
    await this.publish(em, b, 'opened', now);
  }

  async list(principal: Principal, status?: BadRatingStatus): Promise<BadRating[]> {
    const scope = await this.scopes.of(principal);
    const qb = this.dataSource.getRepository(BadRating).createQueryBuilder('b').orderBy('b.due_at', 'ASC').take(200);
    if (status) qb.andWhere('b.status = :status', { status });
    if (scope.kind === 'company') qb.andWhere('b.company_id = :company', { company: scope.companyId });
    if (scope.kind === 'city') qb.andWhere('b.city_code = :city', { city: scope.cityCode });
    if (scope.kind === 'county') qb.andWhere('b.district_code = :district', { district: scope.districtCode });
    return qb.getMany();
  }

  async get(principal: Principal, id: string): Promise<BadRating> {
    const scope = await this.scopes.of(principal);
    return this.visible(this.dataSource.manager, scope, id);
  }

  /** 回访 recorded → the authority judges the demand. */
  async callback(principal: Principal, id: string, dto: CallbackDto): Promise<BadRating> {
    return this.step(principal, id, 'company', ['callback_pending'], async (em, b, actor, now) => {
      b.callback = { at: now.toISOString(), outcome: dto.outcome, residentDemand: dto.residentDemand.trim(), note: dto.note?.trim() ?? null, by: actor.id };
      return { status: 'awaiting_classification', step: 'called_back', changes: { callback: b.callback } };
    });
  }

  async classify(principal: Principal, id: string, dto: ClassifyDto): Promise<BadRating> {
    return this.step(principal, id, 'authority', ['awaiting_classification'], async (_em, _b, actor) => ({
      status: dto.classification === 'reasonable' ? 'rectifying' : 'reconsideration_pending',
      step: 'classified',
      changes: { classification: dto.classification, classificationNote: dto.note.trim(), classifiedBy: actor.id },
      extra: { classification: dto.classification },
    }));
  }

  /** 整改 done → a fresh survey (the next round after the 不满意 one) is requested from sms-survey. */
  async rectify(principal: Principal, id: string, dto: RectificationDto): Promise<BadRating> {
    return this.step(principal, id, 'company', ['rectifying'], async (em, b, _actor, now) => {
      await this.outbox.add(em, 'survey.requested', {
        caseId: b.caseId,
        caseNumber: b.caseNumber,
        companyId: b.companyId,
        authorityId: b.authorityId,
        reason: 'rectified',
        requestedAt: now.toISOString(),
        surveyId: b.surveyId,
      });
      return { status: 'resurveyed', step: 'rectified', changes: { rectificationSummary: dto.summary.trim() } };
    });
  }

  /** 复议 with evidence (only after the authority judged the demand unreasonable). */
  async applyReconsideration(principal: Principal, id: string, dto: ReconsiderationDto): Promise<BadRating> {
    return this.step(principal, id, 'company', ['reconsideration_pending'], async (em, b, actor, now) => {
      const photoIds = [...new Set(dto.photoIds ?? [])];
      if (photoIds.length && (await em.count(EvidencePhoto, { where: { id: In(photoIds), caseId: b.caseId } })) !== photoIds.length) {
        throw new AppError('PHOTO_NOT_FOUND', '证据照片（photoIds）须是为本工单上传的照片编号', 400, 'photoIds');
      }
      const reconsideration = { appliedAt: now.toISOString(), by: actor.id, reason: dto.reason.trim(), evidence: dto.evidence.trim(), photoIds };
      return { status: 'reconsideration_review', step: 'reconsideration_applied', changes: { reconsideration } };
    });
  }

  /** Approved → the rating leaves the satisfaction rate (kpi); rejected → the company must rectify. */
  async decideReconsideration(principal: Principal, id: string, dto: ReconsiderationDecisionDto): Promise<BadRating> {
    return this.step(principal, id, 'authority', ['reconsideration_review'], async (_em, _b, actor, now) => ({
      status: dto.decision === 'approve' ? 'reconsideration_approved' : 'rectifying',
      step: 'reconsideration_decided',
      changes: {
        reconsiderationDecision: dto.decision === 'approve' ? 'approved' : 'rejected',
        reconsiderationReason: dto.reason.trim(),
        reconsiderationDecidedBy: actor.id,
        reconsiderationDecidedAt: now,
      },
      extra: { approved: dto.decision === 'approve' },
    }));
  }

  /** The province draws a random sample of the month's approved reconsiderations not drawn before. */
  async drawSpotChecks(principal: Principal, dto: DrawSpotChecksDto): Promise<SpotCheck[]> {
    const from = new Date(`${dto.month}-01T00:00:00+08:00`);
    const [y, m] = dto.month.split('-').map(Number);
    const to = new Date(`${m === 12 ? y + 1 : y}-${String(m === 12 ? 1 : m + 1).padStart(2, '0')}-01T00:00:00+08:00`);
    if (from.getTime() > this.clock.now().getTime()) {
      throw new AppError('MONTH_IN_FUTURE', `月份（month）${dto.month} 尚未开始`, 400, 'month');
    }
    return this.dataSource.transaction(async (em) => {
      const rows: Array<{ id: string }> = await em.query(
        `SELECT b.id FROM bad_rating b
          WHERE b.status = 'reconsideration_approved' AND b.reconsideration_decided_at >= $1 AND b.reconsideration_decided_at < $2
            AND NOT EXISTS (SELECT 1 FROM spot_check s WHERE s.bad_rating_id = b.id)
          ORDER BY random() LIMIT $3 FOR UPDATE OF b SKIP LOCKED`,
        [from, to, dto.size],
      );
      const drawn = rows.length ? await em.findBy(BadRating, { id: In(rows.map((r) => r.id)) }) : [];
      const now = this.clock.now();
      const checks = drawn.map((b) => ({
        id: randomUUID(),
        badRatingId: b.id,
        caseId: b.caseId,
        companyId: b.companyId,
        authorityId: b.authorityId,
        month: dto.month,
        drawnAt: now,
        drawnBy: actorOf(principal).id,
        method: null,
        finding: null,
        note: null,
        recordedAt: null,
        recordedBy: null,
      }));
      if (checks.length) await em.insert(SpotCheck, checks);
      return checks as SpotCheck[];
    });
  }

  async spotChecks(month?: string): Promise<SpotCheck[]> {
    return this.dataSource.getRepository(SpotCheck).find({ where: month ? { month } : {}, order: { drawnAt: 'DESC' }, take: 500 });
  }

  /** The outcome of a callback or site visit; not_done / closed_over_head / faked cost the company 1 point. */
  async recordSpotCheck(principal: Principal, id: string, dto: SpotCheckResultDto): Promise<SpotCheck> {
    return this.dataSource.transaction(async (em) => {
      const check = await em.findOne(SpotCheck, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!check) throw new AppError('SPOT_CHECK_NOT_FOUND', '未找到该抽查记录', 404, 'id');
      if (check.finding) throw new AppError('SPOT_CHECK_RECORDED', '该抽查已记录结论，不能重复记录', 409);
      const now = this.clock.now();
      const actor = actorOf(principal);
      await em.update(SpotCheck, { id }, { method: dto.method, finding: dto.finding, note: dto.note.trim(), recordedAt: now, recordedBy: actor.id });
      const b = await em.findOneByOrFail(BadRating, { id: check.badRatingId });
      await logAction(em, b.caseId, actor, now, 'spot_checked', { detail: { badRatingId: b.id, method: dto.method, finding: dto.finding, note: dto.note.trim() } });
      await this.publish(em, b, 'spot_checked', now, { finding: dto.finding });
      return em.findOneByOrFail(SpotCheck, { id });
    });
  }

  private async step(
    principal: Principal,
    id: string,
    role: 'company' | 'authority',
    allowed: BadRatingStatus[],
    change: (em: EntityManager, b: BadRating, actor: Actor, now: Date) => Promise<{
      status: BadRatingStatus;
      step: BadRatingStep;
      changes: Partial<BadRating>;
      extra?: Partial<BadRatingUpdatedV1>;
    }>,
  ): Promise<BadRating> {
    const scope = await this.scopes.of(principal);
    const isCompany = scope.kind === 'company';
    if ((role === 'company') !== isCompany) {
      throw new AppError('FORBIDDEN', role === 'company' ? '此步骤由处理企业办理' : '此步骤由主管单位办理', 403);
    }
    return this.dataSource.transaction(async (em) => {
      const b = await this.visible(em, scope, id, true);
      if (!allowed.includes(b.status)) {
        throw new AppError('BAD_RATING_STATE_CONFLICT', `该差评当前状态为“${BAD_RATING_STATUS_LABELS[b.status]}”，不能执行此操作`, 409);
      }
      const now = this.clock.now();
      const actor = actorOf(principal);
      const { status, step, changes, extra } = await change(em, b, actor, now);
      const days = (STEP_DAYS as Record<string, number | undefined>)[status];
      const next = { ...changes, status, dueAt: days ? naturalDayDeadline(now, days) : b.dueAt, updatedAt: now };
      await em.update(BadRating, { id }, next);
      const updated = { ...b, ...next } as BadRating;
      await logAction(em, b.caseId, actor, now, `bad_rating_${step}`, { detail: { badRatingId: b.id, status, ...(extra ?? {}) } });
      await this.publish(em, updated, step, now, extra);
      return updated;
    });
  }

  private async visible(em: EntityManager, scope: UnitScope, id: string, lock = false): Promise<BadRating> {
    const b = await em.findOne(BadRating, { where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!b) throw new AppError('BAD_RATING_NOT_FOUND', '未找到该差评记录', 404, 'id');
    const sees = scope.kind === 'company' ? b.companyId === scope.companyId : UnitScopes.covers(scope, b);
    if (!sees) throw new AppError('BAD_RATING_FORBIDDEN', '该差评不属于本单位，无权查看或办理', 403, 'id');
    return b;
  }

  private async publish(em: EntityManager, b: BadRating, step: BadRatingStep, at: Date, extra: Partial<BadRatingUpdatedV1> = {}): Promise<void> {
    await this.outbox.add(em, 'bad_rating.updated', {
      badRatingId: b.id,
      caseId: b.caseId,
      caseNumber: b.caseNumber,
      companyId: b.companyId,
      authorityId: b.authorityId,
      cityCode: b.cityCode,
      step,
      at: at.toISOString(),
      ...extra,
    });
  }
}
