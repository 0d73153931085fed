import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { CoreModule, SMS_GATEWAY_PROVIDER, SmsMessage, SmsMessagesController, SmsPhonesAtRest1764400000070, SmsSender, SmsTables1764400000050, SmsTemplates1764400000060 } from '#shared';
import type { ServiceRuntime } from '#shared';
import { CallbackAuth } from './callbacks/callback-auth.js';
import { CallbackBodyErrors } from './callbacks/callback-body-errors.js';
import { InboundRepliesService } from './callbacks/inbound-replies.service.js';
import { SmsCallbacksController } from './callbacks/sms-callbacks.controller.js';
import { SmsInboundReceipt } from './callbacks/sms-inbound-receipt.entity.js';
import { CaseContact } from './contacts/case-contact.entity.js';
import { SmsSurveySchema1764400000300 } from './migrations/1764400000300-sms-survey-schema.js';
import { SmsInbound1764400000310 } from './migrations/1764400000310-sms-inbound.js';
import { SurveyReplies1764400000320 } from './migrations/1764400000320-survey-replies.js';
import { SurveyRounds1764400000330 } from './migrations/1764400000330-survey-rounds.js';
import { PhonesAtRest1764400000340 } from './migrations/1764400000340-phones-at-rest.js';
import { ConsoleRepliesController } from './replies/console-replies.controller.js';
import { ReplyHandler } from './replies/reply-handler.js';
import { SmsOptOut } from './replies/sms-opt-out.entity.js';
import { CaseEventsConsumer } from './surveys/case-events.consumer.js';
import { SurveyExpiry } from './surveys/survey-expiry.js';
import { Survey } from './surveys/survey.entity.js';
import { SurveysService } from './surveys/surveys.service.js';
import { SurveyLifecycle } from './surveys/survey-lifecycle.js';
import { SurveyLink } from './web-rating/survey-link.entity.js';
import { SurveyLinks } from './web-rating/survey-links.js';
import { WebRatingController } from './web-rating/web-rating.controller.js';
import { WebRatingService } from './web-rating/web-rating.service.js';

export const SMS_SURVEY_DOCS = {
  title: '供热直通车 · 短信评价服务 sms-survey',
  description: '办结工单短信评价（差评整改后再次评价）、居民回复解析。错误统一为 {code, message, field?}。',
};

@Module({})
export class SmsSurveyModule {
  static register(runtime: ServiceRuntime): DynamicModule {
    return {
      module: SmsSurveyModule,
      imports: [
        CoreModule.forService(runtime, {
          entities: [CaseContact, Survey, SmsMessage, SmsOptOut, SurveyLink, SmsInboundReceipt],
          migrations: [
            SmsTables1764400000050,
            SmsTemplates1764400000060,
            SmsPhonesAtRest1764400000070,
            SmsSurveySchema1764400000300,
            SmsInbound1764400000310,
            SurveyReplies1764400000320,
            SurveyRounds1764400000330,
            PhonesAtRest1764400000340,
          ],
        }),
      ],
      controllers: [CaseEventsConsumer, ConsoleRepliesController, SmsMessagesController, WebRatingController, SmsCallbacksController],
      providers: [SMS_GATEWAY_PROVIDER, SmsSender, SurveysService, SurveyExpiry, SurveyLifecycle, ReplyHandler, SurveyLinks, WebRatingService, CallbackAuth, InboundRepliesService, CallbackBodyErrors],
    };
  }
}
