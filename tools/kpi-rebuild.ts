/*
 * Rebuilds kpi's read model (kpi_case, unit_month, kpi_unit_link) from its event store kpi_event,
 * in one transaction, with the same projection as the running service (`npm run kpi:rebuild`).
 * Production: the kpi database from KPI_DATABASE_URL or DATABASE_URL. Embedded: --embedded (or
 * HEATING_MODE=embedded) opens DATA_DIR/kpi (default .data/kpi); stop the embedded suite first,
 * PGlite allows one process per data folder. Pending migrations are applied first.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { openDataSource } from '#shared';
import type { DatabaseConfig } from '#shared';
import { KPI_SCHEMA } from '../apps/kpi/src/kpi-schema.js';
import { rebuildReadModel } from '../apps/kpi/src/rebuild/kpi-rebuilder.js';

const USAGE = `Usage: npm run kpi:rebuild [-- --embedded]

  KPI_DATABASE_URL=postgres://… npm run kpi:rebuild    the production kpi database (or DATABASE_URL)
  npm run kpi:rebuild -- --embedded                    the embedded suite's data folder (DATA_DIR, default .data), suite stopped`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

const { values } = parseArgs({ options: { embedded: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const url = process.env.KPI_DATABASE_URL ?? process.env.DATABASE_URL;
const embedded = values.embedded === true || process.env.HEATING_MODE === 'embedded';
let database: DatabaseConfig;
if (embedded) database = { kind: 'pglite', dataDir: `${process.env.DATA_DIR ?? '.data'}/kpi` };
else if (url && /^postgres(ql)?:\/\/.+/.test(url)) database = { kind: 'postgres', url, poolSize: 2 }; // migrations take one connection for their lock and run on another
else fail('KPI_DATABASE_URL (or DATABASE_URL) must be a postgres:// URL, or pass --embedded');

const where = database.kind === 'postgres' ? 'the kpi database' : `${database.dataDir} (is the embedded suite still running?)`;
const dataSource = await openDataSource(database, KPI_SCHEMA).catch((error: unknown) => {
  process.stderr.write(`cannot open ${where}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
try {
  const result = await dataSource.transaction('REPEATABLE READ', (em) => rebuildReadModel(em));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  process.stderr.write(`kpi rebuild failed, nothing changed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await dataSource.destroy();
}
