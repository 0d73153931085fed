import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { CoreModule } from '#shared';
import type { ServiceRuntime } from '#shared';
import { UnitScopes } from './access/unit-scope.js';
import { CaseDispatcher } from './cases/case-dispatcher.service.js';
import { CompanyCasesController } from './cases/company-cases.controller.js';
import { CompanyCasesService } from './cases/company-cases.service.js';
import { ComplaintReceivedConsumer } from './cases/complaint-received.consumer.js';
import { DispatchCase } from './cases/dispatch-case.entity.js';
import { DispatchSchema1764400000200 } from './migrations/1764400000200-dispatch-schema.js';
import { Authority, Community, Company, Station } from './registry/registry.entities.js';
import { RegistrySeeder } from './registry/registry.seeder.js';
import { WebhookAttempt, WebhookDelivery } from './webhooks/webhook-delivery.entity.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { WebhookSettingsController } from './webhooks/webhook-settings.controller.js';

export const DISPATCH_DOCS = {
  title: '供热直通车 · 分转服务 dispatch',
  description: '工单直达责任企业：企业签收、反馈办结；企业回调地址（Standard Webhooks 签名）。错误统一为 {code, message, field?}。',
};

@Module({})
export class DispatchModule {
  static register(runtime: ServiceRuntime): DynamicModule {
    return {
      module: DispatchModule,
      imports: [
        CoreModule.forService(runtime, {
          entities: [Authority, Company, Station, Community, DispatchCase, WebhookDelivery, WebhookAttempt],
          migrations: [DispatchSchema1764400000200],
        }),
      ],
      controllers: [ComplaintReceivedConsumer, CompanyCasesController, WebhookSettingsController],
      providers: [RegistrySeeder, UnitScopes, CaseDispatcher, CompanyCasesService, WebhookDispatcher],
      exports: [WebhookDispatcher],
    };
  }
}
