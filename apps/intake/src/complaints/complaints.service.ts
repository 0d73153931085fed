import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { AppError, CLOCK, findLiaoningDivision, normalizeMainlandMobile, Outbox, OUTBOX_COLUMNS } from '#shared';
import type { Clock, EventPayload } from '#shared';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { CaseNumberService } from '../case-numbers/case-number.service.js';
import { addressKey, OPEN_STATUSES } from '../duplicates/address-key.js';
import { receivedText, repeatedText } from '../status/case-status.js';
import { StatusEntry } from '../status/status-entry.entity.js';
import { Complaint } from './complaint.entity.js';
import type { ComplaintInput, RecordOutcome } from './complaint-input.js';
import { addressOf, toComplaintView } from './complaint.view.js';
import type { ComplaintView } from './complaint.view.js';

export interface RecordResult {
  outcome: RecordOutcome;
  view: ComplaintView;
}

@Injectable()
export class ComplaintsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly caseNumbers: CaseNumberService,
    private readonly attachments: AttachmentsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Records a case from any channel, in one transaction with its event:
   * - the same key from the same client returns the case it made (`replayed`);
   * - the same verified phone + address + category while a case is open is linked to that case (`duplicate`);
   * - a consultation answered on the call is recorded and closed at intake;
   * - anything else is a new case, published for dispatch.
   */
  async record(input: ComplaintInput, idempotencyKey?: string): Promise<RecordResult> {
    this.checkAddress(input.address);
    const key = addressKey(input.address);
    const isConsultation = input.type === 'consultation' && input.answer !== undefined;
    const result = await this.dataSource.transaction(async (em) => {
      const now = this.clock.now();
      if (idempotencyKey) {
        // Concurrent retries with one key wait for each other; the first one's case is the answer.
        await em.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`idempotency|${input.recordedBy}|${input.phone}|${idempotencyKey}`]);
        const existing = await em.findOneBy(Complaint, { recordedBy: input.recordedBy, phone: input.phone, idempotencyKey });
        if (existing) return { outcome: 'replayed' as const, id: existing.id, view: undefined };
      }
      let serial: number | undefined;
      if (!isConsultation) {
        // One round trip: the lock (two identical reports at the same moment must not both open a
        // case), the open case it would duplicate, and the next case serial (unused on a duplicate).
        const [row] = await em.query(
          `WITH lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtext($1)))
           SELECT (SELECT id FROM complaint WHERE phone = $2 AND category = $3 AND address_key = $4 AND status = ANY($5)
                    ORDER BY received_at LIMIT 1) AS open_id,
                  nextval('case_number_seq')::bigint AS serial
             FROM lock`,
          [`${input.phone}|${input.category}|${key}`, input.phone, input.category, key, [...OPEN_STATUSES]],
        );
        serial = Number(row.serial);
        const open = row.open_id ? await em.findOneByOrFail(Complaint, { id: row.open_id }) : null;
        if (open) {
          // New photos of a repeat report join the open case (checked like any other).
          const photoIds = input.photoIds ?? [];
          await this.attachments.attach(em, photoIds, attachmentOwner(input), open.id);
          if (photoIds.length) await em.update(Complaint, { id: open.id }, { photoIds: [...new Set([...open.photoIds, ...photoIds])] });
          await em.increment(Complaint, { id: open.id }, 'repeatCount', 1);
          await em.insert(StatusEntry, { complaintId: open.id, status: open.status, text: repeatedText(), at: now });
          return { outcome: 'duplicate' as const, id: open.id, view: undefined };
        }
      }
      const id = randomUUID();
      const complaint = em.create(Complaint, {
        id,
        caseNumber: serial === undefined ? await this.caseNumbers.next(em) : this.caseNumbers.format(serial),
        channel: input.channel,
        type: input.type,
        category: input.category,
        communityName: input.communityName.trim(),
        cityCode: input.address.cityCode,
        districtCode: input.address.districtCode,
        street: input.address.street.trim(),
        building: input.address.building ?? null,
        unit: input.address.unit ?? null,
        room: input.address.room ?? null,
        addressKey: key,
        description: input.description,
        phone: input.phone,
        contactName: input.contactName ?? null,
        namedCompanyId: input.namedCompanyId ?? null,
        // Thermometers read to 0.1 ℃; anything finer is noise (and 1e-300 would underflow the column).
        indoorTemperatureC: input.indoorTemperatureC === undefined ? null : Math.round(input.indoorTemperatureC * 10) / 10,
        daysWithoutHeat: input.daysWithoutHeat ?? null,
        latitude: input.coordinates?.latitude ?? null,
        longitude: input.coordinates?.longitude ?? null,
        photoIds: input.photoIds ?? [],
        recordedBy: input.recordedBy,
        idempotencyKey: idempotencyKey ?? null,
        status: isConsultation ? 'answered' : 'received',
        repeatCount: 0,
        receivedAt: now,
        updatedAt: now,
      });
      const entry = em.create(StatusEntry, {
        complaintId: id,
        status: complaint.status,
        text: isConsultation ? `咨询已当场答复并办结：${input.answer}` : receivedText(input.category),
        at: now,
      });
      const event = isConsultation
        ? this.outbox.prepare(em, 'consultation.answered', answeredPayload(complaint))
        : this.outbox.prepare(em, 'complaint.received', receivedPayload(complaint));
      // The case, its first history entry and its event in one statement: the hot path of intake
      // (see BENCHMARKS.md). Written out rather than built by the query builder, which cost ~6 % of
      // intake's CPU per case; the columns are those of the `complaint` entity.
      const caseRow = [
        complaint.id, complaint.caseNumber, complaint.channel, complaint.type, complaint.category, complaint.communityName,
        complaint.cityCode, complaint.districtCode, complaint.street, complaint.building, complaint.unit, complaint.room,
        complaint.addressKey, complaint.latitude, complaint.longitude, complaint.photoIds, complaint.repeatCount,
        complaint.description, complaint.phone, complaint.contactName, complaint.namedCompanyId, complaint.indoorTemperatureC,
        complaint.daysWithoutHeat, complaint.recordedBy, complaint.idempotencyKey, complaint.status, complaint.receivedAt, complaint.updatedAt,
      ];
      const [inserted] = await em.query(
        `WITH created AS (
           INSERT INTO complaint (id, case_number, channel, type, category, community_name, city_code, district_code, street,
             building, unit, room, address_key, latitude, longitude, photo_ids, repeat_count, description, phone, contact_name,
             named_company_id, indoor_temperature_c, days_without_heat, recorded_by, idempotency_key, status, received_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24,
             $25, $26, $27, $28)
           RETURNING id),
         entry AS (INSERT INTO complaint_status_entry (complaint_id, status, text, at)
                   SELECT id, $29, $30, $31 FROM created RETURNING id)
         INSERT INTO outbox_message (${OUTBOX_COLUMNS})
         SELECT $32, $33, $34, $35, $36 FROM entry RETURNING (SELECT id FROM entry) AS entry_id`,
        [...caseRow, entry.status, entry.text, entry.at, ...event.values],
      );
      entry.id = String(inserted.entry_id);
      await this.attachments.attach(em, input.photoIds ?? [], attachmentOwner(input), id);
      // The new case's view needs no second read.
      return { outcome: 'created' as const, id, view: toComplaintView(complaint, [entry]) };
    });
    return { outcome: result.outcome, view: result.view ?? (await this.viewById(result.id)) };
  }

  async findByCaseNumber(caseNumber: string): Promise<ComplaintView> {
    const complaint = await this.dataSource.getRepository(Complaint).findOneBy({ caseNumber });
    if (!complaint) throw new AppError('CASE_NOT_FOUND', `未找到工单 ${caseNumber}，请核对工单号（格式如 GR-20261129-000123）`, 404, 'caseNumber');
    return this.view(complaint);
  }

  async findByCaller(callerPhone: string): Promise<ComplaintView[]> {
    const phone = normalizeMainlandMobile(callerPhone);
    if (!phone) throw new AppError('INVALID_PHONE', '来电号码（callerPhone）必须是 11 位中国大陆手机号', 400, 'callerPhone');
    return this.listForPhone(phone);
  }

  /** A resident's own cases (or a caller's), newest first, with their histories. */
  async listForPhone(phone: string, limit = 50): Promise<ComplaintView[]> {
    const complaints = await this.dataSource.getRepository(Complaint).find({ where: { phone }, order: { receivedAt: 'DESC' }, take: limit });
    const history = complaints.length
      ? await this.dataSource.getRepository(StatusEntry).findBy({ complaintId: In(complaints.map((c) => c.id)) })
      : [];
    return complaints.map((c) => toComplaintView(c, history.filter((h) => h.complaintId === c.id)));
  }

  /** City and district must be real Liaoning divisions, and the district must lie in the city. */
  private checkAddress(address: ComplaintInput['address']): void {
    const city = findLiaoningDivision(address.cityCode);
    if (!city || city.district) {
      throw new AppError('UNKNOWN_CITY', `城市代码（address.cityCode）${address.cityCode} 不是辽宁省的地级市代码，例如沈阳市 210100、大连市 210200`, 400, 'address.cityCode');
    }
    const district = findLiaoningDivision(address.districtCode);
    if (!district?.district) {
      throw new AppError('UNKNOWN_DISTRICT', `区县代码（address.districtCode）${address.districtCode} 不是辽宁省的区县代码`, 400, 'address.districtCode');
    }
    if (district.city.code !== address.cityCode) {
      throw new AppError('DISTRICT_NOT_IN_CITY', `${district.district.name}（${address.districtCode}）不属于所填城市（address.cityCode ${address.cityCode}），而属于${district.city.name}`, 400, 'address.districtCode');
    }
  }


  private async viewById(id: string): Promise<ComplaintView> {
    return this.view(await this.dataSource.getRepository(Complaint).findOneByOrFail({ id }));
  }

  private async view(c: Complaint): Promise<ComplaintView> {
    const history = await this.dataSource.getRepository(StatusEntry).findBy({ complaintId: c.id });
    return toComplaintView(c, history);
  }
}

/** What dispatch, sms-survey and kpi learn about a new case. */
function receivedPayload(c: Complaint): EventPayload<'complaint.received'> {
  return {
    caseId: c.id,
    caseNumber: c.caseNumber,
    channel: c.channel,
    type: c.type,
    category: c.category,
    communityName: c.communityName,
    address: addressOf(c),
    description: c.description,
    phone: c.phone,
    ...(c.contactName ? { contactName: c.contactName } : {}),
    ...(c.namedCompanyId ? { namedCompanyId: c.namedCompanyId } : {}),
    ...(c.indoorTemperatureC !== null ? { indoorTemperatureC: c.indoorTemperatureC } : {}),
    ...(c.daysWithoutHeat !== null ? { daysWithoutHeat: c.daysWithoutHeat } : {}),
    ...(c.photoIds.length ? { photoIds: c.photoIds } : {}),
    ...(c.latitude !== null && c.longitude !== null ? { coordinates: { latitude: c.latitude, longitude: c.longitude } } : {}),
    receivedAt: c.receivedAt.toISOString(),
  };
}

function answeredPayload(c: Complaint): EventPayload<'consultation.answered'> {
  return {
    caseId: c.id,
    caseNumber: c.caseNumber,
    channel: c.channel,
    category: c.category,
    cityCode: c.cityCode,
    districtCode: c.districtCode,
    answeredAt: c.receivedAt.toISOString(),
  };
}

function attachmentOwner(input: ComplaintInput): string {
  return input.recordedBy === 'resident' ? `resident:${input.phone}` : `operator:${input.recordedBy}`;
}
