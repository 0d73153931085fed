import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Inbox } from '#shared';
import type { EventEnvelope, SurveyRatedV1 } from '#shared';
import { BadRatingsService } from './bad-ratings.service.js';

@Controller()
export class SurveyRatedConsumer {
  constructor(
    private readonly inbox: Inbox,
    private readonly badRatings: BadRatingsService,
  ) {}

  /** A 不满意 rating opens the company's callback task. */
  @EventPattern('survey.rated')
  async onRated(@Payload() env: EventEnvelope<SurveyRatedV1>): Promise<void> {
    await this.inbox.once(env, (em) => this.badRatings.onRated(em, env.payload));
  }
}
