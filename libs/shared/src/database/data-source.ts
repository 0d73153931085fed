import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { DataSource } from 'typeorm';
import type { MixedList, EntitySchema } from 'typeorm';
import type { DatabaseConfig } from '../config/service-config.js';
import { MessagingRetention1764400000900 } from '../messaging/housekeeping.js';
import { MessagingTables1764400000000 } from '../messaging/messaging-tables.migration.js';
import { OutboxPhonesSealed1764400000910 } from '../messaging/outbox/outbox-phones-sealed.migration.js';
import { attachPhoneVault } from '../phone/phone-vault.js';
import type { PhoneVault } from '../phone/phone-vault.js';

export interface SchemaDefinition {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  /** The service's own migrations, in order; the messaging tables migration is prepended, retention and outbox sealing appended. */
  migrations: Array<new () => unknown>;
}

export interface OpenOptions {
  /** For migrations that encrypt phone numbers already stored (phoneVaultOf). */
  phoneVault?: PhoneVault;
}

/**
 * Opens the service's database (PostgreSQL, or PGlite in its own data folder in embedded mode)
 * and applies pending migrations. Never `synchronize`.
 */
export async function openDataSource(config: DatabaseConfig, schema: SchemaDefinition, options: OpenOptions = {}): Promise<DataSource> {
  const common = {
    type: 'postgres' as const,
    entities: schema.entities,
    migrations: [MessagingTables1764400000000, ...schema.migrations, MessagingRetention1764400000900, OutboxPhonesSealed1764400000910] as Array<new () => never>,
    migrationsTableName: 'schema_migration',
    synchronize: false,
    logging: false,
  };
  let dataSource: DataSource;
  if (config.kind === 'postgres') {
    dataSource = new DataSource({
      ...common,
      url: config.url,
      poolSize: config.poolSize,
      connectTimeoutMS: 5_000,
      extra: { idleTimeoutMillis: 30_000 },
    });
  } else {
    mkdirSync(config.dataDir, { recursive: true });
    const pglite = new PGlite(config.dataDir, { extensions: { pg_trgm } });
    const pg = createPgConfig(pglite);
    dataSource = new DataSource({
      ...common,
      host: pg.host,
      port: pg.port,
      username: pg.user,
      password: pg.password,
      database: pg.database,
      // PGlite is a single session: one connection, so transactions stay isolated by serialising.
      poolSize: 1,
      extra: { connection: pg.connection },
    });
    const destroy = dataSource.destroy.bind(dataSource);
    dataSource.destroy = async () => {
      await destroy();
      await pglite.close();
    };
  }
  if (options.phoneVault) attachPhoneVault(dataSource, options.phoneVault);
  await dataSource.initialize();
  try {
    // PGlite has one connection and one process per folder: no lock needed (nor possible).
    if (config.kind === 'postgres') await migrateExclusively(dataSource);
    else await dataSource.runMigrations({ transaction: 'each' });
  } catch (error) {
    await dataSource.destroy().catch(() => undefined);
    throw error;
  }
  return dataSource;
}

/** Replicas starting together take turns: a session advisory lock around the migrations. */
async function migrateExclusively(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

const MIGRATION_LOCK_KEY = 7_401_120_261;
