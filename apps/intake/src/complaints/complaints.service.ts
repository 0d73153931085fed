import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { AppError, CLOCK, findLiaoningDivision, normalizeMainlandMobile, Outbox, OUTBOX_COLUMNS, PHONE_VAULT, PhoneVault } from '#shared';
import type { Clock, EventPayload, SealedPhone } from '#shared';
import { AttachmentsService, residentOwnerKey } from '../attachments/attachments.service.js';
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
    @Inject(PHONE_VAULT) private readonly vault: PhoneVault,
  ) {}

  /**
   * Records a case from any channel, atomically with its event:
   * - the same key from the same client returns the case it made (`replayed`);
   * - the same verified phone + address + category while a case is open is linked to that case (`duplicate`);
   * - a consultation answered on the call is recorded and closed at intake;
   * - anything else is a new case, published for dispatch.
   *
   * A new case is one statement that inserts unless a unique index says otherwise (an open case of
   * the same report, or the same Idempotency-Key); only then is the existing case looked up. So
   * two identical reports at the same moment never open two cases, and the common case costs one
   * round trip to PostgreSQL (the hot path of intake, see BENCHMARKS.md).
   *
   * The number is stored sealed; the unique indexes compare its blind index.
   */
  async record(input: ComplaintInput, idempotencyKey?: string): Promise<RecordResult> {
    this.checkAddress(input.address);
    const key = addressKey(input.address);
    const phone = this.vault.protect(input.phone);
    for (let attempt = 1; ; attempt++) {
      const view = await this.tryCreate(input, phone, key, idempotencyKey);
      if (view) return { outcome: 'created', view };
      const existing = await this.linkToExisting(input, phone.hash, key, idempotencyKey);
      // The case found has the same number (same blind index): no need to open its copy.
      if (existing) return { outcome: existing.outcome, view: await this.viewById(existing.id, input.phone) };
      // The case it collided with was closed in between: try again as a new case.
      if (attempt === 3) throw new AppError('CASE_CONFLICT', '同一诉求正在被同时受理，请稍后重试', 409);
    }
  }

  /** Inserts the case, its first history entry and its event; `null` when a unique index refused it. */
  private async tryCreate(input: ComplaintInput, phone: SealedPhone, key: string, idempotencyKey?: string): Promise<ComplaintView | null> {
    const isConsultation = isAnsweredConsultation(input);
    const now = this.clock.now();
    const complaint = this.dataSource.getRepository(Complaint).create({
      id: randomUUID(),
      caseNumber: await this.caseNumbers.next(),
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
      phoneEnc: phone.enc,
      phoneHash: phone.hash,
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
    const entry = this.dataSource.getRepository(StatusEntry).create({
      complaintId: complaint.id,
      status: complaint.status,
      text: isConsultation ? `咨询已当场答复并办结：${input.answer}` : receivedText(input.category),
      at: now,
    });
    const event = isConsultation
      ? this.outbox.prepareStatement('consultation.answered', answeredPayload(complaint))
      : this.outbox.prepareStatement('complaint.received', receivedPayload(complaint, input.phone));
    const caseRow = [
      complaint.id, complaint.caseNumber, complaint.channel, complaint.type, complaint.category, complaint.communityName,
      complaint.cityCode, complaint.districtCode, complaint.street, complaint.building, complaint.unit, complaint.room,
      complaint.addressKey, complaint.latitude, complaint.longitude, complaint.photoIds, complaint.repeatCount,
      complaint.description, complaint.phoneEnc, complaint.phoneHash, complaint.contactName, complaint.namedCompanyId, complaint.indoorTemperatureC,
      complaint.daysWithoutHeat, complaint.recordedBy, complaint.idempotencyKey, complaint.status, complaint.receivedAt, complaint.updatedAt,
    ];
    const params = [...caseRow, entry.status, entry.text, entry.at, ...event.values];
    const photoIds = input.photoIds ?? [];
    // Photos are claimed in the same transaction; without photos the statement is atomic on its own.
    const rows: Array<{ entry_id: string }> = photoIds.length
      ? await this.dataSource.transaction(async (em) => {
          const inserted = await em.query(INSERT_CASE_SQL, params);
          if (inserted.length) await this.attachments.attach(em, photoIds, attachmentOwner(input, phone.hash), complaint.id);
          return inserted;
        })
      : await this.dataSource.query(INSERT_CASE_SQL, params);
    if (rows.length === 0) return null;
    event.written();
    entry.id = String(rows[0].entry_id);
    // The new case's view needs no second read.
    return toComplaintView(complaint, [entry], input.phone);
  }

  /** After a refused insert: the case of the same Idempotency-Key, or the open case this report repeats. */
  private async linkToExisting(input: ComplaintInput, phoneHash: string, key: string, idempotencyKey?: string): Promise<{ outcome: RecordOutcome; id: string } | null> {
    return this.dataSource.transaction(async (em) => {
      if (idempotencyKey) {
        const replayed = await em.findOneBy(Complaint, { recordedBy: input.recordedBy, phoneHash, idempotencyKey });
        if (replayed) return { outcome: 'replayed' as const, id: replayed.id };
      }
      if (isAnsweredConsultation(input)) return null;
      const open = await em.findOne(Complaint, {
        where: { phoneHash, category: input.category, addressKey: key, status: In([...OPEN_STATUSES]) },
        lock: { mode: 'pessimistic_write' },
      });
      if (!open) return null;
      // New photos of a repeat report join the open case (checked like any other).
      const photoIds = input.photoIds ?? [];
      await this.attachments.attach(em, photoIds, attachmentOwner(input, phoneHash), open.id);
      if (photoIds.length) await em.update(Complaint, { id: open.id }, { photoIds: [...new Set([...open.photoIds, ...photoIds])] });
      await em.increment(Complaint, { id: open.id }, 'repeatCount', 1);
      await em.insert(StatusEntry, { complaintId: open.id, status: open.status, text: repeatedText(), at: this.clock.now() });
      return { outcome: 'duplicate' as const, id: open.id };
    });
  }

  async findByCaseNumber(caseNumber: string): Promise<ComplaintView> {
    const complaint = await this.dataSource.getRepository(Complaint).findOneBy({ caseNumber });
    if (!complaint) throw new AppError('CASE_NOT_FOUND', `未找到工单 ${caseNumber}，请核对工单号（格式如 GR-20261129-000123）`, 404, 'caseNumber');
    return this.view(complaint, this.vault.open(complaint.phoneEnc));
  }

  async findByCaller(callerPhone: string): Promise<ComplaintView[]> {
    const phone = normalizeMainlandMobile(callerPhone);
    if (!phone) throw new AppError('INVALID_PHONE', '来电号码（callerPhone）必须是 11 位中国大陆手机号', 400, 'callerPhone');
    return this.listForPhone(phone);
  }

  /** A resident's own cases (or a caller's), newest first, with their histories. */
  async listForPhone(phone: string, limit = 50): Promise<ComplaintView[]> {
    const complaints = await this.dataSource.getRepository(Complaint).find({ where: { phoneHash: this.vault.hash(phone) }, order: { receivedAt: 'DESC' }, take: limit });
    const history = complaints.length
      ? await this.dataSource.getRepository(StatusEntry).findBy({ complaintId: In(complaints.map((c) => c.id)) })
      : [];
    return complaints.map((c) => toComplaintView(c, history.filter((h) => h.complaintId === c.id), phone));
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


  private async viewById(id: string, phone: string): Promise<ComplaintView> {
    return this.view(await this.dataSource.getRepository(Complaint).findOneByOrFail({ id }), phone);
  }

  private async view(c: Complaint, phone: string): Promise<ComplaintView> {
    const history = await this.dataSource.getRepository(StatusEntry).findBy({ complaintId: c.id });
    return toComplaintView(c, history, phone);
  }
}

/** What dispatch, sms-survey and kpi learn about a new case: the number in full, from the request (the row holds it sealed). */
function receivedPayload(c: Complaint, phone: string): EventPayload<'complaint.received'> {
  return {
    caseId: c.id,
    caseNumber: c.caseNumber,
    channel: c.channel,
    type: c.type,
    category: c.category,
    communityName: c.communityName,
    address: addressOf(c),
    description: c.description,
    phone,
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

function isAnsweredConsultation(input: ComplaintInput): boolean {
  return input.type === 'consultation' && input.answer !== undefined;
}

/**
 * The case, its first history entry and its outbox row (columns of the `complaint` entity and
 * OUTBOX_COLUMNS), or nothing when a unique index refuses the case: `complaint_open_report` (an
 * open case of the same phone, category and address) or `complaint_idempotency`. Written out
 * rather than built by the query builder, which cost ~6 % of intake's CPU per case.
 */
const INSERT_CASE_SQL = `WITH created AS (
   INSERT INTO complaint (id, case_number, channel, type, category, community_name, city_code, district_code, street,
     building, unit, room, address_key, latitude, longitude, photo_ids, repeat_count, description, phone_enc, phone_hash,
     contact_name, named_company_id, indoor_temperature_c, days_without_heat, recorded_by, idempotency_key, status, received_at,
     updated_at)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24,
     $25, $26, $27, $28, $29)
   ON CONFLICT DO NOTHING
   RETURNING id),
 entry AS (INSERT INTO complaint_status_entry (complaint_id, status, text, at)
           SELECT id, $30, $31, $32 FROM created RETURNING id)
 INSERT INTO outbox_message (${OUTBOX_COLUMNS})
 SELECT $33, $34, $35, $36, $37 FROM entry RETURNING (SELECT id FROM entry) AS entry_id`;

function attachmentOwner(input: ComplaintInput, phoneHash: string): string {
  return input.recordedBy === 'resident' ? residentOwnerKey(phoneHash) : `operator:${input.recordedBy}`;
}
