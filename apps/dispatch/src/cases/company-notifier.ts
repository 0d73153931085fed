import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { PHONE_VAULT } from '#shared';
import type { PhoneVault } from '#shared';
import { casePhone } from './case-phone.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.js';
import type { DispatchCase } from './dispatch-case.entity.js';

/** What a company's duty system is told about its cases (webhook `type`). */
export type CompanyEventType =
  | 'case.dispatched'
  | 'case.reminder'
  | 'case.overdue'
  | 'case.return_decided'
  | 'case.extension_decided'
  | 'case.regraded'
  | 'case.supervision';

/**
 * Tells the handling company about its case by webhook, queued in the caller's transaction (so a
 * case change and its notice commit together); a company without an endpoint works from the pull API.
 */
@Injectable()
export class CompanyNotifier {
  constructor(
    private readonly webhooks: WebhookOutbox,
    @Inject(PHONE_VAULT) private readonly vault: PhoneVault,
  ) {}

  /** The case as the handling company receives it, with the resident's number opened. */
  caseFor(c: DispatchCase): Record<string, unknown> {
    return caseForCompany(c, casePhone(this.vault, c));
  }

  /** Returns whether a delivery was queued; it goes out once the caller's transaction commits. */
  async notify(em: EntityManager, companyId: string, caseId: string, type: CompanyEventType, data: Record<string, unknown>): Promise<boolean> {
    return (await this.webhooks.queue(em, { companyId, caseId, type, data })).queued;
  }
}

/** The case as the handling company receives it (full phone: the company calls the resident; `phone` is the opened number). */
export function caseForCompany(c: DispatchCase, phone: string): Record<string, unknown> {
  return {
    caseId: c.id,
    caseNumber: c.caseNumber,
    category: c.category,
    complexity: c.complexity,
    communityName: c.communityName,
    address: c.address,
    description: c.description,
    phone,
    contactName: c.contactName,
    indoorTemperatureC: c.indoorTemperatureC,
    daysWithoutHeat: c.daysWithoutHeat,
    dispatchedAt: c.dispatchedAt?.toISOString() ?? null,
    dueAt: c.dueAt?.toISOString() ?? null,
  };
}
