import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { connect } from 'amqplib';
import pg from 'pg';
import { eventually } from './eventually.js';
import { AMQP_URL, PG_URL, rabbitmqctl } from './infra.js';

/*
 * The machine's own PostgreSQL and RabbitMQ, stopped and started by fault tests. CI runs other
 * infra tests after these on the same machine, so every stop is paired with a start in a
 * `finally`, and the start waits until the service answers again.
 */

/** Resolves once a fresh AMQP connection opens (the node is up and its listener accepts). */
export async function waitForRabbit(timeoutMs = 60_000): Promise<void> {
  await eventually(
    async () => {
      const model = await connect(AMQP_URL);
      await model.close().catch(() => undefined);
      return true;
    },
    timeoutMs,
    'RabbitMQ to accept connections again',
  );
}

export async function rabbitAnswers(): Promise<boolean> {
  try {
    const model = await connect(AMQP_URL);
    await model.close().catch(() => undefined);
    return true;
  } catch {
    return false;
  }
}

/** Stops the RabbitMQ application (the Erlang node stays up): every connection drops, nothing is accepted. */
export function stopRabbit(): void {
  rabbitmqctl('stop_app');
}

/** Starts the RabbitMQ application again (harmless if it runs) and waits until it accepts connections. */
export async function startRabbit(timeoutMs = 60_000): Promise<void> {
  try {
    rabbitmqctl('start_app');
  } catch {
    // already running, or the node itself is down: try the node
    try {
      execFileSync('rabbitmq-server', ['-detached'], { stdio: 'ignore', timeout: 30_000 });
      rabbitmqctl('await_startup');
    } catch {
      // waitForRabbit says whether it came back
    }
  }
  await waitForRabbit(timeoutMs);
}

/** Runs `during` with RabbitMQ stopped; always starts it again and waits for it, even if `during` throws. */
export async function withRabbitStopped<T>(during: () => Promise<T>): Promise<T> {
  stopRabbit();
  try {
    return await during();
  } finally {
    await startRabbit();
  }
}

function postgresVersion(): string {
  const versions = readdirSync('/etc/postgresql').sort((a, b) => Number(a) - Number(b));
  if (versions.length === 0) throw new Error('no PostgreSQL cluster under /etc/postgresql');
  return versions[versions.length - 1];
}

function pgCtl(action: 'start' | 'restart' | 'stop'): void {
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', postgresVersion(), 'main', action, ...(action === 'stop' ? ['-m', 'fast'] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
}

export async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Resolves once PostgreSQL accepts a connection and answers a query. */
export async function waitForPostgres(timeoutMs = 60_000): Promise<void> {
  await eventually(async () => ((await postgresAnswers()) ? true : undefined), timeoutMs, 'PostgreSQL to answer again');
}

/** Makes sure PostgreSQL runs (starts the cluster if it does not answer) and answers. */
export async function ensurePostgres(): Promise<void> {
  if (await postgresAnswers()) return;
  try {
    pgCtl('start');
  } catch {
    // it may be starting already; waitForPostgres decides
  }
  await waitForPostgres();
}

/**
 * Restarts the PostgreSQL cluster (fast shutdown: every connection of every service is cut, open
 * transactions roll back) and waits until it answers. If the restart fails half-way, starts it.
 */
export async function restartPostgres(): Promise<void> {
  try {
    pgCtl('restart');
  } finally {
    await ensurePostgres();
  }
}

/** Runs `during` with PostgreSQL stopped; always starts it again and waits for it. */
export async function withPostgresStopped<T>(during: () => Promise<T>): Promise<T> {
  pgCtl('stop');
  try {
    return await during();
  } finally {
    await ensurePostgres();
  }
}

/** For afterEach/afterAll: whatever a test did, leave both services running and answering. */
export async function ensureMachineServices(): Promise<void> {
  await ensurePostgres();
  if (!(await rabbitAnswers())) await startRabbit();
}
