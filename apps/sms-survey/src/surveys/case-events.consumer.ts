import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Inbox, normalizeMainlandMobile, PHONE_VAULT } from '#shared';
import type { CaseClosedV1, ComplaintReceivedV1, EventEnvelope, PhoneVault, SurveyRequestedV1 } from '#shared';
import { CaseContact } from '../contacts/case-contact.entity.js';
import { SmsSender } from '#shared';
import { SurveysService } from './surveys.service.js';

@Controller()
export class CaseEventsConsumer {
  constructor(
    private readonly inbox: Inbox,
    private readonly surveys: SurveysService,
    private readonly sms: SmsSender,
    @Inject(PHONE_VAULT) private readonly vault: PhoneVault,
  ) {}

  /** Remembers whom to ask once the case closes (the number sealed, with its blind index). */
  @EventPattern('complaint.received')
  async onComplaintReceived(@Payload() env: EventEnvelope<ComplaintReceivedV1>): Promise<void> {
    const p = env.payload;
    const phone = normalizeMainlandMobile(p.phone) ?? p.phone;
    await this.inbox.once(env, async (em) => {
      await em.upsert(CaseContact, { caseId: p.caseId, caseNumber: p.caseNumber, phoneEnc: this.vault.seal(phone), phoneHash: this.vault.hash(phone) }, ['caseId']);
    });
  }

  @EventPattern('case.closed')
  async onCaseClosed(@Payload() env: EventEnvelope<CaseClosedV1>): Promise<void> {
    await this.inbox.once(env, (em) => this.surveys.onCaseClosed(em, env.payload));
    this.sms.kick();
  }

  /** After a rectification: the resident is asked again, in the case's next survey round. */
  @EventPattern('survey.requested')
  async onSurveyRequested(@Payload() env: EventEnvelope<SurveyRequestedV1>): Promise<void> {
    await this.inbox.once(env, async (em) => {
      await this.surveys.onSurveyRequested(em, env.payload);
    });
    this.sms.kick();
  }
}
