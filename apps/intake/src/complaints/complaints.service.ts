import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { AppError, CLOCK, normalizeMainlandMobile, Outbox } from '#shared';
import type { Clock } from '#shared';
import { CaseNumberService } from '../case-numbers/case-number.service.js';
import { receivedText } from '../status/case-status.js';
import { StatusEntry } from '../status/status-entry.entity.js';
import { Complaint } from './complaint.entity.js';
import type { CreateHotlineComplaintDto } from './create-complaint.dto.js';
import { toComplaintView } from './complaint.view.js';
import type { ComplaintView } from './complaint.view.js';

@Injectable()
export class ComplaintsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly caseNumbers: CaseNumberService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Records a hotline call. A complaint or report is published for dispatch in the same
   * transaction; a consultation answered on the call is recorded and closed at intake.
   */
  async recordHotlineCall(dto: CreateHotlineComplaintDto, operatorId: string, idempotencyKey?: string): Promise<ComplaintView> {
    const phone = normalizeMainlandMobile(dto.callerPhone);
    if (!phone) {
      throw new AppError('INVALID_PHONE', '来电号码（callerPhone）必须是 11 位中国大陆手机号，例如 13812345678', 400, 'callerPhone');
    }
    if (!dto.address.districtCode.startsWith(dto.address.cityCode.slice(0, 4))) {
      throw new AppError('DISTRICT_NOT_IN_CITY', '区县代码（address.districtCode）不属于所填城市（address.cityCode）', 400, 'address.districtCode');
    }
    if (idempotencyKey) {
      const existing = await this.findByIdempotencyKey(operatorId, idempotencyKey);
      if (existing) return existing;
    }
    const id = randomUUID();
    await this.dataSource.transaction(async (em) => {
      const now = this.clock.now();
      const caseNumber = await this.caseNumbers.next(em);
      const isConsultation = dto.type === 'consultation';
      const complaint = em.create(Complaint, {
        id,
        caseNumber,
        channel: 'hotline',
        type: dto.type,
        category: dto.category,
        communityName: dto.communityName.trim(),
        cityCode: dto.address.cityCode,
        districtCode: dto.address.districtCode,
        street: dto.address.street.trim(),
        building: dto.address.building ?? null,
        unit: dto.address.unit ?? null,
        room: dto.address.room ?? null,
        description: dto.description,
        phone,
        contactName: dto.contactName ?? null,
        namedCompanyId: dto.namedCompanyId ?? null,
        indoorTemperatureC: dto.indoorTemperatureC ?? null,
        daysWithoutHeat: dto.daysWithoutHeat ?? null,
        recordedBy: operatorId,
        idempotencyKey: idempotencyKey ?? null,
        status: isConsultation ? 'answered' : 'received',
        receivedAt: now,
        updatedAt: now,
      });
      await em.insert(Complaint, complaint);
      await em.insert(StatusEntry, {
        complaintId: id,
        status: complaint.status,
        text: isConsultation ? `咨询已当场答复并办结：${dto.answer}` : receivedText(dto.category),
        at: now,
      });
      if (!isConsultation) await this.publishReceived(em, complaint);
    });
    return this.viewById(id);
  }

  async findByCaseNumber(caseNumber: string): Promise<ComplaintView> {
    const complaint = await this.dataSource.getRepository(Complaint).findOneBy({ caseNumber });
    if (!complaint) throw new AppError('CASE_NOT_FOUND', `未找到工单 ${caseNumber}，请核对工单号（格式如 GR-20261129-000123）`, 404, 'caseNumber');
    return this.view(complaint);
  }

  async findByCaller(callerPhone: string): Promise<ComplaintView[]> {
    const phone = normalizeMainlandMobile(callerPhone);
    if (!phone) throw new AppError('INVALID_PHONE', '来电号码（callerPhone）必须是 11 位中国大陆手机号', 400, 'callerPhone');
    const complaints = await this.dataSource.getRepository(Complaint).find({ where: { phone }, order: { receivedAt: 'DESC' }, take: 50 });
    return Promise.all(complaints.map((c) => this.view(c)));
  }

  private async publishReceived(em: EntityManager, c: Complaint): Promise<void> {
    await this.outbox.add(em, 'complaint.received', {
      caseId: c.id,
      caseNumber: c.caseNumber,
      channel: c.channel,
      type: c.type,
      category: c.category,
      communityName: c.communityName,
      address: {
        cityCode: c.cityCode,
        districtCode: c.districtCode,
        street: c.street,
        ...(c.building ? { building: c.building } : {}),
        ...(c.unit ? { unit: c.unit } : {}),
        ...(c.room ? { room: c.room } : {}),
      },
      description: c.description,
      phone: c.phone,
      ...(c.contactName ? { contactName: c.contactName } : {}),
      ...(c.namedCompanyId ? { namedCompanyId: c.namedCompanyId } : {}),
      ...(c.indoorTemperatureC !== null ? { indoorTemperatureC: c.indoorTemperatureC } : {}),
      ...(c.daysWithoutHeat !== null ? { daysWithoutHeat: c.daysWithoutHeat } : {}),
      receivedAt: c.receivedAt.toISOString(),
    });
  }

  private async findByIdempotencyKey(operatorId: string, key: string): Promise<ComplaintView | null> {
    const existing = await this.dataSource.getRepository(Complaint).findOneBy({ recordedBy: operatorId, idempotencyKey: key });
    return existing ? this.view(existing) : null;
  }

  private async viewById(id: string): Promise<ComplaintView> {
    return this.view(await this.dataSource.getRepository(Complaint).findOneByOrFail({ id }));
  }

  private async view(c: Complaint): Promise<ComplaintView> {
    const history = await this.dataSource.getRepository(StatusEntry).findBy({ complaintId: c.id });
    return toComplaintView(c, history);
  }
}
