import { existsSync, readFileSync } from 'node:fs';
import { openDataSource, phoneVaultFor, readPhoneKeys } from '#shared';
import type { PhoneVault } from '#shared';
import type { DatabaseConfig, SchemaDefinition } from '#shared';
import type { DataSource } from 'typeorm';

/** What a maintenance command needs to open one service's database. */
export interface ServiceDatabaseOptions {
  /** The service whose database it is (the embedded data folder is DATA_DIR/<service>). */
  service: 'dispatch' | 'kpi';
  /** Environment variable with the production URL (DATABASE_URL is the fallback). */
  urlVariable: string;
  /** --embedded was given (or HEATING_MODE=embedded). */
  embedded: boolean;
  schema: SchemaDefinition;
  /** Printed after a usage error. */
  usage: string;
}

/** Exits with code 2 after the usage text. */
export function usageError(message: string, usage: string): never {
  process.stderr.write(`${message}\n\n${usage}\n`);
  process.exit(2);
}

/**
 * Opens a service's database for a command: production from the URL variable, embedded from the
 * suite's data folder (the suite must be stopped: PGlite allows one process per folder). Pending
 * migrations are applied first. Exits with code 2 on a usage error, 1 if it cannot be opened.
 */
export async function openServiceDatabase(o: ServiceDatabaseOptions): Promise<DataSource> {
  const url = process.env[o.urlVariable] || process.env.DATABASE_URL;
  const embedded = o.embedded || process.env.HEATING_MODE === 'embedded';
  let database: DatabaseConfig;
  if (embedded) database = { kind: 'pglite', dataDir: `${process.env.DATA_DIR ?? '.data'}/${o.service}` };
  // Two connections: migrations hold one for their lock and run on the other.
  else if (url && /^postgres(ql)?:\/\/.+/.test(url)) database = { kind: 'postgres', url, poolSize: 2 };
  else usageError(`${o.urlVariable} (or DATABASE_URL) must be a postgres:// URL, or pass --embedded`, o.usage);
  const where = database.kind === 'postgres' ? `the ${o.service} database` : `${database.dataDir} (is the embedded suite still running?)`;
  return openDataSource(database, o.schema, { phoneVault: commandPhoneVault(embedded) }).catch((error: unknown) => {
    process.stderr.write(`cannot open ${where}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

/**
 * The services' phone keys, for a pending migration that encrypts stored numbers: PHONE_KEYS /
 * PHONE_INDEX_KEY, else keys derived from AUTH_SECRET (or the embedded suite's secret file), as
 * the services derive them. None when neither is at hand: such a migration then says what to set.
 */
function commandPhoneVault(embedded: boolean): PhoneVault | undefined {
  const { settings } = readPhoneKeys(process.env);
  const secretFile = `${process.env.DATA_DIR ?? '.data'}/auth-secret`;
  const secret = process.env.AUTH_SECRET || (embedded && existsSync(secretFile) ? readFileSync(secretFile, 'utf8').trim() : undefined);
  if (!settings && !secret) return undefined;
  return phoneVaultFor(settings, secret ?? '');
}
