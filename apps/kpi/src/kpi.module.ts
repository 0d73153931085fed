import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { CoreModule } from '#shared';
import type { ServiceRuntime } from '#shared';
import { KpiCase, KpiEvent, UnitMonth } from './events/kpi-entities.js';
import { KpiEventsConsumer } from './events/kpi-events.consumer.js';
import { KpiProjector } from './events/kpi-projector.js';
import { IndicatorsController } from './indicators/indicators.controller.js';
import { KpiSchema1764400000400 } from './migrations/1764400000400-kpi-schema.js';

export const KPI_DOCS = {
  title: '供热直通车 · 考核服务 kpi',
  description: '按月统计企业、主管单位、城市的五项指标（反馈率、办件天数、按时分转率、办结率、满意率）。错误统一为 {code, message, field?}。',
};

@Module({})
export class KpiModule {
  static register(runtime: ServiceRuntime): DynamicModule {
    return {
      module: KpiModule,
      imports: [CoreModule.forService(runtime, { entities: [KpiEvent, KpiCase, UnitMonth], migrations: [KpiSchema1764400000400] })],
      controllers: [KpiEventsConsumer, IndicatorsController],
      providers: [KpiProjector],
    };
  }
}
