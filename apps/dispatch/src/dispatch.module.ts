import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { CoreModule, SMS_GATEWAY_PROVIDER, SmsMessagesController, SmsSender } from '#shared';
import type { ServiceRuntime } from '#shared';
import { UnitScopes } from './access/unit-scope.js';
import { BadRatingsController } from './bad-ratings/bad-ratings.controller.js';
import { BadRatingsService } from './bad-ratings/bad-ratings.service.js';
import { SurveyRatedConsumer } from './bad-ratings/survey-rated.consumer.js';
import { AuthorityCasesController } from './cases/authority-cases.controller.js';
import { AuthorityCasesService } from './cases/authority-cases.service.js';
import { CaseAccess } from './cases/case-access.js';
import { CaseAssignment } from './cases/case-assignment.js';
import { CaseDispatcher } from './cases/case-dispatcher.service.js';
import { CompanyNotifier } from './cases/company-notifier.js';
import { CompanyCasesController } from './cases/company-cases.controller.js';
import { CompanyCasesService } from './cases/company-cases.service.js';
import { ComplaintReceivedConsumer } from './cases/complaint-received.consumer.js';
import { DISPATCH_SCHEMA } from './dispatch-schema.js';
import { DeadlineMonitor } from './deadlines/deadline-monitor.js';
import { IncidentsController } from './incidents/incidents.controller.js';
import { IncidentsService } from './incidents/incidents.service.js';
import { RegistryIoController } from './registry/io/registry-io.controller.js';
import { RegistryIoService } from './registry/io/registry-io.service.js';
import { RegistrySeeder } from './registry/registry.seeder.js';
import { CommunityIndexHolder } from './routing/community-index.holder.js';
import { WebhookDeliveriesController } from './webhooks/webhook-deliveries.controller.js';
import { WebhookDeliveries } from './webhooks/webhook-deliveries.service.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { WebhookEndpoints } from './webhooks/webhook-endpoints.js';
import { WebhookOutbox } from './webhooks/webhook-outbox.js';
import { webhookSettingsProvider } from './webhooks/webhook-settings.js';
import { WebhookSettingsController } from './webhooks/webhook-settings.controller.js';

export const DISPATCH_DOCS = {
  title: '供热直通车 · 分转服务 dispatch',
  description:
    '工单直达责任企业：企业签收、联系、退回、延期、上报、测温单反馈办结；主管单位人工分转、裁定退回与延期、调整类别、督办；办理时限提醒与超期；企业回调地址（Standard Webhooks 签名）。错误统一为 {code, message, field?}。',
};

@Module({})
export class DispatchModule {
  static register(runtime: ServiceRuntime): DynamicModule {
    return {
      module: DispatchModule,
      imports: [
        CoreModule.forService(runtime, DISPATCH_SCHEMA),
      ],
      controllers: [ComplaintReceivedConsumer, SurveyRatedConsumer, BadRatingsController, CompanyCasesController, AuthorityCasesController, IncidentsController, SmsMessagesController, WebhookSettingsController, WebhookDeliveriesController, RegistryIoController],
      providers: [
        RegistrySeeder,
        UnitScopes,
        CaseAccess,
        CompanyNotifier,
        CaseAssignment,
        CommunityIndexHolder,
        CaseDispatcher,
        CompanyCasesService,
        AuthorityCasesService,
        DeadlineMonitor,
        IncidentsService,
        BadRatingsService,
        SMS_GATEWAY_PROVIDER,
        SmsSender,
        webhookSettingsProvider,
        WebhookEndpoints,
        WebhookDispatcher,
        WebhookOutbox,
        WebhookDeliveries,
        RegistryIoService,
      ],
      exports: [WebhookDispatcher, DeadlineMonitor],
    };
  }
}
