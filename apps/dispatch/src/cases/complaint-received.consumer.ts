import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Inbox } from '#shared';
import type { ComplaintReceivedV1, EventEnvelope } from '#shared';
import { WebhookDispatcher } from '../webhooks/webhook-dispatcher.js';
import { CaseDispatcher } from './case-dispatcher.service.js';

@Controller()
export class ComplaintReceivedConsumer {
  constructor(
    private readonly inbox: Inbox,
    private readonly dispatcher: CaseDispatcher,
    private readonly webhooks: WebhookDispatcher,
  ) {}

  @EventPattern('complaint.received')
  async onComplaintReceived(@Payload() env: EventEnvelope<ComplaintReceivedV1>): Promise<void> {
    let webhookQueued = false;
    await this.inbox.once(env, async (em) => {
      webhookQueued = await this.dispatcher.dispatch(em, env.payload);
    });
    if (webhookQueued) this.webhooks.kick();
  }
}
