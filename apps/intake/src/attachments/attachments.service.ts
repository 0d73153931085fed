import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { fileTypeFromBuffer } from 'file-type';
import { DataSource, In } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { AppError, CLOCK, PHONE_VAULT, PhoneVault } from '#shared';
import type { Clock, Principal } from '#shared';
import { Complaint } from '../complaints/complaint.entity.js';
import { Attachment } from './attachment.entity.js';

export const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;

/** A resident's uploads are theirs by the blind index of their number (the number itself is never stored in clear). */
export function residentOwnerKey(phoneHash: string): string {
  return `resident:${phoneHash}`;
}

@Injectable()
export class AttachmentsService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PHONE_VAULT) private readonly vault: PhoneVault,
  ) {}

  /** Who owns an upload: `resident:<phone hash>`, or `<role>:<id>` for staff. */
  ownerKeyOf(principal: Principal): string {
    return principal.role === 'resident' ? residentOwnerKey(this.vault.hash(principal.phone ?? '')) : `${principal.role}:${principal.sub}`;
  }

  /** Stores a photo after checking what the bytes really are (not what the client says). */
  async upload(principal: Principal, body: unknown): Promise<{ id: string; contentType: string; size: number }> {
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw new AppError('PHOTO_REQUIRED', `请以请求体上传照片，Content-Type 为 ${PHOTO_TYPES.join('、')} 之一，最大 5 MB`, 400, 'body');
    }
    const detected = await fileTypeFromBuffer(body);
    if (!detected || !(PHOTO_TYPES as readonly string[]).includes(detected.mime)) {
      throw new AppError('UNSUPPORTED_PHOTO', '只接受 JPEG、PNG 或 WebP 格式的照片', 415, 'body');
    }
    const id = randomUUID();
    await this.dataSource.getRepository(Attachment).insert({
      id, contentType: detected.mime, size: body.length, data: body, ownerKey: this.ownerKeyOf(principal), complaintId: null, createdAt: this.clock.now(),
    });
    return { id, contentType: detected.mime, size: body.length };
  }

  /** Ties uploaded photos to a new complaint inside its transaction; each photo is used once, by its uploader. */
  async attach(em: EntityManager, photoIds: string[], ownerKey: string, complaintId: string): Promise<void> {
    if (photoIds.length === 0) return;
    const unique = [...new Set(photoIds)];
    const rows = await em.find(Attachment, { where: { id: In(unique) }, lock: { mode: 'pessimistic_write' } });
    const usable = rows.filter((r) => r.ownerKey === ownerKey && r.complaintId === null);
    if (usable.length !== unique.length) {
      throw new AppError('PHOTO_NOT_FOUND', '照片编号（photoIds）不存在、不是您上传的，或已用于其他工单', 400, 'photoIds');
    }
    await em.update(Attachment, { id: In(unique) }, { complaintId });
  }

  /** The uploader, operators, the province and the company handling the case may see a photo. */
  async read(principal: Principal, id: string): Promise<{ contentType: string; data: Buffer }> {
    const row = await this.dataSource
      .getRepository(Attachment)
      .createQueryBuilder('a')
      .addSelect('a.data')
      .where('a.id = :id', { id })
      .getOne();
    const notFound = new AppError('PHOTO_NOT_FOUND', '照片不存在或无权查看', 404, 'id');
    if (!row) throw notFound;
    if (principal.role === 'operator' || principal.role === 'province' || row.ownerKey === this.ownerKeyOf(principal)) return row;
    if (principal.role === 'company' && row.complaintId) {
      const complaint = await this.dataSource.getRepository(Complaint).findOneBy({ id: row.complaintId });
      if (complaint?.companyId && complaint.companyId === principal.unitId) return row;
    }
    throw notFound;
  }
}
