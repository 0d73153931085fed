import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { CoreModule } from '#shared';
import type { ServiceRuntime } from '#shared';
import { CaseNumberService } from './case-numbers/case-number.service.js';
import { Complaint } from './complaints/complaint.entity.js';
import { ComplaintsController } from './complaints/complaints.controller.js';
import { ComplaintsService } from './complaints/complaints.service.js';
import { IntakeSchema1764400000100 } from './migrations/1764400000100-intake-schema.js';
import { CaseProgressConsumer } from './status/case-progress.consumer.js';
import { StatusEntry } from './status/status-entry.entity.js';

export const INTAKE_DOCS = {
  title: '供热直通车 · 受理服务 intake',
  description: '话务员受理来电诉求、查询工单进度。错误统一为 {code, message, field?}。',
};

@Module({})
export class IntakeModule {
  static register(runtime: ServiceRuntime): DynamicModule {
    return {
      module: IntakeModule,
      imports: [CoreModule.forService(runtime, { entities: [Complaint, StatusEntry], migrations: [IntakeSchema1764400000100] })],
      controllers: [ComplaintsController, CaseProgressConsumer],
      providers: [ComplaintsService, CaseNumberService],
    };
  }
}
