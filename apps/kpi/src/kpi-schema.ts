import type { SchemaDefinition } from '#shared';
import { KpiCase, KpiEvent, KpiUnitLink, UnitMonth } from './events/kpi-entities.js';
import { KpiSchema1764400000400 } from './migrations/1764400000400-kpi-schema.js';
import { KpiReadModel1764400000410 } from './migrations/1764400000410-kpi-read-model.js';
import { Bulletins1764400000450 } from './migrations/1764400000450-bulletins.js';
import { Benchmark1764400000460 } from './migrations/1764400000460-benchmark.js';
import { DashboardWarnings1764400000470 } from './migrations/1764400000470-dashboard-warnings.js';

/** kpi's tables and migrations (the service, tools/kpi-rebuild.ts and the tests open the database with it). */
export const KPI_SCHEMA: SchemaDefinition = {
  entities: [KpiEvent, KpiCase, KpiUnitLink, UnitMonth],
  migrations: [KpiSchema1764400000400, KpiReadModel1764400000410, Bulletins1764400000450, Benchmark1764400000460, DashboardWarnings1764400000470],
};
