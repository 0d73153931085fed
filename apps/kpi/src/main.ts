import 'reflect-metadata';
import { runProductionService } from '#shared';
import { KPI_DOCS, KpiModule } from './kpi.module.js';

await runProductionService('kpi', (runtime) => KpiModule.register(runtime), KPI_DOCS);
