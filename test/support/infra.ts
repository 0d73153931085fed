import { execFileSync } from 'node:child_process';
import type { INestApplication } from '@nestjs/common';
import pg from 'pg';
import { loadServiceConfig, RmqConnection, SERVICE_NAMES, systemClock, TokenService } from '#shared';
import type { Clock, ServiceName } from '#shared';
import { startServices } from '../../apps/embedded/src/suite.js';

/*
 * The infrastructure suite runs the services against the machine's real PostgreSQL and RabbitMQ.
 * Each suite gets its own databases and its own RabbitMQ vhost, created here and dropped after.
 */

export const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const AMQP_URL = (process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672').replace(/\/$/, '');
const AMQP_USER = new URL(AMQP_URL).username || 'guest';

export const TEST_SECRET = 'infra-suite-secret-0123456789-abcdefghijkl';

export function rabbitmqctl(...args: string[]): string {
  try {
    return execFileSync('rabbitmqctl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  } catch (error) {
    throw new Error(`rabbitmqctl ${args.join(' ')} failed (the infra suite needs rabbitmqctl on PATH, run as root): ${(error as Error).message}`);
  }
}

export async function createVhost(vhost: string): Promise<string> {
  rabbitmqctl('add_vhost', vhost);
  rabbitmqctl('set_permissions', '-p', vhost, AMQP_USER, '.*', '.*', '.*');
  return `${AMQP_URL}/${encodeURIComponent(vhost)}`;
}

export function deleteVhost(vhost: string): void {
  try {
    rabbitmqctl('delete_vhost', vhost);
  } catch {
    // already gone
  }
}

/** Drops and creates a database; returns its URL. */
export async function freshDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export interface InfraSuite {
  urls: Record<ServiceName, string>;
  apps: Record<ServiceName, INestApplication>;
  tokens: TokenService;
  connections: Record<ServiceName, RmqConnection>;
  databaseUrls: Record<ServiceName, string>;
  /** Runs SQL in one service's database (for assertions only). */
  query<T = any>(service: ServiceName, sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** The four services, each with its own RabbitMQ connection and database, as in production. */
export async function startInfraSuite(name: string, options: { clock?: Clock; env?: NodeJS.ProcessEnv } = {}): Promise<InfraSuite> {
  const tag = `heating_${name}_${process.pid}`;
  const amqpUrl = await createVhost(tag);
  const databaseUrls = {} as Record<ServiceName, string>;
  for (const service of SERVICE_NAMES) databaseUrls[service] = await freshDatabase(`${tag}_${service.replace('-', '_')}`);
  const env: NodeJS.ProcessEnv = {
    HEATING_MODE: 'production',
    AMQP_URL: amqpUrl,
    AUTH_SECRET: TEST_SECRET,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    MESSAGE_RETRY_DELAYS_MS: '200,500',
    OUTBOX_POLL_MS: '100',
    SEED_DEMO_DATA: 'true',
    DATABASE_POOL_SIZE: '5',
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', // the test receivers listen on 127.0.0.1
    ...options.env,
  };
  const connections = {} as Record<ServiceName, RmqConnection>;
  const pools: pg.Pool[] = [];
  const started = await startServices((service) => {
    const config = loadServiceConfig(service, { ...env, DATABASE_URL: databaseUrls[service] }, 'production');
    const connection = new RmqConnection({ url: config.amqp!.url, prefetch: config.amqp!.prefetch, retryDelaysMs: config.retryDelaysMs });
    connections[service] = connection;
    void connection.open();
    return { config, clock: options.clock ?? systemClock, broker: { kind: 'rmq', connection }, authSecret: TEST_SECRET };
  });
  await Promise.all(Object.values(connections).map((c) => c.waitUntilReady(30_000)));
  const poolFor = new Map<ServiceName, pg.Pool>();
  return {
    ...started,
    tokens: new TokenService(TEST_SECRET),
    connections,
    databaseUrls,
    async query(service, sql, params) {
      let pool = poolFor.get(service);
      if (!pool) {
        pool = new pg.Pool({ connectionString: databaseUrls[service], max: 2 });
        pool.on('error', () => undefined); // a test that cuts the database off also cuts these
        poolFor.set(service, pool);
        pools.push(pool);
      }
      return (await pool.query(sql, params as unknown[])).rows;
    },
    async close() {
      for (const app of Object.values(started.apps)) await app.close().catch(() => undefined);
      for (const c of Object.values(connections)) await c.close();
      for (const p of pools) await p.end();
      for (const service of SERVICE_NAMES) await dropDatabase(`${tag}_${service.replace('-', '_')}`).catch(() => undefined);
      deleteVhost(tag);
    },
  };
}
