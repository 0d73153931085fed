/*
 * Rebuilds kpi's read model (kpi_case, unit_month, kpi_unit_link) from its event store kpi_event,
 * in one transaction, with the same projection as the running service (`npm run kpi:rebuild`).
 * Production: the kpi database from KPI_DATABASE_URL or DATABASE_URL. Embedded: --embedded (or
 * HEATING_MODE=embedded) opens DATA_DIR/kpi (default .data/kpi); stop the embedded suite first,
 * PGlite allows one process per data folder. Pending migrations are applied first.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { KPI_SCHEMA } from '../apps/kpi/src/kpi-schema.js';
import { rebuildReadModel } from '../apps/kpi/src/rebuild/kpi-rebuilder.js';
import { openServiceDatabase } from './support/service-database.js';

const USAGE = `Usage: npm run kpi:rebuild [-- --embedded]

  KPI_DATABASE_URL=postgres://… npm run kpi:rebuild    the production kpi database (or DATABASE_URL)
  npm run kpi:rebuild -- --embedded                    the embedded suite's data folder (DATA_DIR, default .data), suite stopped`;

const { values } = parseArgs({ options: { embedded: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const dataSource = await openServiceDatabase({ service: 'kpi', urlVariable: 'KPI_DATABASE_URL', embedded: values.embedded === true, schema: KPI_SCHEMA, usage: USAGE });
try {
  const result = await dataSource.transaction('REPEATABLE READ', (em) => rebuildReadModel(em));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  process.stderr.write(`kpi rebuild failed, nothing changed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await dataSource.destroy();
}
