import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { fileTypeFromBuffer } from 'file-type';
import { DataSource, In } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { AppError, CATEGORY_LABELS, CLOCK, Outbox } from '#shared';
import type { Clock, Principal, Resolution } from '#shared';
import { CaseAccess } from './case-access.js';
import { actorOf, logAction } from './case-log.js';
import type { Actor } from './case-log.js';
import { CaseAction, CaseRequest, EvidencePhoto } from './case-records.entity.js';
import type { RequestKind } from './case-records.entity.js';
import { DispatchCase, STATUS_LABELS } from './dispatch-case.entity.js';
import type { DispatchStatus } from './dispatch-case.entity.js';
import { assessSlip } from './temperature-slip.js';
import type { TemperatureSlip } from './temperature-slip.js';
import { CONTACT_OUTCOME_LABELS, RETURN_REASON_LABELS } from './workflow.dto.js';
import type { ContactAttemptDto, EscalateDto, ExtensionRequestDto, ReturnRequestDto, SubmitFeedbackDto } from './workflow.dto.js';

export const EVIDENCE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;

export interface CaseFilter {
  status?: DispatchStatus;
  overdue?: boolean;
  category?: string;
  caseNumber?: string;
  receivedFrom?: Date;
  receivedTo?: Date;
  limit: number;
  offset: number;
}

export interface CaseDetail {
  c: DispatchCase;
  actions: CaseAction[];
  requests: CaseRequest[];
}

/**
 * The company side of a case: list and read own cases, sign for them, log contact attempts,
 * return or ask for more time (the authority decides), escalate, upload evidence, feed back.
 * Every step is one transaction with its log entry (and its events, where other services care).
 */
@Injectable()
export class CompanyCasesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly access: CaseAccess,
    private readonly outbox: Outbox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Cases in the caller's scope, newest first. */
  async list(principal: Principal, filter: CaseFilter): Promise<{ total: number; items: DispatchCase[] }> {
    const scope = await this.access.scopeOf(principal);
    const qb = CaseAccess.restrict(this.dataSource.getRepository(DispatchCase).createQueryBuilder('c'), scope);
    if (filter.status) qb.andWhere('c.status = :status', { status: filter.status });
    if (filter.overdue !== undefined) qb.andWhere(filter.overdue ? 'c.overdue_at IS NOT NULL' : 'c.overdue_at IS NULL');
    if (filter.category) qb.andWhere('c.category = :category', { category: filter.category });
    if (filter.caseNumber) qb.andWhere('c.case_number = :caseNumber', { caseNumber: filter.caseNumber });
    if (filter.receivedFrom) qb.andWhere('c.received_at >= :from', { from: filter.receivedFrom });
    if (filter.receivedTo) qb.andWhere('c.received_at < :to', { to: filter.receivedTo });
    const [items, total] = await qb.orderBy('c.received_at', 'DESC').skip(filter.offset).take(filter.limit).getManyAndCount();
    return { total, items };
  }

  async detail(principal: Principal, caseId: string): Promise<CaseDetail> {
    const { c } = await this.access.load(this.dataSource.manager, principal, caseId);
    return this.detailOf(this.dataSource.manager, c);
  }

  async detailOf(em: EntityManager, c: DispatchCase): Promise<CaseDetail> {
    const [actions, requests] = await Promise.all([
      em.find(CaseAction, { where: { caseId: c.id }, order: { id: 'ASC' } }),
      em.find(CaseRequest, { where: { caseId: c.id }, order: { requestedAt: 'ASC' } }),
    ]);
    return { c, actions, requests };
  }

  /** 签收: the company confirms it has the case. Signing twice is harmless. */
  async sign(principal: Principal, caseId: string): Promise<CaseDetail> {
    return this.companyStep(principal, caseId, async (em, c, now) => {
      if (c.status !== 'dispatched') return;
      await em.update(DispatchCase, { id: c.id }, { status: 'signed', signedAt: now, updatedAt: now });
      await logAction(em, c.id, actorOf(principal), now, 'signed', { from: c.status, to: 'signed' });
    }, ['dispatched', 'signed', 'return_requested']);
  }

  /** Logs a call or visit attempt; the first contact implies the company has the case (signs it). */
  async contact(principal: Principal, caseId: string, dto: ContactAttemptDto): Promise<CaseDetail> {
    return this.companyStep(principal, caseId, async (em, c, now) => {
      const at = dto.at ? new Date(dto.at) : now;
      if (at.getTime() > now.getTime() + 60_000) {
        throw new AppError('CONTACT_IN_FUTURE', '联系时间（at）不能晚于当前时间', 400, 'at');
      }
      if (c.dispatchedAt && at.getTime() < c.dispatchedAt.getTime() - 60_000) {
        throw new AppError('CONTACT_BEFORE_DISPATCH', '联系时间（at）不能早于工单分转时间', 400, 'at');
      }
      if (c.status === 'dispatched') {
        await em.update(DispatchCase, { id: c.id }, { status: 'signed', signedAt: now, updatedAt: now });
        await logAction(em, c.id, actorOf(principal), now, 'signed', { from: c.status, to: 'signed', detail: { implicit: true } });
      }
      await logAction(em, c.id, actorOf(principal), at, 'contact', {
        detail: { outcome: dto.outcome, outcomeLabel: CONTACT_OUTCOME_LABELS[dto.outcome], ...(dto.note ? { note: dto.note } : {}) },
      });
    }, ['dispatched', 'signed']);
  }

  /** 退回 with a reason: the case waits for the authority, whose decision binds. */
  async requestReturn(principal: Principal, caseId: string, dto: ReturnRequestDto): Promise<CaseDetail> {
    return this.companyStep(principal, caseId, async (em, c, now) => {
      if (c.returnsLocked) {
        throw new AppError('RETURN_NOT_ALLOWED', `工单 ${c.caseNumber} 的归属已由主管单位裁定，不能再次退回，请按时办理`, 409);
      }
      await this.openRequest(em, c, principal, now, { kind: 'return', reason: `${RETURN_REASON_LABELS[dto.reasonCode]}：${dto.reason.trim()}`, requestedDays: null });
      await em.update(DispatchCase, { id: c.id }, { status: 'return_requested', updatedAt: now });
      await logAction(em, c.id, actorOf(principal), now, 'return_requested', {
        from: c.status,
        to: 'return_requested',
        detail: { reasonCode: dto.reasonCode, reason: dto.reason.trim() },
      });
    }, ['dispatched', 'signed']);
  }

  /** 延期: asks the authority for more natural days; the deadline moves only when it approves. */
  async requestExtension(principal: Principal, caseId: string, dto: ExtensionRequestDto): Promise<CaseDetail> {
    return this.companyStep(principal, caseId, async (em, c, now) => {
      await this.openRequest(em, c, principal, now, { kind: 'extension', reason: dto.reason.trim(), requestedDays: dto.days });
      await logAction(em, c.id, actorOf(principal), now, 'extension_requested', { detail: { days: dto.days, reason: dto.reason.trim() } });
    }, ['dispatched', 'signed']);
  }

  /** 上报: a major or mass problem, flagged for the authority at once. */
  async escalate(principal: Principal, caseId: string, dto: EscalateDto): Promise<CaseDetail> {
    return this.companyStep(principal, caseId, async (em, c, now) => {
      await em.update(DispatchCase, { id: c.id }, { escalatedAt: c.escalatedAt ?? now, updatedAt: now });
      await logAction(em, c.id, actorOf(principal), now, 'escalated', {
        detail: { kind: dto.kind, description: dto.description.trim(), ...(dto.householdsAffected ? { householdsAffected: dto.householdsAffected } : {}) },
      });
    }, ['dispatched', 'signed', 'return_requested']);
  }

  /** A photo for the case's evidence (the temperature slip, the repair), checked by its bytes. */
  async uploadEvidence(principal: Principal, caseId: string, body: unknown): Promise<{ id: string; contentType: string; size: number }> {
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw new AppError('PHOTO_REQUIRED', `请以请求体上传照片，Content-Type 为 ${EVIDENCE_TYPES.join('、')} 之一，最大 5 MB`, 400, 'body');
    }
    const detected = await fileTypeFromBuffer(body);
    if (!detected || !(EVIDENCE_TYPES as readonly string[]).includes(detected.mime)) {
      throw new AppError('UNSUPPORTED_PHOTO', '只接受 JPEG、PNG 或 WebP 格式的照片', 415, 'body');
    }
    const id = randomUUID();
    await this.companyStep(principal, caseId, async (em, c, now) => {
      await em.insert(EvidencePhoto, {
        id, caseId: c.id, companyId: c.companyId!, mimeType: detected.mime, bytes: body, size: body.length, uploadedAt: now, uploadedBy: actorOf(principal).id,
      });
      await logAction(em, c.id, actorOf(principal), now, 'evidence_uploaded', { detail: { photoId: id, size: body.length } });
    }, ['dispatched', 'signed', 'return_requested']);
    return { id, contentType: detected.mime, size: body.length };
  }

  /** The handling company, the region's authority and the province may see evidence photos. */
  async readEvidence(principal: Principal, caseId: string, photoId: string): Promise<EvidencePhoto> {
    await this.access.load(this.dataSource.manager, principal, caseId);
    const photo = await this.dataSource
      .getRepository(EvidencePhoto)
      .createQueryBuilder('p')
      .where('p.id = :photoId AND p.case_id = :caseId', { photoId, caseId })
      .getOne();
    if (!photo) throw new AppError('PHOTO_NOT_FOUND', '照片不存在或不属于该工单', 404, 'photoId');
    return photo;
  }

  /** 反馈 + 办结: records the result (with the temperature slip for a too-cold case) and closes the case. */
  async submitFeedback(principal: Principal, caseId: string, dto: SubmitFeedbackDto): Promise<CaseDetail> {
    return this.companyStep(principal, caseId, async (em, c, now) => {
      let slip: TemperatureSlip | null = null;
      let refundPercent: number | null = null;
      let assessment: string | undefined;
      if (c.category === 'too_cold' && !dto.temperatureSlip) {
        throw new AppError('TEMPERATURE_SLIP_REQUIRED', `“${CATEGORY_LABELS.too_cold}”工单反馈时必须附测温单（temperatureSlip）：各房间读数、测温时间、位置、仪器、测温人、诉求人确认`, 400, 'temperatureSlip');
      }
      if (dto.temperatureSlip) {
        const s = dto.temperatureSlip;
        const measuredAt = new Date(s.measuredAt);
        if (measuredAt.getTime() > now.getTime() + 60_000) {
          throw new AppError('MEASURED_IN_FUTURE', '测温时间（temperatureSlip.measuredAt）不能晚于当前时间', 400, 'temperatureSlip.measuredAt');
        }
        if (c.dispatchedAt && measuredAt.getTime() < c.dispatchedAt.getTime() - 60_000) {
          throw new AppError('MEASURED_BEFORE_DISPATCH', '测温时间（temperatureSlip.measuredAt）不能早于工单分转时间', 400, 'temperatureSlip.measuredAt');
        }
        const photoIds = [...new Set(s.photoIds ?? [])];
        if (photoIds.length) {
          const found = await em.count(EvidencePhoto, { where: { id: In(photoIds), caseId: c.id } });
          if (found !== photoIds.length) {
            throw new AppError('PHOTO_NOT_FOUND', '测温照片（temperatureSlip.photoIds）须是为本工单上传的照片编号', 400, 'temperatureSlip.photoIds');
          }
        }
        slip = {
          readings: s.readings.map((r) => ({ room: r.room.trim(), roomType: r.roomType, temperatureC: Math.round(r.temperatureC * 10) / 10 })),
          measuredAt: measuredAt.toISOString(),
          measuringPoint: s.measuringPoint.trim(),
          instrument: s.instrument.trim(),
          measurer: s.measurer.trim(),
          residentAcknowledged: s.residentAcknowledged,
          photoIds,
        };
        const result = assessSlip(slip.readings);
        refundPercent = result.refundPercent;
        assessment = result.summary;
      }
      await this.close(em, c, actorOf(principal), now, {
        resolution: dto.resolution,
        summary: dto.summary.trim(),
        temperatureSlip: slip,
        refundPercent,
        ...(assessment ? { assessment } : {}),
      });
    }, ['dispatched', 'signed']);
  }

  /**
   * 办结: records the result, closes the case, settles any pending request, and tells the other
   * services (feedback and closure: intake's history, the survey, the indicators). Used by the
   * company's feedback and by an incident's restoration.
   */
  async close(
    em: EntityManager,
    c: DispatchCase,
    actor: Actor,
    now: Date,
    result: { resolution: Resolution; summary: string; temperatureSlip?: TemperatureSlip | null; refundPercent?: number | null; assessment?: string; detail?: Record<string, unknown> },
  ): Promise<void> {
    await em.update(DispatchCase, { id: c.id }, {
      status: 'closed',
      signedAt: c.signedAt ?? now,
      resolution: result.resolution,
      feedbackSummary: result.summary,
      temperatureSlip: result.temperatureSlip ?? null,
      refundPercent: result.refundPercent ?? null,
      closedAt: now,
      updatedAt: now,
    });
    // A pending request has nothing left to decide.
    await em.update(CaseRequest, { caseId: c.id, status: 'pending' }, { status: 'rejected', decidedAt: now, decidedBy: 'system', decisionNote: '工单已办结' });
    await logAction(em, c.id, actor, now, 'feedback', {
      from: c.status,
      to: 'closed',
      detail: {
        resolution: result.resolution,
        summary: result.summary,
        ...(result.assessment ? { assessment: result.assessment, refundPercent: result.refundPercent } : {}),
        ...result.detail,
      },
    });
    const common = { caseId: c.id, caseNumber: c.caseNumber, companyId: c.companyId!, authorityId: c.authorityId };
    await this.outbox.add(em, 'case.feedback_submitted', {
      ...common,
      resolution: result.resolution,
      summary: result.summary,
      dispatchedAt: c.dispatchedAt!.toISOString(),
      submittedAt: now.toISOString(),
    });
    await this.outbox.add(em, 'case.closed', { ...common, resolution: result.resolution, closedAt: now.toISOString() });
  }

  /**
   * One company step: the case locked and checked to be the caller's, in a status that allows the
   * step (else 409 naming the status), the change, then the case as it now stands.
   */
  private async companyStep(
    principal: Principal,
    caseId: string,
    change: (em: EntityManager, c: DispatchCase, now: Date) => Promise<void>,
    allowed: DispatchStatus[],
  ): Promise<CaseDetail> {
    return this.dataSource.transaction(async (em) => {
      const { c } = await this.access.load(em, principal, caseId, { lock: true });
      if (c.status === 'closed' && !allowed.includes('closed')) {
        throw new AppError('CASE_ALREADY_CLOSED', `工单 ${c.caseNumber} 已办结，不能再修改或重复反馈`, 409);
      }
      if (!allowed.includes(c.status)) {
        throw new AppError('CASE_STATE_CONFLICT', `工单 ${c.caseNumber} 当前状态为“${STATUS_LABELS[c.status]}”，不能执行此操作`, 409);
      }
      await change(em, c, this.clock.now());
      return this.detailOf(em, await em.findOneByOrFail(DispatchCase, { id: c.id }));
    });
  }

  /** A return or extension request for the authority; one open request per case. */
  private async openRequest(
    em: EntityManager,
    c: DispatchCase,
    principal: Principal,
    now: Date,
    request: { kind: RequestKind; reason: string; requestedDays: number | null },
  ): Promise<void> {
    const pending = await em.findOneBy(CaseRequest, { caseId: c.id, status: 'pending' });
    if (pending) {
      const what = pending.kind === 'return' ? '退回申请' : '延期申请';
      throw new AppError('REQUEST_PENDING', `工单 ${c.caseNumber} 已有待主管单位处理的${what}，请等待裁定`, 409);
    }
    await em.insert(CaseRequest, {
      id: randomUUID(),
      caseId: c.id,
      companyId: c.companyId!,
      previousStatus: c.status,
      status: 'pending',
      requestedAt: now,
      requestedBy: actorOf(principal).id,
      decidedAt: null,
      decidedBy: null,
      decisionNote: null,
      reassignedTo: null,
      ...request,
    });
  }
}
