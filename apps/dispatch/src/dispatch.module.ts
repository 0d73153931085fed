import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { CoreModule, SMS_GATEWAY_PROVIDER, SmsMessage, SmsMessagesController, SmsSender, SmsTables1764400000050, SmsTemplates1764400000060 } from '#shared';
import type { ServiceRuntime } from '#shared';
import { UnitScopes } from './access/unit-scope.js';
import { BadRating, SpotCheck } from './bad-ratings/bad-rating.entity.js';
import { BadRatingsController } from './bad-ratings/bad-ratings.controller.js';
import { BadRatingsService } from './bad-ratings/bad-ratings.service.js';
import { SurveyRatedConsumer } from './bad-ratings/survey-rated.consumer.js';
import { AuthorityCasesController } from './cases/authority-cases.controller.js';
import { AuthorityCasesService } from './cases/authority-cases.service.js';
import { CaseAccess } from './cases/case-access.js';
import { CaseAssignment } from './cases/case-assignment.js';
import { CaseDispatcher } from './cases/case-dispatcher.service.js';
import { CaseAction, CaseRequest, EvidencePhoto } from './cases/case-records.entity.js';
import { CompanyNotifier } from './cases/company-notifier.js';
import { CompanyCasesController } from './cases/company-cases.controller.js';
import { CompanyCasesService } from './cases/company-cases.service.js';
import { ComplaintReceivedConsumer } from './cases/complaint-received.consumer.js';
import { DispatchCase } from './cases/dispatch-case.entity.js';
import { DeadlineMonitor } from './deadlines/deadline-monitor.js';
import { IncidentCase, IncidentResident, OutageIncident } from './incidents/incident.entity.js';
import { IncidentsController } from './incidents/incidents.controller.js';
import { IncidentsService } from './incidents/incidents.service.js';
import { DispatchSchema1764400000200 } from './migrations/1764400000200-dispatch-schema.js';
import { CaseWorkflow1764400000210 } from './migrations/1764400000210-case-workflow.js';
import { OutageIncidents1764400000240 } from './migrations/1764400000240-outage-incidents.js';
import { BadRatings1764400000250 } from './migrations/1764400000250-bad-ratings.js';
import { WebhookHardening1764400000230 } from './migrations/1764400000230-webhook-hardening.js';
import { RegistryIoController } from './registry/io/registry-io.controller.js';
import { RegistryIoService } from './registry/io/registry-io.service.js';
import { Authority, Community, Company, Station } from './registry/registry.entities.js';
import { RegistrySeeder } from './registry/registry.seeder.js';
import { CommunityIndexHolder } from './routing/community-index.holder.js';
import { WebhookDeliveriesController } from './webhooks/webhook-deliveries.controller.js';
import { WebhookDeliveries } from './webhooks/webhook-deliveries.service.js';
import { WebhookAttempt, WebhookDelivery } from './webhooks/webhook-delivery.entity.js';
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
        CoreModule.forService(runtime, {
          entities: [Authority, Company, Station, Community, DispatchCase, CaseAction, CaseRequest, EvidencePhoto, OutageIncident, IncidentCase, IncidentResident, BadRating, SpotCheck, SmsMessage, WebhookDelivery, WebhookAttempt],
          migrations: [SmsTables1764400000050, SmsTemplates1764400000060, DispatchSchema1764400000200, CaseWorkflow1764400000210, WebhookHardening1764400000230, OutageIncidents1764400000240, BadRatings1764400000250],
        }),
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
