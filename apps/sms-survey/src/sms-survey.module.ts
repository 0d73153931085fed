import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { ConsoleSmsGateway, CoreModule, SMS_GATEWAY, SmsMessage, SmsMessagesController, SmsSender, SmsTables1764400000050 } from '#shared';
import type { ServiceRuntime } from '#shared';
import { CaseContact } from './contacts/case-contact.entity.js';
import { SmsSurveySchema1764400000300 } from './migrations/1764400000300-sms-survey-schema.js';
import { ConsoleRepliesController } from './replies/console-replies.controller.js';
import { CaseEventsConsumer } from './surveys/case-events.consumer.js';
import { SurveyExpiry } from './surveys/survey-expiry.js';
import { Survey } from './surveys/survey.entity.js';
import { SurveysService } from './surveys/surveys.service.js';

export const SMS_SURVEY_DOCS = {
  title: '供热直通车 · 短信评价服务 sms-survey',
  description: '办结工单短信评价、居民回复解析。错误统一为 {code, message, field?}。',
};

@Module({})
export class SmsSurveyModule {
  static register(runtime: ServiceRuntime): DynamicModule {
    return {
      module: SmsSurveyModule,
      imports: [
        CoreModule.forService(runtime, {
          entities: [CaseContact, Survey, SmsMessage],
          migrations: [SmsTables1764400000050, SmsSurveySchema1764400000300],
        }),
      ],
      controllers: [CaseEventsConsumer, ConsoleRepliesController, SmsMessagesController],
      providers: [{ provide: SMS_GATEWAY, useClass: ConsoleSmsGateway }, SmsSender, SurveysService, SurveyExpiry],
    };
  }
}
