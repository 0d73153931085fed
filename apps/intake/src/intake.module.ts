import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { CoreModule, SMS_GATEWAY_PROVIDER, SmsMessage, SmsMessagesController, SmsSender, SmsPhonesAtRest1764400000070, SmsTables1764400000050, SmsTemplates1764400000060 } from '#shared';
import type { ServiceRuntime } from '#shared';
import { Attachment } from './attachments/attachment.entity.js';
import { AttachmentsController } from './attachments/attachments.controller.js';
import { AttachmentsService } from './attachments/attachments.service.js';
import { CaseNumberService } from './case-numbers/case-number.service.js';
import { Complaint } from './complaints/complaint.entity.js';
import { ComplaintsController } from './complaints/complaints.controller.js';
import { ComplaintsService } from './complaints/complaints.service.js';
import { IntakeSchema1764400000100 } from './migrations/1764400000100-intake-schema.js';
import { IntakeChannels1764400000110 } from './migrations/1764400000110-intake-channels.js';
import { CaseNumberSequence1764400000120 } from './migrations/1764400000120-case-number-sequence.js';
import { OpenReportUnique1764400000130 } from './migrations/1764400000130-open-report-unique.js';
import { PhonesAtRest1764400000140 } from './migrations/1764400000140-phones-at-rest.js';
import { CaseProgressConsumer } from './status/case-progress.consumer.js';
import { StatusEntry } from './status/status-entry.entity.js';
import { Open311Controller } from './open311/open311.controller.js';
import { PhoneVerification } from './verification/phone-verification.entity.js';
import { VerificationController } from './verification/verification.controller.js';
import { VerificationService } from './verification/verification.service.js';

export const INTAKE_DOCS = {
  title: '供热直通车 · 受理服务 intake',
  description:
    '话务员受理来电诉求；居民短信验证后通过网站/App 提交与查询诉求；照片上传；工单进度。错误统一为 {code, message, field?}。',
};

@Module({})
export class IntakeModule {
  static register(runtime: ServiceRuntime): DynamicModule {
    return {
      module: IntakeModule,
      imports: [
        CoreModule.forService(runtime, {
          entities: [Complaint, StatusEntry, Attachment, PhoneVerification, SmsMessage],
          migrations: [SmsTables1764400000050, SmsTemplates1764400000060, SmsPhonesAtRest1764400000070, IntakeSchema1764400000100, IntakeChannels1764400000110, CaseNumberSequence1764400000120, OpenReportUnique1764400000130, PhonesAtRest1764400000140],
        }),
      ],
      controllers: [ComplaintsController, CaseProgressConsumer, VerificationController, AttachmentsController, SmsMessagesController, Open311Controller],
      providers: [ComplaintsService, CaseNumberService, AttachmentsService, VerificationService, SMS_GATEWAY_PROVIDER, SmsSender],
    };
  }
}
