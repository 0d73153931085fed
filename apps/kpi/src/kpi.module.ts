import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { CoreModule } from '#shared';
import type { ServiceRuntime } from '#shared';
import { KpiAccess } from './access/kpi-scope.js';
import { KpiEventsConsumer } from './events/kpi-events.consumer.js';
import { KpiProjector } from './events/kpi-projector.js';
import { IndicatorsController } from './indicators/indicators.controller.js';
import { KPI_SETTINGS, readKpiSettings } from './kpi-settings.js';
import { KPI_SCHEMA } from './kpi-schema.js';
import { BulletinsModule } from './bulletins/bulletins.module.js';
import { BenchmarkModule } from './benchmark/benchmark.module.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { RankingsController } from './rankings/rankings.controller.js';
import { KpiRebuilder } from './rebuild/kpi-rebuilder.js';
import { RebuildController } from './rebuild/rebuild.controller.js';

export const KPI_DOCS = {
  title: '供热直通车 · 考核服务 kpi',
  description:
    '按月统计企业、主管单位、城市的五项指标（反馈率、办件天数、按时分转率、办结率、满意率），排名与红黑榜；全部数字可由事件存档重算。监测预警大屏见 /dashboard（实时推送、预警与确认）。错误统一为 {code, message, field?}。',
};

@Module({})
export class KpiModule {
  static register(runtime: ServiceRuntime): DynamicModule {
    const settings = readKpiSettings(process.env, runtime.config.mode);
    return {
      module: KpiModule,
      imports: [
        CoreModule.forService(runtime, KPI_SCHEMA),
        BulletinsModule,
        BenchmarkModule,
        DashboardModule.register(settings.dashboard),
      ],
      controllers: [KpiEventsConsumer, IndicatorsController, RankingsController, RebuildController],
      providers: [KpiProjector, KpiRebuilder, KpiAccess, { provide: KPI_SETTINGS, useValue: settings }],
    };
  }
}
