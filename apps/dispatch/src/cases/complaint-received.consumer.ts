import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Inbox } from '#shared';
import type { ComplaintReceivedV1, EventEnvelope } from '#shared';
import { CaseDispatcher } from './case-dispatcher.service.js';

@Controller()
export class ComplaintReceivedConsumer {
  constructor(
    private readonly inbox: Inbox,
    private readonly dispatcher: CaseDispatcher,
  ) {}

  /** Routes the case in the inbox transaction; its webhook goes out after commit. */
  @EventPattern('complaint.received')
  async onComplaintReceived(@Payload() env: EventEnvelope<ComplaintReceivedV1>): Promise<void> {
    await this.inbox.once(env, async (em) => {
      await this.dispatcher.dispatch(em, env.payload);
    });
  }
}
